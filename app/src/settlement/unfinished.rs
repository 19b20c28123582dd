//! What a use case began and could not finish (a store error after the
//! price was taken, before its use or entry was decided), finished by the
//! process that began it. The settlers leave a move to the process whose
//! writer lease is held (`wavestack_adapters::writer`), so that a slow
//! process is never overtaken; in return that process must finish every
//! move it began, or let go of its lease and so hand its moves over.

use std::time::Duration;

use wavestack_domain::chat::ChatEvent;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ChatStreamId, Timestamp};

use super::{community, points};
use crate::App;

/// Finishes, in the background and retrying while it may succeed, the
/// moves the message's events began. A step that can never succeed lets
/// go of the lease: the settlers finish it from the log.
pub(crate) fn finish_in_background(
    app: &App,
    metadata: &EventMetadata,
    payer: &ChatStreamId,
    events: &[ChatEvent],
    at: Timestamp,
) {
    let moves: Vec<ChatEvent> = events
        .iter()
        .filter(|e| matches!(e, ChatEvent::PointsSpent(_) | ChatEvent::PointsSent(_) | ChatEvent::EntryPaid(_)))
        .cloned()
        .collect();
    if moves.is_empty() {
        return;
    }
    let (app, metadata, payer) = (app.clone(), metadata.clone(), payer.clone());
    tokio::spawn(async move {
        for event in &moves {
            let mut backoff = Duration::from_millis(100);
            loop {
                match finish(&app, &metadata, &payer, event, at).await {
                    Ok(()) => break,
                    Err((error, true)) => {
                        tracing::warn!(error = %error, "finishing a move the answer left; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                    Err((error, false)) => {
                        tracing::error!(error = %error, "a move the answer left cannot be finished here; the settlers take it over");
                        app.bus.writer().let_go();
                        return;
                    }
                }
            }
        }
    });
}

/// One move finished, or why not and whether trying again may help.
async fn finish(
    app: &App,
    metadata: &EventMetadata,
    payer: &ChatStreamId,
    event: &ChatEvent,
    at: Timestamp,
) -> Result<(), (String, bool)> {
    let points = |e: points::SettlementError| (wavestack_adapters::error_chain(&e), e.is_transient());
    let community = |e: community::CommunityError| (wavestack_adapters::error_chain(&e), e.is_transient());
    match event {
        ChatEvent::PointsSpent(spent) => {
            points::settle_spend(&app.bus, payer, spent, at, metadata).await.map_err(points)
        }
        ChatEvent::PointsSent(sent) => {
            points::credit_transfer(&app.bus, payer, sent, at, metadata).await.map_err(points)
        }
        ChatEvent::EntryPaid(paid) => {
            community::settle_entry(&app.bus, payer, paid.giveaway_id, &paid.message_id, at, metadata)
                .await
                .map_err(community)
        }
        _ => Ok(()),
    }
}
