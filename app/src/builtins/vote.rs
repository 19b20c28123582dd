//! `!vote N|option`: silent when counted; a refusal is a reply.

use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::RefusalReason;

use super::{Answered, Asked};
use crate::community::polls;

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    Ok(match polls::vote(asked).await? {
        Ok(()) => Answered::answer(String::new()),
        Err(reply) => Answered::refuse(RefusalReason::Invalid, "vote refused", Some(reply)),
    })
}
