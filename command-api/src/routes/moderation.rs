//! A channel's moderation over HTTP (`channels:write`): each filter's
//! settings, the strike ladder, and moderators' actions on a viewer. Every
//! change is an event whose actor is the token's subject.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::moderation::{EscalationBody, FilterBody, ModerateBody, ModeratedBody};
use wavestack_domain::channel::ChannelCommand;
use wavestack_domain::chat::Viewer;
use wavestack_domain::moderation::{ActionKind, Escalation, FilterKind, FilterRule, ModeratorAction, Penalty};
use wavestack_domain::value::{PlatformUserId, UserLevel};

use super::channels::{change, channel_at, stream, ChannelPath};
use crate::command_error::command_error;
use crate::edge::{accepted_body, field, now, AcceptedResponse, Caller};
use crate::state::AppState;
use wavestack_app::moderation as moderators;

/// Longest reason a moderator gives.
const MAX_REASON_CHARS: usize = 500;

/// `given` replaces `current` where given.
fn take<T>(current: &mut T, given: &mut Option<T>) {
    if let Some(value) = given.take() {
        *current = value;
    }
}

/// The rule with the given fields applied; a field left over belongs
/// to another filter.
fn apply_filter(mut given: FilterBody, mut rule: FilterRule) -> Result<FilterRule, ApiError> {
    match &mut rule {
        FilterRule::Caps { min_length, max_percent } | FilterRule::Symbols { min_length, max_percent } => {
            take(min_length, &mut given.min_length);
            take(max_percent, &mut given.max_percent);
        }
        FilterRule::Links { allowed_domains } => take(allowed_domains, &mut given.allowed_domains),
        FilterRule::BannedTerms { terms, patterns } => {
            take(terms, &mut given.terms);
            take(patterns, &mut given.patterns);
        }
        FilterRule::Repetition { max_char_run, max_word_repeats, same_message_seconds } => {
            take(max_char_run, &mut given.max_char_run);
            take(max_word_repeats, &mut given.max_word_repeats);
            take(same_message_seconds, &mut given.same_message_seconds);
        }
        FilterRule::Emotes { max_emotes, max_mentions } => {
            take(max_emotes, &mut given.max_emotes);
            take(max_mentions, &mut given.max_mentions);
        }
        FilterRule::Length { max_length } => take(max_length, &mut given.max_length),
        FilterRule::Flood { max_messages, per_seconds } => {
            take(max_messages, &mut given.max_messages);
            take(per_seconds, &mut given.per_seconds);
        }
    }
    let left = [
        ("min_length", given.min_length.is_some()),
        ("max_percent", given.max_percent.is_some()),
        ("allowed_domains", given.allowed_domains.is_some()),
        ("terms", given.terms.is_some()),
        ("patterns", given.patterns.is_some()),
        ("max_char_run", given.max_char_run.is_some()),
        ("max_word_repeats", given.max_word_repeats.is_some()),
        ("same_message_seconds", given.same_message_seconds.is_some()),
        ("max_emotes", given.max_emotes.is_some()),
        ("max_mentions", given.max_mentions.is_some()),
        ("max_length", given.max_length.is_some()),
        ("max_messages", given.max_messages.is_some()),
        ("per_seconds", given.per_seconds.is_some()),
    ];
    match left.iter().find(|(_, given)| *given) {
        Some((name, _)) => {
            Err(ApiError::invalid_field(*name, format!("is not a setting of the {} filter", rule.kind())))
        }
        None => Ok(rule),
    }
}
#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/filters/{filter}",
    tag = "moderation",
    params(ChannelPath, ("filter" = String, Path, description = "banned_terms, links, flood, length, caps, symbols, repetition or emotes")),
    request_body = FilterBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn set_filter(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, filter)): Path<(String, String, String)>,
    ValidJson(mut body): ValidJson<FilterBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let kind = field("filter", FilterKind::parse(&filter))?;
    let mut settings = state.bus.channel.load(stream.as_str()).await.map_err(command_error)?.moderation().filter(kind);
    take(&mut settings.enabled, &mut body.enabled);
    if let Some(exempt) = body.exempt.take() {
        settings.exempt = exempt.iter().map(|l| field("exempt", UserLevel::parse(l))).collect::<Result<_, _>>()?;
    }
    settings.rule = apply_filter(body, settings.rule)?;
    change(&state, &caller, &stream, ChannelCommand::SetFilter(settings)).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/escalation",
    tag = "moderation",
    params(ChannelPath),
    request_body = EscalationBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn set_escalation(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel)): Path<(String, String)>,
    ValidJson(body): ValidJson<EscalationBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let ladder = body
        .ladder
        .into_iter()
        .enumerate()
        .map(|(i, step)| {
            let action = field(format!("ladder[{i}].action"), ActionKind::parse(&step.action))?;
            Ok(Penalty { action, seconds: step.seconds.unwrap_or(0) })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let escalation = Escalation {
        ladder,
        strike_expiry_seconds: body.strike_expiry_seconds.unwrap_or(Escalation::default().strike_expiry_seconds),
    };
    change(&state, &caller, &stream, ChannelCommand::SetEscalation(escalation)).await
}

/// A moderator acts on a viewer: the same as `!timeout`, `!ban`, `!unban`,
/// `!pardon` and `!permit` in chat. An action that changes nothing (banning
/// the banned) is a `duplicate`.
#[utoipa::path(
    post,
    path = "/v1/channels/{platform}/{channel}/viewers/{user_id}/moderation",
    tag = "moderation",
    params(ChannelPath, ("user_id" = String, Path, description = "The platform's user id")),
    request_body = ModerateBody,
    responses((status = 202, description = "Recorded; the actions are also on the bots' feed", body = ModeratedBody), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn moderate(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, user_id)): Path<(String, String, String)>,
    ValidJson(body): ValidJson<ModerateBody>,
) -> Result<Response, ApiError> {
    let (platform, channel) = channel_at(&platform, channel)?;
    let viewer = Viewer { platform, channel, user_id: field("user_id", PlatformUserId::parse(user_id))? };
    let action = field("action", ModeratorAction::parse(&body.action))?;
    if body.reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::invalid_field("reason", format!("must be at most {MAX_REASON_CHARS} characters")));
    }
    let takes_seconds = matches!(action, ModeratorAction::Timeout | ModeratorAction::Permit);
    if body.seconds.is_some() && !takes_seconds {
        return Err(ApiError::invalid_field("seconds", format!("{action} takes no seconds")));
    }
    let request =
        moderators::Request { action, seconds: body.seconds, reason: body.reason, message_id: None, at: now() };
    let acted = moderators::act(&state.app, &caller.metadata, &viewer, request).await.map_err(command_error)?;
    let body = ModeratedBody { accepted: accepted_body(acted.written.accepted), actions: acted.actions };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}
