//! `!join`, or the running giveaway's keyword: an entry, paid with the
//! message when the giveaway has a price. Silent when taken, as the peers'
//! giveaways are; a refusal is a reply.

use wavestack_domain::chat::{ChatEvent, PointsRequest};

use super::{Answered, Asked};
use crate::community::giveaways;

/// The price, only when the entry would be taken.
pub(super) async fn points_request(asked: &Asked<'_>) -> Option<PointsRequest> {
    match giveaways::entry_price(asked).await {
        Ok(price) => price.map(|(giveaway, cost)| PointsRequest::Enter { giveaway, cost }),
        // The entry decides without a price; the giveaway refuses or takes it.
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "pricing a giveaway entry");
            None
        }
    }
}

pub(super) async fn answer(asked: &Asked<'_>, events: &[ChatEvent]) -> anyhow::Result<Answered> {
    Ok(match giveaways::join(asked, events).await? {
        Ok(()) => Answered::answer(String::new()),
        Err(reply) => {
            Answered::refuse(wavestack_domain::chat_command::RefusalReason::Invalid, "entry refused", Some(reply))
        }
    })
}
