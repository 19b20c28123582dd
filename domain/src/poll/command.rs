use crate::value::{Account, ChannelRef, PollId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollCommand {
    Open(OpenPoll),
    Vote(CastVote),
    /// Ends voting and records the final counts; also what a vote after
    /// the end does first.
    Close {
        at: Timestamp,
    },
    Cancel {
        at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPoll {
    pub poll_id: PollId,
    pub question: String,
    pub options: Vec<String>,
    pub channels: Vec<ChannelRef>,
    pub duration_seconds: u32,
    pub allow_change: bool,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastVote {
    pub person: Account,
    pub account: Account,
    pub channel: ChannelRef,
    /// From 0.
    pub option: u32,
    pub at: Timestamp,
}
