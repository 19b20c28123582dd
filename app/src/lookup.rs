//! What the use cases read from read models: who a name in chat is, and
//! the channel's top viewers. Both from the leaderboard projection, which
//! knows each viewer's latest display name and balance.

use wavestack_domain::value::{ChannelId, ChatPlatform, OrgId, PlatformUserId};
use wavestack_projections::leaderboard::{self, Entry, Window};
use wavestack_projections::runtime::live_schema;

use crate::App;

/// The viewer of this channel whose latest display name is `name` (any
/// case, with or without `@`), if the channel has seen them chat.
pub(crate) async fn viewer_named(
    app: &App,
    org: &OrgId,
    platform: ChatPlatform,
    channel: &ChannelId,
    name: &str,
) -> anyhow::Result<Option<PlatformUserId>> {
    let schema = live_schema("leaderboard");
    let name = name.trim_start_matches('@');
    let found =
        leaderboard::viewer_named(&app.pool, &schema, org.as_str(), platform.as_str(), channel.as_str(), name).await?;
    Ok(found.and_then(|id| PlatformUserId::parse(id).ok()))
}

pub(crate) async fn top_five(app: &App, org: &OrgId, channel: &ChannelId) -> anyhow::Result<Vec<Entry>> {
    let schema = live_schema("leaderboard");
    leaderboard::read(&app.pool, &schema, org.as_str(), channel.as_str(), Window::AllTime, 0, 5).await
}
