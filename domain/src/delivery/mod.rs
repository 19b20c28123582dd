//! What the gateways carried out on a platform for the bot, one reply or
//! moderation action at a time: that it left (`DeliveryStarted`) and how it
//! ended — done (`DeliveryExecuted`), refused with the platform's answer
//! (`DeliveryFailed`), or unknown because the process carrying it died
//! before the platform answered (`DeliveryFateUnknown`).
//!
//! One stream per channel (`<org>/<platform>/<channel>#deliveries`), written by the
//! gateway that holds the channel's lease. A delivery is started at most
//! once, ever: its id derives from the decision it carries out, and the
//! store holds each id once per stream (a once key), so a second process
//! that would carry out the same decision learns it was started before and
//! does not post it again. A started delivery without an outcome when a
//! process takes the channel over is recorded as of unknown fate, not
//! carried out again.

mod command;
mod decide;
mod error;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{DeliveryCommand, Outcome};
pub use error::DeliveryError;
pub use event::*;
pub use state::{DeliveryState, MAX_UNSETTLED};

crate::aggregate::cqrs_aggregate!(DeliveryState, DeliveryEvent, type = "delivery", version = "1");
