//! The bots' reply feed (`GET /v1/bot/replies`, or its WebSocket): what
//! to say and do on the platforms, in the order it was decided.

use serde::{Deserialize, Serialize};

use crate::chat::Action;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedBody {
    pub replies: Vec<FeedReply>,
    /// Moderation actions for the gateway to execute, in the same order.
    pub actions: Vec<FeedAction>,
    /// Where to read on from: the last row's cursor, or the one given.
    pub next: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedReply {
    /// `reply`.
    pub kind: String,
    pub cursor: String,
    pub text: String,
    pub in_reply_to: String,
    pub platform: String,
    pub channel: String,
    pub user_id: String,
    pub command: String,
}

/// A moderation action, with where it is on the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedAction {
    /// `action`.
    pub kind: String,
    pub cursor: String,
    #[serde(flatten)]
    pub action: Action,
}
