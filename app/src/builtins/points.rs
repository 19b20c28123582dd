//! `!points`: the author's balance; `!points @viewer` for moderators.

use wavestack_domain::chat::{ChatEvent, Viewer};
use wavestack_domain::chat_command::RefusalReason;
use wavestack_domain::value::UserLevel;

use super::asked::balance_after;
use super::{Answered, Asked};
use crate::lookup;

pub(super) async fn answer(asked: &Asked<'_>, events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let (app, m, org) = (asked.app, asked.message, &asked.metadata.org);
    let who = asked.who();
    match asked.resolved.args.split_whitespace().next() {
        Some(name) if asked.level >= UserLevel::Moderator => {
            let found = lookup::viewer_named(app, org, m.viewer.platform, &m.viewer.channel, name).await?;
            let name = name.trim_start_matches('@');
            match found {
                Some(user_id) => {
                    let viewer = Viewer { user_id, ..m.viewer.clone() };
                    let points = app.bus.chat.load(&viewer.stream_id(org)).await?.balance();
                    Ok(Answered::answer(format!("{name} has {points} points")))
                }
                None => Ok(Answered::refuse(
                    RefusalReason::Invalid,
                    "unknown viewer",
                    Some(format!("@{who}, nobody called {name} has chatted here yet")),
                )),
            }
        }
        _ => {
            let points = match balance_after(events) {
                Some(balance) => balance,
                None => app.bus.chat.load(&m.viewer.stream_id(org)).await?.balance(),
            };
            Ok(Answered::answer(format!("@{who}, you have {points} points")))
        }
    }
}
