//! `!leaderboard`: the channel's top five by points.

use wavestack_domain::chat::ChatEvent;

use super::{Answered, Asked};
use crate::lookup;

pub(super) async fn answer(asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let top = lookup::top_five(asked.app, &asked.metadata.org, &asked.message.viewer.channel).await?;
    if top.is_empty() {
        return Ok(Answered::answer("Nobody has any points yet".into()));
    }
    let ranks: Vec<String> = top
        .iter()
        .map(|e| format!("{}. {} ({})", e.rank, e.author.as_deref().unwrap_or(&e.user_id), e.points))
        .collect();
    Ok(Answered::answer(format!("Top {}: {}", ranks.len(), ranks.join(", "))))
}
