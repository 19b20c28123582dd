//! What the bot says in a channel when no chat message asked: a draw from
//! the dashboard, a poll's result. Recorded as an answer on a stream of
//! its own, which the bots' feed carries like every reply.

use wavestack_adapters::command_bus::{Accepted, CommandError};
use wavestack_domain::chat_command::{CommandUse, CommandUseError, Invoker, Prepared, UseCommand};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{
    ChannelRef, CommandName, CommandUseStreamId, DisplayName, MessageId, PlatformUserId, Timestamp, UserLevel,
    ValueError,
};

use crate::App;

/// Who says it and under which stream: `dashboard.say` for the
/// dashboard's own words, `community.announce` for draws and results.
#[derive(Debug)]
pub struct Announcement<'a> {
    pub channel: &'a ChannelRef,
    pub key: &'static str,
    pub command: &'static str,
    pub text: String,
    pub at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum AnnounceError {
    #[error("{field} {error}")]
    Value { field: &'static str, error: ValueError },
    #[error(transparent)]
    Store(#[from] CommandError<CommandUseError>),
}

pub async fn announce(app: &App, metadata: &EventMetadata, a: Announcement<'_>) -> Result<Accepted, AnnounceError> {
    let value = |field| move |error| AnnounceError::Value { field, error };
    let actor = metadata.actor.as_str();
    let invoker = Invoker {
        // Not a chat message: an id of its own, so that each is one.
        message_id: MessageId::parse(format!("{}-{}", a.command, uuid::Uuid::new_v4())).map_err(value("message_id"))?,
        platform: a.channel.platform,
        channel: a.channel.channel.clone(),
        user_id: PlatformUserId::parse(actor).map_err(value("actor"))?,
        author: DisplayName::parse(actor).map_err(value("actor"))?,
    };
    let stream = CommandUseStreamId::new(&metadata.org, a.channel.platform, &a.channel.channel, a.key);
    let said = CommandUse::Decide(UseCommand {
        invoker,
        command: CommandName::parse(a.command).map_err(value("command"))?,
        level: UserLevel::Broadcaster,
        settings_version: 0,
        at: a.at,
        prepared: Prepared::Answer { reply: a.channel.platform.fit_message(&a.text) },
    });
    Ok(app.bus.command_use.execute(stream.as_str(), said, metadata).await?)
}
