use serde::{Deserialize, Serialize};

use super::invocation::Invocation;
use crate::moderation::{ModerationRules, ModeratorAction};
use crate::value::{
    ActorId, ChannelId, ChatPlatform, ChatStreamId, ChatText, CommandName, DisplayName, GiveawayId, MessageId, OrgId,
    PlatformEventId, PlatformUserId, PointsPolicy, Role, SupportKind, Timestamp, UserLevel,
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
    /// The credit half of a `!give`, from the process manager (or the API's
    /// fast path): once per transfer id.
    ReceivePoints(ReceivePoints),
    /// Gives back what a command's use took when the use was refused:
    /// once per message. `points` is the price its `PointsSpent` took,
    /// refunded as such when the stream no longer remembers the price (a
    /// settlement running long after); the store's once key refuses a
    /// second refund of the message.
    RefundSpend {
        message_id: MessageId,
        points: u64,
    },
    /// A moderator's action on this viewer, from chat or over HTTP.
    Moderate(ModerateViewer),
    /// Gives back a giveaway entry's price: once per giveaway.
    RefundEntry {
        giveaway_id: GiveawayId,
    },
    /// Pays what the channel's support policy decided for a follow, a sub,
    /// a gift, a cheer or a raid: once per platform event.
    RewardSupport(RewardSupport),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardSupport {
    pub event_id: PlatformEventId,
    pub kind: SupportKind,
    pub points: u64,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerateViewer {
    pub action: ModeratorAction,
    /// A timeout's or a permit's length; 0 otherwise.
    pub seconds: u32,
    pub reason: String,
    /// The moderator.
    pub by: ActorId,
    /// The moderator's chat message (`!timeout …`), when it came from chat.
    pub message_id: Option<MessageId>,
    pub at: Timestamp,
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
    /// The channel's points policy, at the settings' version the bot read.
    pub points: PointsPolicy,
    /// The command the message invokes, as the channel's settings resolve
    /// it (a built-in by its own name, whatever the channel renamed it to).
    pub invocation: Option<Invocation>,
    /// What the command asks of the viewer's points, if anything.
    pub points_request: Option<PointsRequest>,
    /// The author's level in the channel (role and regulars list).
    pub level: UserLevel,
    /// Emotes the platform reported in the message, for the emote filter.
    pub emotes: u32,
    /// The channel's filters and ladder, at the settings' version read.
    pub moderation: ModerationRules,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointsRequest {
    /// A custom command's price.
    Spend { command: CommandName, cost: u64 },
    /// `!give`: the debit half; the credit follows in the receiver's stream.
    Give { to: PlatformUserId, points: u64 },
    /// `!daily`: once per UTC day.
    Daily,
    /// A giveaway's entry price, once per giveaway.
    Enter { giveaway: GiveawayId, cost: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivePoints {
    pub viewer: Viewer,
    pub transfer_id: uuid::Uuid,
    pub from: PlatformUserId,
    pub points: u64,
    pub received_at: Timestamp,
}
