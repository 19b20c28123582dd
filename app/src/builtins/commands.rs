//! `!commands` lists what the author may use; `!commands add|edit|delete
//! …` (Nightbot's syntax) manages them, moderators and up, each change an
//! event whose actor is the moderator.

use wavestack_adapters::command_bus::CommandError;
use wavestack_domain::channel::nightbot::{parse_manage, ManageRequest};
use wavestack_domain::channel::ChannelCommand;
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::RefusalReason;
use wavestack_domain::value::{Builtin, ChannelStreamId, UserLevel};

use super::{Answered, Asked};

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let (m, level, who) = (asked.message, asked.level, asked.who());
    let needs_moderator = || Ok(Answered::refuse(RefusalReason::Level, "needs moderator", None));
    let stream = ChannelStreamId::new(&asked.metadata.org, m.viewer.platform, &m.viewer.channel);
    let request = match parse_manage(&asked.resolved.args) {
        Ok(request) => request,
        Err(_) if level < UserLevel::Moderator => return needs_moderator(),
        Err(error) => {
            return Ok(Answered::refuse(RefusalReason::Invalid, "not understood", Some(format!("@{who}, {error}"))))
        }
    };
    let (command, done) = match request {
        ManageRequest::List => {
            // Read afresh: the settings may have changed since the message's.
            let settings = asked.app.bus.channel.load(stream.as_str()).await?;
            let prefix = settings.prefix().as_str().to_owned();
            let mut names: Vec<String> = Builtin::ALL
                .iter()
                .filter(|b| b.min_level() <= level && **b != Builtin::Join)
                .map(|b| settings.builtin(*b))
                .filter(|(_, enabled)| *enabled)
                .map(|(name, _)| format!("{prefix}{}", name.as_str()))
                .collect();
            names.extend(
                settings
                    .commands()
                    .filter(|c| c.enabled && c.min_level <= level)
                    .map(|c| format!("{prefix}{}", c.name.as_str())),
            );
            return Ok(Answered::answer(format!("Commands: {}", names.join(", "))));
        }
        _ if level < UserLevel::Moderator => return needs_moderator(),
        ManageRequest::Add(definition) => {
            let done = format!("@{who}, {} added", definition.name);
            (ChannelCommand::AddCommand(definition), done)
        }
        ManageRequest::Edit(edit) => {
            let done = format!("@{who}, {} edited", edit.name);
            (ChannelCommand::EditCommand(edit), done)
        }
        ManageRequest::Delete(name) => {
            let done = format!("@{who}, {name} deleted");
            (ChannelCommand::DeleteCommand { name }, done)
        }
    };
    // The moderator changed the settings, through the bot.
    match asked.app.bus.channel.execute(stream.as_str(), command, &asked.by_author()?).await {
        Ok(_) => Ok(Answered::answer(done)),
        Err(CommandError::Rejected(refused)) => {
            Ok(Answered::refuse(RefusalReason::Invalid, refused.code(), Some(format!("@{who}, {refused}"))))
        }
        Err(error) => Err(error.into()),
    }
}
