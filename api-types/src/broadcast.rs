//! What happens on a channel's broadcast, as a bot forwards it:
//! `POST /v1/channels/{platform}/{channel}/broadcast`.

use serde::{Deserialize, Serialize};

/// One follow, sub, resub, gift, cheer, raid, redemption, the stream
/// going online or offline, or a message deleted or the chat cleared by a
/// moderator in the platform's own chat. A repeat with the same `event_id` records
/// nothing and pays nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BroadcastEventBody {
    /// The platform's id for it (Twitch: the EventSub message id).
    #[schema(min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9._:@-]{1,128}$")]
    pub event_id: String,
    #[serde(rename = "type")]
    #[schema(pattern = "^(follow|sub|resub|gift|cheer|raid|redemption|online|offline|message_deleted|chat_cleared)$")]
    pub kind: String,
    /// When the platform says it happened (RFC 3339).
    #[schema(example = "2026-12-07T18:00:00Z")]
    pub at: String,
    /// The giver (the raiding broadcaster for a raid); leave both out for
    /// an anonymous gift or cheer.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    /// 1, 2 or 3: a sub's, a resub's or a gift's tier.
    #[serde(default)]
    #[schema(pattern = "^[123]$")]
    pub tier: Option<String>,
    /// A gift's subs, a cheer's bits, a raid's viewers, a resub's months, a
    /// redemption's cost.
    #[serde(default)]
    pub amount: Option<u64>,
    /// A sub someone else paid for.
    #[serde(default)]
    pub gifted: Option<bool>,
    /// The viewer's words (a resub's, a cheer's, a redemption's input).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub message: Option<String>,
    /// A redemption's reward title.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reward: Option<String>,
    /// `online`: when the stream started; `at` if left out.
    #[serde(default)]
    pub started_at: Option<String>,
    /// `message_deleted`: the message (its author is `user_id`).
    #[serde(default)]
    pub message_id: Option<String>,
}
