//! `!unlink`: takes this account out of its person.

use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::RefusalReason;

use super::{Answered, Asked};
use crate::community::links;

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let who = asked.who();
    let by_author = asked.by_author()?;
    let person = asked.person().await?;
    Ok(match links::unlink(asked.app, &by_author, &asked.account(), person, asked.message.sent_at).await {
        Ok(_) => Answered::answer(format!("@{who}, this account is no longer linked")),
        Err(failure) => {
            Answered::refuse(RefusalReason::Invalid, "unlink refused", Some(format!("@{who}, {}", failure.reply()?)))
        }
    })
}
