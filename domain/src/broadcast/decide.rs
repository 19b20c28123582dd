use thiserror::Error;

use super::command::{BroadcastCommand, Happening, Supporter, What};
use super::event::*;
use super::state::BroadcastState;
use crate::aggregate::Decider;
use crate::value::{SupportKind, SupportPolicy};

/// The longest viewer message an event keeps (Twitch's chat limit).
pub const MAX_MESSAGE_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BroadcastError {
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: &'static str },
}

impl BroadcastError {
    pub fn code(&self) -> &'static str {
        "invalid"
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            BroadcastError::Invalid { field, .. } => Some(field),
        }
    }
}

impl Decider for BroadcastState {
    type Command = BroadcastCommand;
    type Event = BroadcastEvent;
    type Error = BroadcastError;
    type Policy = ();

    fn decide(&self, command: BroadcastCommand, _: &()) -> Result<Vec<BroadcastEvent>, BroadcastError> {
        let BroadcastCommand::Record { happening, policy } = command;
        if self.has_seen(&happening.event_id) {
            return Ok(vec![]);
        }
        Ok(vec![self.record(happening, &policy)?])
    }

    fn evolve(&mut self, event: &BroadcastEvent) {
        BroadcastState::evolve(self, event);
    }

    /// Each platform event is recorded once, however late its redelivery.
    fn once_key(event: &BroadcastEvent) -> Option<String> {
        Some(format!("happened:{}", event.event_id()))
    }
}

impl BroadcastState {
    fn record(&self, h: Happening, policy: &SupportPolicy) -> Result<BroadcastEvent, BroadcastError> {
        let support = |kind, by: Option<Supporter>| SupportReceived {
            event_id: h.event_id.clone(),
            kind,
            user_id: by.as_ref().map(|s| s.user_id.clone()),
            user_name: by.map(|s| s.name),
            tier: None,
            amount: 1,
            gifted: false,
            message: String::new(),
            reward: String::new(),
            points: 0,
            at: h.at,
        };
        let mut e = match h.what {
            What::Online { started_at } => {
                return Ok(BroadcastEvent::StreamStarted(StreamStarted { event_id: h.event_id, started_at }))
            }
            What::Offline => {
                return Ok(BroadcastEvent::StreamEnded(StreamEnded {
                    event_id: h.event_id,
                    started_at: self.live_since,
                    ended_at: h.at,
                }))
            }
            What::MessageDeleted { message_id, user_id } => {
                return Ok(BroadcastEvent::ChatMessageDeleted(ChatMessageDeleted {
                    event_id: h.event_id,
                    message_id,
                    user_id,
                    at: h.at,
                }))
            }
            What::ChatCleared => {
                return Ok(BroadcastEvent::ChatCleared(ChatCleared { event_id: h.event_id, at: h.at }))
            }
            What::Follow { by } => support(SupportKind::Follow, Some(by)),
            What::Sub { by, tier, gifted } => {
                SupportReceived { tier: Some(tier), gifted, ..support(SupportKind::Sub, Some(by)) }
            }
            What::Resub { by, tier, months, message } => SupportReceived {
                tier: Some(tier),
                amount: u64::from(months),
                message: kept(message)?,
                ..support(SupportKind::Resub, Some(by))
            },
            What::Gift { by, tier, count } => {
                if count == 0 {
                    return Err(BroadcastError::Invalid { field: "count", reason: "must be at least 1" });
                }
                SupportReceived { tier: Some(tier), amount: u64::from(count), ..support(SupportKind::Gift, by) }
            }
            What::Cheer { by, bits, message } => {
                SupportReceived { amount: bits, message: kept(message)?, ..support(SupportKind::Cheer, by) }
            }
            What::Raid { by, viewers } => SupportReceived { amount: viewers, ..support(SupportKind::Raid, Some(by)) },
            What::Redemption { by, reward_title, cost, input } => SupportReceived {
                amount: cost,
                message: kept(input)?,
                reward: kept(reward_title)?,
                ..support(SupportKind::Redemption, Some(by))
            },
        };
        // Nobody to pay for an anonymous gift or cheer.
        if e.user_id.is_some() {
            e.points = policy.payout(e.kind, e.tier, e.amount, e.gifted);
        }
        Ok(BroadcastEvent::SupportReceived(e))
    }
}

fn kept(text: String) -> Result<String, BroadcastError> {
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(BroadcastError::Invalid { field: "message", reason: "is longer than 500 characters" });
    }
    Ok(text)
}
