//! `!link`: a code for linking this account with one on another platform,
//! whispered to the author (never said in chat nor written to the log).

use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::RefusalReason;

use super::{Answered, Asked};
use crate::chat::Whisper;
use crate::community::links;

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let (m, who) = (asked.message, asked.who());
    let by_author = asked.by_author()?;
    let person = asked.person().await?;
    Ok(match links::issue(asked.app, &by_author, &asked.account(), person, m.sent_at).await {
        Ok(code) => {
            let prefix = asked.settings.prefix().as_str();
            let whisper = Whisper {
                to_user_id: m.viewer.user_id.to_string(),
                text: format!(
                    "Your link code is {code}. Type {prefix}verify {code} from your account on another platform within 10 minutes."
                ),
                in_reply_to: m.message_id.to_string(),
            };
            let answered = Answered::answer(format!("@{who}, I have sent you a link code privately"));
            Answered { whispers: vec![whisper], ..answered }
        }
        Err(failure) => {
            Answered::refuse(RefusalReason::Invalid, "link refused", Some(format!("@{who}, {}", failure.reply()?)))
        }
    })
}
