use super::event::DeliveryKind;
use crate::value::{MessageId, PlatformUserId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryCommand {
    /// About to carry a decision out. Started before (by this process or
    /// another) changes nothing: the caller must not carry it out again.
    Start {
        delivery: String,
        kind: DeliveryKind,
        message_id: Option<MessageId>,
        user_id: Option<PlatformUserId>,
        text: String,
        at: Timestamp,
    },
    /// How a started delivery ended.
    Settle { delivery: String, outcome: Outcome, at: Timestamp },
    /// Taking the channel over: every delivery started and not settled was
    /// carried by a process that stopped; its fate is unknown.
    GiveUpUnsettled { at: Timestamp },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Executed {
        platform_id: Option<String>,
    },
    Failed {
        status: u16,
        answer: String,
    },
    /// The platform did not answer (a timeout, a reset connection): it may
    /// or may not have happened.
    Unknown,
}
