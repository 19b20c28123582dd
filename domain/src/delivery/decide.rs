use super::command::{DeliveryCommand, Outcome};
use super::error::DeliveryError;
use super::event::*;
use super::state::{DeliveryState, MAX_UNSETTLED};
use crate::aggregate::Decider;

impl Decider for DeliveryState {
    type Command = DeliveryCommand;
    type Event = DeliveryEvent;
    type Error = DeliveryError;
    type Policy = ();

    fn decide(&self, command: DeliveryCommand, _: &()) -> Result<Vec<DeliveryEvent>, DeliveryError> {
        match command {
            DeliveryCommand::Start { delivery, kind, message_id, user_id, text, at } => {
                check_id(&delivery)?;
                if self.unsettled.contains_key(&delivery) {
                    return Ok(vec![]);
                }
                if self.unsettled.len() >= MAX_UNSETTLED {
                    return Err(DeliveryError::TooManyUnsettled { max: MAX_UNSETTLED });
                }
                let text = bounded(text);
                Ok(vec![DeliveryEvent::DeliveryStarted(DeliveryStarted {
                    delivery,
                    kind,
                    message_id,
                    user_id,
                    text,
                    at,
                })])
            }
            DeliveryCommand::Settle { delivery, outcome, at } => {
                if !self.unsettled.contains_key(&delivery) {
                    return Err(DeliveryError::NotUnsettled(delivery));
                }
                Ok(vec![match outcome {
                    Outcome::Executed { platform_id } => DeliveryEvent::DeliveryExecuted(DeliveryExecuted {
                        delivery,
                        platform_id: platform_id.map(bounded),
                        at,
                    }),
                    Outcome::Failed { status, answer } => {
                        DeliveryEvent::DeliveryFailed(DeliveryFailed { delivery, status, answer: bounded(answer), at })
                    }
                    Outcome::Unknown => DeliveryEvent::DeliveryFateUnknown(DeliveryFateUnknown { delivery, at }),
                }])
            }
            DeliveryCommand::GiveUpUnsettled { at } => Ok(self
                .unsettled
                .keys()
                .map(|delivery| {
                    DeliveryEvent::DeliveryFateUnknown(DeliveryFateUnknown { delivery: delivery.clone(), at })
                })
                .collect()),
        }
    }

    fn evolve(&mut self, event: &DeliveryEvent) {
        DeliveryState::evolve(self, event)
    }

    /// A delivery starts once per stream, ever: the store refuses the same
    /// id again even after the state forgot it (settled long ago).
    fn once_key(event: &DeliveryEvent) -> Option<String> {
        match event {
            DeliveryEvent::DeliveryStarted(started) => Some(format!("delivery:{}", started.delivery)),
            _ => None,
        }
    }
}

fn check_id(id: &str) -> Result<(), DeliveryError> {
    let printable = id.chars().all(|c| !c.is_control());
    if id.is_empty() || id.chars().count() > MAX_ID || !printable {
        return Err(DeliveryError::InvalidId);
    }
    Ok(())
}

/// At most `MAX_TEXT` characters: a platform's answer can be long.
fn bounded(text: String) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}
