use serde::{Deserialize, Serialize};

use crate::value::{ChannelId, ChatPlatform, ChatText, DisplayName, MessageId, PlatformUserId, Role, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChatEvent {
    ChatMessageReceived(ChatMessageReceived),
    PointsAwarded(PointsAwarded),
    ChatCommandInvoked(ChatCommandInvoked),
}

impl ChatEvent {
    pub fn name(&self) -> &'static str {
        match self {
            ChatEvent::ChatMessageReceived(_) => "ChatMessageReceived",
            ChatEvent::PointsAwarded(_) => "PointsAwarded",
            ChatEvent::ChatCommandInvoked(_) => "ChatCommandInvoked",
        }
    }
}

/// Self-describing: carries the viewer so that consumers need not parse
/// the aggregate id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessageReceived {
    pub platform: ChatPlatform,
    pub channel: ChannelId,
    pub user_id: PlatformUserId,
    pub message_id: MessageId,
    pub author: DisplayName,
    pub role: Role,
    pub text: ChatText,
    pub sent_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsAwarded {
    pub points: u64,
    /// The viewer's balance after this award.
    pub balance: u64,
    pub awarded_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCommandInvoked {
    pub message_id: MessageId,
    /// Lowercased, without the `!`.
    pub name: String,
    pub args: String,
    pub invoked_at: Timestamp,
}
