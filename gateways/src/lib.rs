//! The chat platforms' gateways. A gateway turns a platform's traffic into
//! calls of the application layer's use cases (the same `app::chat::hear`
//! that `POST /v1/chat/messages` calls) and carries what the bot says and
//! does back to the platform. It holds no bot rule: a reply, a timeout or a
//! refusal is decided in `app`, whichever edge the message came through.
//!
//! - [`Gateway`]: the seam, one implementation per platform.
//! - [`Brain`]: the application layer as a gateway calls it.
//! - [`twitch`]: Twitch, heard through EventSub and answered through Helix.
//! - `fakes` (feature `fakes`): local fakes of the platforms' documented
//!   protocols, strict where the platforms are, for tests.

mod brain;
mod seam;
mod secret;
mod token;
pub mod twitch;

#[cfg(feature = "fakes")]
pub mod fakes;

pub use brain::{Brain, Hearing};
pub use seam::{ChannelState, Gateway, GatewayError, SayError};
pub use secret::Secret;
pub use token::{FixedToken, TokenSource};
