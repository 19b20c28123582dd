//! `POST /v1/chat/messages`: one message, or `{"messages": [...]}` with up
//! to the batch limit. A batch reports each message's outcome; a message
//! that fails validation is refused on its own and the rest still count
//! (a retry of the whole batch is safe: redelivered message ids are
//! recognised as duplicates). The accepted messages of a batch are written
//! in one transaction.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{from_value, ApiError, Refused, ValidJson};
use wavestack_api_types::chat::{
    AcceptedFields, BatchBody, ChatAnswer, ChatMessageBody, ChatPost, HeardBody, MessageResult,
};
use wavestack_domain::chat::{PointsPolicy, ReceiveChatMessage, Viewer};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::ModerationRules;
use wavestack_domain::value::{
    ChannelId, ChatPlatform, ChatText, DisplayName, MessageId, PlatformUserId, Role, Timestamp, UserLevel,
};

/// Most emotes a message can report: one per character of the longest text.
const MAX_EMOTES: u32 = 500;

use wavestack_app::chat::{self as brain, Heard};

use crate::command_error::command_error;
use crate::edge::{accepted_body, field, now, Caller};
use crate::idempotency::NotFinal;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/v1/chat/messages",
    tag = "chat",
    request_body = ChatPost,
    responses((status = 202, description = "Written; per message, what the bot should say", body = ChatAnswer), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn post_messages(
    State(state): State<AppState>,
    Caller { principal, metadata }: Caller,
    ValidJson(body): ValidJson<Value>,
) -> Result<Response, ApiError> {
    match body {
        Value::Object(mut object) if object.contains_key("messages") => {
            let Some(Value::Array(items)) = object.remove("messages") else {
                return Err(ApiError::invalid_field("messages", "must be an array of messages"));
            };
            if !object.is_empty() {
                let extra = object.keys().next().cloned().unwrap_or_default();
                return Err(ApiError::invalid_field(extra, "unknown field; a batch holds only `messages`"));
            }
            batch(&state, &principal, &metadata, items).await
        }
        single => {
            let command = parse(from_value(single, "")?, "")?;
            let heard = brain::hear(&state.app, &metadata, vec![command]).await.map_err(command_error)?.pop();
            let heard = heard.ok_or_else(|| ApiError::internal(anyhow::anyhow!("a message without an outcome")))?;
            let heard = heard.map_err(command_error)?;
            let Heard { accepted, replies, actions, whispers } = heard;
            let body = HeardBody { accepted: accepted_body(accepted), replies, actions, whispers };
            Ok((StatusCode::ACCEPTED, Json(body)).into_response())
        }
    }
}

async fn batch(
    state: &AppState,
    principal: &Principal,
    metadata: &EventMetadata,
    items: Vec<Value>,
) -> Result<Response, ApiError> {
    if items.is_empty() {
        return Err(ApiError::invalid_field("messages", "must hold at least one message").with_reason("empty"));
    }
    if items.len() > state.limits.batch_messages {
        return Err(ApiError::payload_too_large(format!(
            "a batch holds at most {} messages; this one has {}",
            state.limits.batch_messages,
            items.len()
        ))
        .with_field("messages"));
    }
    // The request paid for one message at the door; the rest of the batch
    // is paid for here, before anything is written.
    let cost = u32::try_from(items.len() - 1).unwrap_or(u32::MAX);
    if let Err(wait) = state.rate_limiter.charge(principal, cost) {
        return Err(ApiError::too_many_requests(wait));
    }
    let mut results: Vec<Option<MessageResult>> = (0..items.len()).map(|_| None).collect();
    let mut indices = Vec::with_capacity(items.len());
    let mut messages = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let prefix = format!("messages[{index}]");
        match from_value(item, &prefix).and_then(|body| parse(body, &prefix)) {
            Ok(message) => {
                indices.push(index);
                messages.push(message);
            }
            Err(error) => results[index] = Some(MessageResult::Refused { error: *error.body }),
        }
    }
    // One write for the whole batch; each viewer's messages in the batch's order.
    match brain::hear(&state.app, metadata, messages).await {
        Ok(heard) => {
            for (index, heard) in indices.into_iter().zip(heard) {
                results[index] = Some(outcome(heard.map_err(command_error)));
            }
        }
        // The channel's settings could not be read: nothing was written.
        Err(error) => {
            let error = command_error(error);
            for index in indices {
                results[index] = Some(MessageResult::Failed { error: (*error.body).clone() });
            }
        }
    }
    let results: Vec<MessageResult> = results.into_iter().map(|r| r.expect("every message has a result")).collect();
    let count = |f: fn(&MessageResult) -> bool| results.iter().filter(|r| f(r)).count();
    let body = BatchBody {
        accepted: count(|r| matches!(r, MessageResult::Accepted(_))),
        duplicates: count(|r| matches!(r, MessageResult::Duplicate(_))),
        refused: count(|r| matches!(r, MessageResult::Refused { .. })),
        failed: count(|r| matches!(r, MessageResult::Failed { .. })),
        results,
    };
    let failed = body.failed > 0;
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    if failed {
        // Messages we failed to write: a retry with the same key must run
        // again rather than be answered with this failure for a day.
        response.extensions_mut().insert(NotFinal);
    }
    Ok(response)
}

fn outcome(heard: Result<Heard, ApiError>) -> MessageResult {
    match heard {
        Ok(heard) => {
            let Heard { accepted, replies, actions, whispers } = heard;
            let fields = AcceptedFields {
                aggregate_id: accepted.aggregate_id,
                sequence: accepted.sequence,
                replies,
                actions,
                whispers,
            };
            if accepted.events_written == 0 {
                MessageResult::Duplicate(fields)
            } else {
                MessageResult::Accepted(fields)
            }
        }
        Err(error) => MessageResult::Failed { error: *error.body },
    }
}

fn parse(body: ChatMessageBody, prefix: &str) -> Result<ReceiveChatMessage, ApiError> {
    let at = |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") };
    Ok(ReceiveChatMessage {
        viewer: Viewer {
            platform: field(at("platform"), ChatPlatform::parse(&body.platform))?,
            channel: field(at("channel"), ChannelId::parse(body.channel))?,
            user_id: field(at("user_id"), PlatformUserId::parse(body.user_id))?,
        },
        message_id: field(at("message_id"), MessageId::parse(body.message_id))?,
        author: field(at("author"), DisplayName::parse(body.author))?,
        role: match body.role {
            Some(role) => field(at("role"), Role::parse(&role))?,
            None => Role::Viewer,
        },
        text: field(at("text"), ChatText::parse(body.text))?,
        sent_at: match body.sent_at {
            Some(raw) => field(at("sent_at"), Timestamp::parse_rfc3339(&raw))?,
            None => now(),
        },
        // The brain fills these in from the channel's settings.
        points: PointsPolicy::default(),
        invocation: None,
        points_request: None,
        level: UserLevel::Everyone,
        moderation: ModerationRules::default(),
        emotes: match body.emotes {
            Some(emotes) if emotes > MAX_EMOTES => {
                return Err(ApiError::invalid_field(at("emotes"), format!("must be from 0 to {MAX_EMOTES}")))
            }
            emotes => emotes.unwrap_or(0),
        },
    })
}
