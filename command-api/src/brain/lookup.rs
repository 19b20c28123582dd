//! What the brain reads from read models: who a name in chat is, and the
//! channel's top viewers. Both from the leaderboard, which knows each
//! viewer's latest display name and balance.

use anyhow::Context;
use sqlx::PgPool;
use wavestack_domain::value::{ChannelId, ChatPlatform, OrgId, PlatformUserId};
use wavestack_projections::leaderboard::{self, Entry, Window};
use wavestack_projections::runtime::live_schema;

/// The viewer of this channel whose latest display name is `name` (any
/// case, with or without `@`), if the channel has seen them chat.
pub(super) async fn viewer_named(
    pool: &PgPool,
    org: &OrgId,
    platform: ChatPlatform,
    channel: &ChannelId,
    name: &str,
) -> anyhow::Result<Option<PlatformUserId>> {
    let schema = live_schema("leaderboard");
    let sql = format!(
        "SELECT user_id FROM {schema}.rm_leaderboard
          WHERE org = $1 AND platform = $2 AND channel = $3 AND lower(author) = lower($4)
          ORDER BY last_seen DESC NULLS LAST LIMIT 1"
    );
    let found: Result<Option<(String,)>, sqlx::Error> = sqlx::query_as(&sql)
        .bind(org.as_str())
        .bind(platform.as_str())
        .bind(channel.as_str())
        .bind(name.trim_start_matches('@'))
        .fetch_optional(pool)
        .await;
    match found {
        Ok(row) => Ok(row.and_then(|(id,)| PlatformUserId::parse(id).ok())),
        // The projection has not created its table yet: nobody is known.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => Ok(None),
        Err(e) => Err(e).context("looking a viewer up by name"),
    }
}

pub(super) async fn top_five(pool: &PgPool, org: &OrgId, channel: &ChannelId) -> anyhow::Result<Vec<Entry>> {
    let schema = live_schema("leaderboard");
    leaderboard::read(pool, &schema, org.as_str(), channel.as_str(), Window::AllTime, 0, 5).await
}
