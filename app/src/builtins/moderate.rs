//! A moderator's own action from chat, one file for the five that share
//! its shape: `!timeout @viewer [seconds] [reason]`, `!ban @viewer
//! [reason]`, `!unban @viewer`, `!pardon @viewer` and `!permit @viewer
//! [seconds]`. The level was checked by the registry.

use wavestack_adapters::command_bus::CommandError;
use wavestack_domain::chat::{default_seconds, Viewer};
use wavestack_domain::chat_command::RefusalReason;
use wavestack_domain::moderation::ModeratorAction;

use super::{Answered, Asked};
use crate::lookup;
use crate::moderation::{act, Request};

pub(super) async fn answer(action: ModeratorAction, asked: &Asked<'_>) -> anyhow::Result<Answered> {
    let (m, who) = (asked.message, asked.who());
    let usage = match action {
        ModeratorAction::Timeout => "!timeout @viewer [seconds] [reason]",
        ModeratorAction::Ban => "!ban @viewer [reason]",
        ModeratorAction::Unban => "!unban @viewer",
        ModeratorAction::Pardon => "!pardon @viewer",
        ModeratorAction::Permit => "!permit @viewer [seconds]",
    };
    let mut words = asked.resolved.args.split_whitespace();
    let Some(name) = words.next().map(|n| n.trim_start_matches('@')).filter(|n| !n.is_empty()) else {
        let reply = format!("@{who}, usage: {usage}");
        return Ok(Answered::refuse(RefusalReason::Invalid, "no viewer named", Some(reply)));
    };
    let mut rest: Vec<&str> = words.collect();
    let takes_seconds = matches!(action, ModeratorAction::Timeout | ModeratorAction::Permit);
    let seconds = match rest.first().map(|w| w.parse::<u32>()) {
        Some(Ok(seconds)) if takes_seconds => {
            rest.remove(0);
            Some(seconds)
        }
        _ => None,
    };
    let reason = rest.join(" ");
    let org = &asked.metadata.org;
    let found = lookup::viewer_named(asked.app, org, m.viewer.platform, &m.viewer.channel, name).await?;
    let Some(user_id) = found else {
        let reply = format!("@{who}, nobody called {name} has chatted here yet");
        return Ok(Answered::refuse(RefusalReason::Invalid, "unknown viewer", Some(reply)));
    };
    let target = Viewer { user_id, ..m.viewer.clone() };
    let request = Request { action, seconds, reason, message_id: Some(m.message_id.clone()), at: m.sent_at };
    let acted = match act(asked.app, &asked.by_author()?, &target, request).await {
        Ok(acted) => acted,
        Err(CommandError::Rejected(refused)) => {
            let reply = format!("@{who}, {refused}");
            return Ok(Answered::refuse(RefusalReason::Invalid, refused.code(), Some(reply)));
        }
        Err(error) => return Err(anyhow::anyhow!("{}", wavestack_adapters::error_chain(&error))),
    };
    let seconds = seconds.unwrap_or_else(|| default_seconds(action));
    let changed = !acted.written.events.is_empty();
    let reply = match (action, changed) {
        (ModeratorAction::Timeout, _) => format!("{name} is timed out for {seconds} s"),
        (ModeratorAction::Ban, true) => format!("{name} is banned"),
        (ModeratorAction::Ban, false) => format!("{name} was already banned"),
        (ModeratorAction::Unban, true) => format!("{name} is unbanned; their strikes are cleared"),
        (ModeratorAction::Unban, false) => format!("{name} is not banned"),
        (ModeratorAction::Pardon, true) => format!("{name}'s strikes are cleared"),
        (ModeratorAction::Pardon, false) => format!("{name} has no strikes"),
        (ModeratorAction::Permit, _) => format!("@{name}, you may post one link in the next {seconds} s"),
    };
    Ok(Answered { actions: acted.actions, ..Answered::answer(reply) })
}
