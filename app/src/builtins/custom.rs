//! A channel's own command: its template rendered by the command's
//! stream, once the price (if any) was taken with the message.

use wavestack_domain::channel::{CommandDefinition, Resolved};
use wavestack_domain::chat::{ChatEvent, ReceiveChatMessage};
use wavestack_domain::chat_command::{Prepared, RefusalReason};
use wavestack_domain::metadata::EventMetadata;

use super::asked::{balance_after, refused_request};
use crate::{broadcast, App};

pub(crate) async fn prepare(
    app: &App,
    metadata: &EventMetadata,
    m: &ReceiveChatMessage,
    resolved: &Resolved,
    d: &CommandDefinition,
    events: &[ChatEvent],
) -> anyhow::Result<Prepared> {
    if let Some(short) = refused_request(events) {
        let reply = format!("@{}, {} costs {} points; you have {}", m.author, resolved.invoked, d.cost, short.balance);
        return Ok(Prepared::Refuse {
            reason: RefusalReason::Cost,
            detail: "not enough points".to_owned(),
            reply: Some(reply),
        });
    }
    let points = match balance_after(events) {
        Some(balance) => balance,
        // Read only when the template shows it.
        None if d.response.as_str().contains("$(points)") => {
            app.bus.chat.load(&m.viewer.stream_id(&metadata.org)).await?.balance()
        }
        None => 0,
    };
    let cost = events
        .iter()
        .find_map(|e| match e {
            ChatEvent::PointsSpent(s) => Some(s.points),
            _ => None,
        })
        .unwrap_or(0);
    // Read only when the template shows it.
    let live_since = if d.response.shows_uptime() {
        broadcast::live_since(app, &metadata.org, m.viewer.platform, &m.viewer.channel).await?
    } else {
        None
    };
    Ok(Prepared::Render {
        template: d.response.clone(),
        args: resolved.args.clone(),
        min_level: resolved.min_level,
        cooldown_seconds: d.cooldown_seconds,
        user_cooldown_seconds: d.user_cooldown_seconds,
        points,
        cost,
        live_since,
    })
}
