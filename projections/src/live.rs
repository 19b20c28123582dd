//! Read-model changes announced to the query API's live feed: a Postgres
//! `NOTIFY` sent inside the projection's transaction, so listeners hear of
//! a change only if and when it commits, in every query API process.

use anyhow::Context;
use serde::Serialize;
use sqlx::PgConnection;

/// The Postgres notification channel read models announce changes on.
pub const LIVE_CHANNEL: &str = "wavestack_live";

/// Postgres refuses a payload of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

/// Whether `schema` is a projection's live model: only its changes are
/// news. A replay into a fresh schema announces nothing (a million-event
/// rebuild would otherwise flood every dashboard, and slow itself down).
pub fn is_live(schema: &str) -> bool {
    crate::SchemaName::live_projection(schema)
        .is_some_and(|name| crate::ProjectionKind::ALL.iter().any(|kind| kind.name() == name))
}

/// Who a change is news to: the org's subscribers of a channel, of one
/// platform's channel of that name or of every platform's.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    pub org: &'a str,
    /// `None`: every platform's channel of that name (the leaderboard and
    /// clips are kept per channel name).
    pub platform: Option<&'a str>,
    /// `None`: not tied to a channel (a publication of an asset hosted elsewhere).
    pub channel: Option<&'a str>,
}

impl<'a> Audience<'a> {
    /// A channel of any platform.
    pub fn channel(org: &'a str, channel: &'a str) -> Self {
        Self { org, platform: None, channel: Some(channel) }
    }

    /// One platform's channel.
    pub fn platform_channel(org: &'a str, platform: &'a str, channel: &'a str) -> Self {
        Self { org, platform: Some(platform), channel: Some(channel) }
    }

    /// `platform/channel` as polls and giveaways list their channels.
    pub fn channel_ref(org: &'a str, channel_ref: &'a str) -> Self {
        match channel_ref.split_once('/') {
            Some((platform, channel)) => Self::platform_channel(org, platform, channel),
            None => Self::channel(org, channel_ref),
        }
    }
}

/// Announces `changes` of kind `kind` (`leaderboard`, `clip`, `publication`)
/// to `to`, if `schema` is the live model. Changes too large for one
/// notification are announced without their content; subscribers then
/// re-read the model.
pub async fn announce(
    conn: &mut PgConnection,
    schema: &str,
    kind: &str,
    to: Audience<'_>,
    changes: &impl Serialize,
) -> anyhow::Result<()> {
    if !is_live(schema) {
        return Ok(());
    }
    let Audience { org, platform, channel } = to;
    let mut payload =
        serde_json::json!({ "type": kind, "org": org, "platform": platform, "channel": channel, "changes": changes })
            .to_string();
    if payload.len() > MAX_PAYLOAD {
        payload =
            serde_json::json!({ "type": kind, "org": org, "platform": platform, "channel": channel, "changes": null })
                .to_string();
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(LIVE_CHANNEL)
        .bind(&payload)
        .execute(conn)
        .await
        .context("notifying live subscribers")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_live_models_are_news() {
        assert!(super::is_live("projection_leaderboard"));
        assert!(super::is_live("projection_community"));
        assert!(!super::is_live("projection_leaderboard_replay_20261203_120000"));
        assert!(!super::is_live("as_of_6pm"));
        assert!(!super::is_live("projection_nothing"));
    }
}
