//! Moderators' own actions on a viewer, from chat (`builtins::moderate`)
//! and over HTTP alike. Each is an event of the viewer's stream whose
//! actor, and `by`, is the moderator.

use wavestack_adapters::command_bus::{CommandError, Written};
use wavestack_domain::chat::{default_seconds, ChatCommand, ChatError, ChatEvent, ModerateViewer, Viewer};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::ModeratorAction;
use wavestack_domain::value::{MessageId, Timestamp};

use crate::chat::{action_of, Action};
use crate::App;

/// A moderator's action written, and what the gateway should do.
#[derive(Debug)]
pub struct Acted {
    pub written: Written<ChatEvent>,
    pub actions: Vec<Action>,
}

/// What a moderator asked for; `seconds` falls back to the action's default.
#[derive(Debug)]
pub struct Request {
    pub action: ModeratorAction,
    pub seconds: Option<u32>,
    pub reason: String,
    /// The moderator's chat message, when the action came from chat.
    pub message_id: Option<MessageId>,
    pub at: Timestamp,
}

/// Records the request on `viewer`'s stream; `metadata.actor` is the moderator.
pub async fn act(
    app: &App,
    metadata: &EventMetadata,
    viewer: &Viewer,
    request: Request,
) -> Result<Acted, CommandError<ChatError>> {
    let stream = viewer.stream_id(&metadata.org);
    let Request { action, seconds, reason, message_id, at } = request;
    let command = ChatCommand::Moderate(ModerateViewer {
        action,
        seconds: seconds.unwrap_or_else(|| default_seconds(action)),
        reason,
        by: metadata.actor.clone(),
        message_id,
        at,
    });
    let written = app.bus.chat.execute_written(stream.as_str(), command, metadata).await?;
    let actions = written.events.iter().filter_map(|e| action_of(&stream, e)).collect();
    Ok(Acted { written, actions })
}
