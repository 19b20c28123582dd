//! `!poll open <duration> [-change] question | option | option…`, `!poll
//! close`, `!poll cancel`; moderators only.

use wavestack_domain::chat::ChatEvent;

use super::{Answered, Asked};
use crate::community::polls;

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    Ok(Answered::answer(polls::from_chat(asked).await?))
}
