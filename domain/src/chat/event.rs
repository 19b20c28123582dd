use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::moderation::{ActionKind, Cause, ModeratorAction};
use crate::value::{
    ActorId, ChannelId, ChatPlatform, ChatText, CommandName, DisplayName, GiveawayId, MessageId, PlatformEventId,
    PlatformUserId, Role, SupportKind, Timestamp,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChatEvent {
    ChatMessageReceived(ChatMessageReceived),
    PointsAwarded(PointsAwarded),
    ChatCommandInvoked(ChatCommandInvoked),
    PointsSpent(PointsSpent),
    PointsSent(PointsSent),
    PointsReceived(PointsReceived),
    PointsRefunded(PointsRefunded),
    DailyBonusClaimed(DailyBonusClaimed),
    PointsRequestRefused(PointsRequestRefused),
    MessageModerated(MessageModerated),
    ModeratorActed(ModeratorActed),
    PermitUsed(PermitUsed),
    EntryPaid(EntryPaid),
    EntryRefunded(EntryRefunded),
    SupportRewarded(SupportRewarded),
}

impl ChatEvent {
    pub fn name(&self) -> &'static str {
        match self {
            ChatEvent::ChatMessageReceived(_) => "ChatMessageReceived",
            ChatEvent::PointsAwarded(_) => "PointsAwarded",
            ChatEvent::ChatCommandInvoked(_) => "ChatCommandInvoked",
            ChatEvent::PointsSpent(_) => "PointsSpent",
            ChatEvent::PointsSent(_) => "PointsSent",
            ChatEvent::PointsReceived(_) => "PointsReceived",
            ChatEvent::PointsRefunded(_) => "PointsRefunded",
            ChatEvent::DailyBonusClaimed(_) => "DailyBonusClaimed",
            ChatEvent::PointsRequestRefused(_) => "PointsRequestRefused",
            ChatEvent::MessageModerated(_) => "MessageModerated",
            ChatEvent::ModeratorActed(_) => "ModeratorActed",
            ChatEvent::PermitUsed(_) => "PermitUsed",
            ChatEvent::EntryPaid(_) => "EntryPaid",
            ChatEvent::EntryRefunded(_) => "EntryRefunded",
            ChatEvent::SupportRewarded(_) => "SupportRewarded",
        }
    }

    /// The events that move a viewer's balance (`balance_change` is some),
    /// by name: for reads that pick them out of the log.
    pub const BALANCE_MOVES: [&'static str; 9] = [
        "PointsAwarded",
        "PointsSpent",
        "PointsSent",
        "PointsReceived",
        "PointsRefunded",
        "DailyBonusClaimed",
        "EntryPaid",
        "EntryRefunded",
        "SupportRewarded",
    ];

    /// How the event moves the viewer's balance, and the balance after it.
    pub fn balance_change(&self) -> Option<(i64, u64)> {
        let signed = |points: u64| i64::try_from(points).unwrap_or(i64::MAX);
        match self {
            ChatEvent::PointsAwarded(e) => Some((signed(e.points), e.balance)),
            ChatEvent::PointsSpent(e) => Some((-signed(e.points), e.balance)),
            ChatEvent::PointsSent(e) => Some((-signed(e.points), e.balance)),
            ChatEvent::PointsReceived(e) => Some((signed(e.points), e.balance)),
            ChatEvent::PointsRefunded(e) => Some((signed(e.points), e.balance)),
            ChatEvent::DailyBonusClaimed(e) => Some((signed(e.points), e.balance)),
            ChatEvent::EntryPaid(e) => Some((-signed(e.points), e.balance)),
            ChatEvent::EntryRefunded(e) => Some((signed(e.points), e.balance)),
            ChatEvent::SupportRewarded(e) => Some((signed(e.points), e.balance)),
            _ => None,
        }
    }
}

/// What the channel's support policy paid this viewer for a follow, a
/// sub, a gift, a cheer or a raid (`event_id`, in the channel's broadcast
/// stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRewarded {
    pub event_id: PlatformEventId,
    pub kind: SupportKind,
    pub points: u64,
    pub balance: u64,
    pub rewarded_at: Timestamp,
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
    /// Lowercased, without the prefix; a built-in by its own name.
    pub name: String,
    pub args: String,
    pub invoked_at: Timestamp,
}

/// A command's price, taken before its use is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsSpent {
    pub message_id: MessageId,
    pub command: CommandName,
    pub points: u64,
    pub balance: u64,
}

/// The debit half of a transfer; `transfer_id` joins it to its credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsSent {
    pub transfer_id: Uuid,
    pub message_id: MessageId,
    pub to_user_id: PlatformUserId,
    pub points: u64,
    pub balance: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsReceived {
    pub transfer_id: Uuid,
    pub from_user_id: PlatformUserId,
    pub points: u64,
    pub balance: u64,
}

/// A refused use's price given back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRefunded {
    pub message_id: MessageId,
    pub points: u64,
    pub balance: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyBonusClaimed {
    pub message_id: MessageId,
    pub points: u64,
    pub balance: u64,
    pub claimed_at: Timestamp,
}

/// Why a command's request on the viewer's points moved nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRequestRefused {
    pub message_id: MessageId,
    pub reason: PointsRefusal,
    /// What was asked for.
    pub points: u64,
    pub balance: u64,
}

crate::value::closed_enum!(
    PointsRefusal {
        Insufficient => "insufficient",
        DailyClaimed => "daily_claimed",
        DailyOff => "daily_off",
        SelfTransfer => "self_transfer",
        AlreadyPaid => "already_paid",
    }
);

/// A filter (or the viewer's ban or timeout) caught a message: it earns
/// nothing and runs nothing. Decided by the filters, never a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageModerated {
    pub message_id: MessageId,
    /// The message as the viewer wrote it, so that the decision reads on
    /// its own in the moderation log and in an audit.
    pub author: DisplayName,
    pub text: ChatText,
    pub cause: Cause,
    /// What was found: the matched term, the caps percentage, the count.
    pub evidence: String,
    /// The viewer's live strikes after this decision.
    pub strikes: u32,
    /// What the gateway does: delete the message, time out, ban.
    pub action: ActionKind,
    /// A timeout's length; 0 otherwise.
    pub seconds: u32,
    /// The warning the bot posts (a first-strike delete), or empty.
    pub reply: String,
    /// When the strike this decision gave stops counting; none when it gave
    /// none (a banned or timed-out viewer's message).
    pub strike_expires_at: Option<Timestamp>,
    pub decided_at: Timestamp,
}

/// A moderator acted on this viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeratorActed {
    pub action: ModeratorAction,
    pub seconds: u32,
    pub reason: String,
    pub by: ActorId,
    /// The moderator's chat message, when the action came from chat.
    pub message_id: Option<MessageId>,
    pub at: Timestamp,
    /// Live strikes a pardon or an unban cleared.
    pub strikes_cleared: u32,
}

/// A `!permit` let this message's link through; it is spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitUsed {
    pub message_id: MessageId,
    pub link: String,
}

/// A giveaway entry's price, taken before the giveaway decides the entry.
/// It stays spent only if the entry is accepted and the giveaway is not
/// cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPaid {
    pub giveaway_id: GiveawayId,
    pub message_id: MessageId,
    pub points: u64,
    pub balance: u64,
}

/// An entry's price given back (refused entry, cancelled giveaway): once
/// per giveaway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRefunded {
    pub giveaway_id: GiveawayId,
    pub points: u64,
    pub balance: u64,
}
