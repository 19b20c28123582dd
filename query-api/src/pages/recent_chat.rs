//! The chat box's first lines: a channel's latest messages, read from the
//! viewers' chat streams, without those a filter deleted or whose author
//! was timed out or banned after writing them, nor those a moderator
//! deleted or cleared in the platform's own chat. From then on the live feed
//! (`chat`, `chat_removed`) carries it.

use std::collections::HashSet;

use sqlx::PgPool;
use wavestack_domain::broadcast::BroadcastEvent;
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::moderation::ModeratorAction;
use wavestack_domain::value::{BroadcastStreamId, ChannelRef, OrgId};
use wavestack_projections::leaderboard::ChatLine;

/// Up to `count` of the channel's latest shown messages, oldest first.
pub(crate) async fn recent_chat(
    pool: &PgPool,
    org: &OrgId,
    channel: &ChannelRef,
    count: usize,
) -> anyhow::Result<Vec<ChatLine>> {
    let prefix = format!("{org}/{}/{}/", channel.platform, channel.channel);
    // Room for what moderation removed among the latest.
    // Newest first; what moderation took back is read too, to leave it out.
    let broadcast = BroadcastStreamId::new(org, channel.platform, &channel.channel);
    let rows =
        wavestack_adapters::event_store::reads::recent_chat(pool, &prefix, broadcast.as_str(), (count * 4) as i64)
            .await?;
    let mut deleted: HashSet<String> = HashSet::new();
    let mut silenced: HashSet<String> = HashSet::new();
    let mut lines = Vec::new();
    for (stream, payload) in rows {
        if stream == broadcast.as_str() {
            match serde_json::from_value::<BroadcastEvent>(payload) {
                Ok(BroadcastEvent::ChatMessageDeleted(d)) => {
                    deleted.insert(d.message_id.to_string());
                }
                // Everything older was cleared away.
                Ok(BroadcastEvent::ChatCleared(_)) => break,
                _ => {}
            }
            continue;
        }
        let Ok(event) = serde_json::from_value::<ChatEvent>(payload) else { continue };
        match event {
            ChatEvent::MessageModerated(m) => {
                deleted.insert(m.message_id.to_string());
            }
            ChatEvent::ModeratorActed(a) if matches!(a.action, ModeratorAction::Timeout | ModeratorAction::Ban) => {
                silenced.insert(stream);
            }
            ChatEvent::ChatMessageReceived(m) => {
                let line = ChatLine::of(&m);
                if deleted.contains(&line.message_id) || silenced.contains(&stream) {
                    continue;
                }
                lines.push(line);
                if lines.len() == count {
                    break;
                }
            }
            _ => {}
        }
    }
    lines.reverse();
    Ok(lines)
}
