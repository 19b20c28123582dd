//! `!giveaway open|close|draw|redraw|cancel …`, moderators only.

use wavestack_domain::chat::ChatEvent;

use super::{Answered, Asked};
use crate::community::giveaways;

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    Ok(Answered::answer(giveaways::from_chat(asked).await?))
}
