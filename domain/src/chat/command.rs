use serde::{Deserialize, Serialize};

use crate::value::{
    ChannelId, ChatPlatform, ChatStreamId, ChatText, DisplayName, MessageId, OrgId, PlatformUserId, Role, Timestamp,
};

/// Who the chat aggregate is about: one platform user in one channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Viewer {
    pub platform: ChatPlatform,
    pub channel: ChannelId,
    pub user_id: PlatformUserId,
}

impl Viewer {
    /// The aggregate id within an org.
    pub fn stream_id(&self, org: &OrgId) -> ChatStreamId {
        ChatStreamId::new(org, self.platform, &self.channel, &self.user_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatCommand {
    ReceiveChatMessage(ReceiveChatMessage),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveChatMessage {
    pub viewer: Viewer,
    pub message_id: MessageId,
    pub author: DisplayName,
    pub role: Role,
    pub text: ChatText,
    /// The platform's timestamp: cooldowns run on platform time, so a bot
    /// that forwards a backlog late awards exactly what live delivery would.
    pub sent_at: Timestamp,
}
