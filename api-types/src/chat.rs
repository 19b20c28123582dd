//! What the bot should say and do about a chat message: in the answer to
//! `POST /v1/chat/messages`, in a moderator's action's answer, and on the
//! bots' reply feed (`GET /v1/bot/replies`).

use serde::{Deserialize, Serialize};

use crate::accepted::AcceptedBody;
use crate::error::ErrorBody;

/// Something the bot should post, in answer to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reply {
    pub text: String,
    /// The platform message it answers.
    pub in_reply_to: String,
    /// The command, as invoked; `moderation` for a filter's warning.
    pub command: String,
}

/// Something only the author should see (a link code): whisper it where
/// the platform can, or send it privately; never say it in chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Whisper {
    pub to_user_id: String,
    pub text: String,
    pub in_reply_to: String,
}

/// One thing for the bot's gateway to do on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Action {
    /// delete, timeout, ban or unban.
    pub action: String,
    pub platform: String,
    pub channel: String,
    /// The viewer acted on.
    pub user_id: String,
    /// The message to delete (a delete), or that caused the action.
    pub message_id: Option<String>,
    /// A timeout's length; 0 otherwise.
    pub seconds: u32,
    /// Why, for the platform's moderation log: the filter and its
    /// evidence, or the moderator's reason.
    pub reason: String,
    /// `filter`, or the moderator's actor id.
    pub decided_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatMessageBody {
    #[schema(example = "twitch", pattern = "^(twitch|discord|slack|youtube)$")]
    pub platform: String,
    #[schema(pattern = "^[A-Za-z0-9._:@-]{1,128}$")]
    pub channel: String,
    #[schema(pattern = "^[A-Za-z0-9._:@-]{1,128}$")]
    pub user_id: String,
    #[schema(pattern = "^[A-Za-z0-9._:@-]{1,128}$")]
    pub message_id: String,
    #[schema(min_length = 1, max_length = 64)]
    pub author: String,
    /// viewer, subscriber, vip, moderator or broadcaster; viewer if absent.
    #[serde(default)]
    #[schema(pattern = "^(viewer|subscriber|vip|moderator|broadcaster)$")]
    pub role: Option<String>,
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub text: String,
    /// When the platform says it was sent; now if absent.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
    /// Emotes the platform reported in the message (Twitch's `emotes` tag),
    /// for the emote filter, besides the emoji in the text; 0 if absent.
    #[serde(default)]
    #[schema(maximum = 500)]
    pub emotes: Option<u32>,
}

/// A message's `202`: what was written, what the bot should say and what
/// its gateway should do (delete, timeout, ban).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeardBody {
    #[serde(flatten)]
    pub accepted: AcceptedBody,
    pub replies: Vec<Reply>,
    pub actions: Vec<Action>,
    /// Only for the author (a link code): whisper it; never said in chat.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whispers: Vec<Whisper>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchBody {
    pub accepted: usize,
    pub duplicates: usize,
    pub refused: usize,
    pub failed: usize,
    pub results: Vec<MessageResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MessageResult {
    Accepted(AcceptedFields),
    Duplicate(AcceptedFields),
    /// Refused by validation: the client's mistake; do not retry as is.
    Refused {
        error: ErrorBody,
    },
    /// Not written because of a failure on our side; retry the batch.
    Failed {
        error: ErrorBody,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AcceptedFields {
    pub aggregate_id: String,
    pub sequence: u64,
    pub replies: Vec<Reply>,
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whispers: Vec<Whisper>,
}

/// One message, or a batch of them (for the document: the handler reads
/// the body as JSON first, to tell the two apart and name fields in order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ChatPost {
    Single(ChatMessageBody),
    Batch(BatchPost),
}

/// Up to the batch limit (500) messages, written together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchPost {
    pub messages: Vec<ChatMessageBody>,
}

/// The answer to one message, or to a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ChatAnswer {
    Single(HeardBody),
    Batch(BatchBody),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a bot reads: the API's answers as the docs show them, parsed
    /// into these types and written back the same.
    #[test]
    fn answers_read_as_the_api_writes_them() {
        let single = r#"{"outcome":"accepted","aggregate_id":"acme/twitch/shroud/42","sequence":3,"events_written":2,
            "replies":[{"text":"Ada has 10 points","in_reply_to":"m-1","command":"!points"}],"actions":[]}"#;
        let ChatAnswer::Single(heard) = serde_json::from_str(single).unwrap() else { panic!("a single answer") };
        assert_eq!((heard.accepted.sequence, heard.replies.len(), heard.whispers.len()), (3, 1, 0));
        assert_eq!(serde_json::from_str::<serde_json::Value>(single).unwrap(), serde_json::to_value(&heard).unwrap());

        let batch = r#"{"accepted":1,"duplicates":0,"refused":1,"failed":0,"results":[
            {"outcome":"accepted","aggregate_id":"acme/twitch/shroud/42","sequence":4,"replies":[],"actions":[]},
            {"outcome":"refused","error":{"code":"invalid_field","message":"messages[1].text: empty",
                "field":"messages[1].text","reason":"empty"}}]}"#;
        let ChatAnswer::Batch(body) = serde_json::from_str(batch).unwrap() else { panic!("a batch answer") };
        let MessageResult::Refused { error } = &body.results[1] else { panic!("the second is refused") };
        assert_eq!((error.code.as_ref(), error.field.as_deref()), ("invalid_field", Some("messages[1].text")));
        assert_eq!(serde_json::from_str::<serde_json::Value>(batch).unwrap(), serde_json::to_value(&body).unwrap());
    }
}
