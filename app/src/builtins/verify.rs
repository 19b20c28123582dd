//! `!verify CODE`: links this account's person with the person that
//! issued the code on another platform.

use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::RefusalReason;

use super::{Answered, Asked};
use crate::community::links;

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let who = asked.who();
    let code = asked.resolved.args.split_whitespace().next().unwrap_or("");
    let by_author = asked.by_author()?;
    let person = asked.person().await?;
    Ok(match links::verify(asked.app, &by_author, &asked.account(), person, code, asked.message.sent_at).await {
        Ok(accounts) => {
            let names: Vec<String> = accounts.iter().map(ToString::to_string).collect();
            Answered::answer(format!("@{who}, linked: {}", names.join(", ")))
        }
        Err(failure) => {
            Answered::refuse(RefusalReason::Invalid, "verify refused", Some(format!("@{who}, {}", failure.reply()?)))
        }
    })
}
