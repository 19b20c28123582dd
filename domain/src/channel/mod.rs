//! A channel's settings: its custom commands, built-ins, points policy,
//! prefix and regulars. Aggregate id: `<org>/<platform>/<channel>`
//! (`ChannelStreamId`). Every change is a command with an actor, from the
//! HTTP API or from chat (`!commands add …`, see `nightbot`), and the
//! decisions chat makes record the settings' version they read.

mod alerts;
mod command;
mod decide;
mod error;
mod event;
pub mod nightbot;
mod resolve;
mod state;
mod template;
#[cfg(test)]
mod tests;

pub use alerts::{AlertSettings, SupportSettings, MAX_ALERT_TEMPLATE_CHARS};
pub use command::{ChannelCommand, CommandEdit};
pub use error::ChannelError;
pub use event::{BuiltinConfigured, ChannelEvent, CommandDefinition, PlatformConnection};
pub use resolve::{Asker, Resolved, Target};
pub use state::{ChannelState, MAX_COMMANDS, MAX_COOLDOWN_SECONDS, MAX_COST};
pub use template::{seed_of, RenderContext, ResponseTemplate, TemplateError, MAX_TEMPLATE_CHARS};

crate::aggregate::cqrs_aggregate!(ChannelState, ChannelEvent, type = "channel", version = "1");
