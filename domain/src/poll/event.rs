use serde::{Deserialize, Serialize};

use crate::value::{Account, ChannelRef, PollId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PollEvent {
    PollOpened(PollOpened),
    VoteCast(VoteCast),
    PollClosed(PollClosed),
    PollCancelled(PollCancelled),
}

impl PollEvent {
    pub fn name(&self) -> &'static str {
        match self {
            PollEvent::PollOpened(_) => "PollOpened",
            PollEvent::VoteCast(_) => "VoteCast",
            PollEvent::PollClosed(_) => "PollClosed",
            PollEvent::PollCancelled(_) => "PollCancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOpened {
    pub poll_id: PollId,
    pub question: String,
    pub options: Vec<String>,
    pub channels: Vec<ChannelRef>,
    pub allow_change: bool,
    pub opened_at: Timestamp,
    pub closes_at: Timestamp,
}

/// A person's vote, or their changed vote (`previous`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteCast {
    pub person: Account,
    pub account: Account,
    pub option: u32,
    pub previous: Option<u32>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollClosed {
    /// Votes per option, in the options' order.
    pub counts: Vec<u64>,
    pub closed_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollCancelled {
    pub cancelled_at: Timestamp,
}
