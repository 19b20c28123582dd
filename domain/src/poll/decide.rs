use std::collections::HashSet;

use time::Duration;

use super::command::{CastVote, OpenPoll, PollCommand};
use super::error::PollError;
use super::event::*;
use super::state::{PollPhase, PollState};
use crate::aggregate::Decider;

pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_OPTION_CHARS: usize = 50;
pub const MAX_QUESTION_CHARS: usize = 200;
pub const MIN_DURATION_SECONDS: u32 = 10;
pub const MAX_DURATION_SECONDS: u32 = 86_400;

impl Decider for PollState {
    type Command = PollCommand;
    type Event = PollEvent;
    type Error = PollError;
    type Policy = ();

    fn decide(&self, command: PollCommand, _: &()) -> Result<Vec<PollEvent>, PollError> {
        match command {
            PollCommand::Open(open) => self.open(open),
            PollCommand::Vote(vote) => self.vote(vote),
            PollCommand::Close { at } => {
                self.running()?;
                Ok(match self.phase {
                    PollPhase::Open => vec![self.closed(at)],
                    _ => vec![],
                })
            }
            PollCommand::Cancel { at } => {
                self.running()?;
                if self.phase == PollPhase::Closed {
                    return Err(PollError::Closed);
                }
                Ok(vec![PollEvent::PollCancelled(PollCancelled { cancelled_at: at })])
            }
        }
    }

    fn evolve(&mut self, event: &PollEvent) {
        PollState::evolve(self, event);
    }
}

impl PollState {
    fn running(&self) -> Result<(), PollError> {
        match self.phase {
            PollPhase::New => Err(PollError::Unknown),
            PollPhase::Cancelled => Err(PollError::Cancelled),
            _ => Ok(()),
        }
    }

    /// Final counts; a close after the end is dated at the end.
    fn closed(&self, at: crate::value::Timestamp) -> PollEvent {
        let end = self.opened.as_ref().map(|o| o.closes_at).filter(|end| *end < at).unwrap_or(at);
        PollEvent::PollClosed(PollClosed { counts: self.counts.clone(), closed_at: end })
    }

    fn open(&self, o: OpenPoll) -> Result<Vec<PollEvent>, PollError> {
        if self.phase != PollPhase::New {
            return match &self.opened {
                Some(opened) if opened.poll_id == o.poll_id && opened.options == o.options => Ok(vec![]),
                _ => Err(PollError::AlreadyOpen),
            };
        }
        let question = o.question.trim().to_owned();
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(PollError::OutOfRange { field: "question", min: 1, max: MAX_QUESTION_CHARS as u64 });
        }
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&o.options.len()) {
            return Err(PollError::OutOfRange { field: "options", min: MIN_OPTIONS as u64, max: MAX_OPTIONS as u64 });
        }
        let options: Vec<String> = o.options.iter().map(|option| option.trim().to_owned()).collect();
        if options.iter().any(|option| option.is_empty() || option.chars().count() > MAX_OPTION_CHARS) {
            return Err(PollError::OutOfRange { field: "options", min: 1, max: MAX_OPTION_CHARS as u64 });
        }
        // A number would be read as a position, and two alike as one.
        if options.iter().any(|option| option.parse::<usize>().is_ok()) {
            return Err(PollError::Invalid { field: "options", reason: "must not be bare numbers" });
        }
        let distinct: HashSet<String> = options.iter().map(|option| option.to_lowercase()).collect();
        if distinct.len() != options.len() {
            return Err(PollError::Invalid { field: "options", reason: "must differ from each other" });
        }
        if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&o.duration_seconds) {
            return Err(PollError::OutOfRange {
                field: "duration_seconds",
                min: u64::from(MIN_DURATION_SECONDS),
                max: u64::from(MAX_DURATION_SECONDS),
            });
        }
        if o.channels.is_empty() || o.channels.len() > crate::giveaway::MAX_CHANNELS {
            return Err(PollError::OutOfRange { field: "channels", min: 1, max: crate::giveaway::MAX_CHANNELS as u64 });
        }
        Ok(vec![PollEvent::PollOpened(PollOpened {
            poll_id: o.poll_id,
            question,
            options,
            channels: o.channels,
            allow_change: o.allow_change,
            opened_at: o.at,
            closes_at: o.at.plus(Duration::seconds(i64::from(o.duration_seconds))),
        })])
    }

    fn vote(&self, v: CastVote) -> Result<Vec<PollEvent>, PollError> {
        self.running()?;
        let opened = self.opened.as_ref().ok_or(PollError::Unknown)?;
        if !opened.channels.contains(&v.channel) {
            return Err(PollError::Unknown);
        }
        if !self.open_at(v.at) {
            return Err(PollError::Closed);
        }
        if v.option as usize >= opened.options.len() {
            return Err(PollError::NoSuchOption { given: (v.option + 1).to_string(), options: opened.options.len() });
        }
        let previous = self.votes.get(&v.person).copied();
        match previous {
            Some(p) if p == v.option => return Ok(vec![]),
            Some(_) if !opened.allow_change => return Err(PollError::AlreadyVoted),
            _ => {}
        }
        Ok(vec![PollEvent::VoteCast(VoteCast {
            person: v.person,
            account: v.account,
            option: v.option,
            previous,
            at: v.at,
        })])
    }
}
