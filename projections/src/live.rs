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

/// Announces `changes` of kind `kind` (`leaderboard`, `clip`, `publication`)
/// to the org's subscribers of `channel` (`None`: not tied to a channel).
/// Changes too large for one notification are announced without their
/// content; subscribers then re-read the model.
pub async fn announce(
    conn: &mut PgConnection,
    kind: &str,
    org: &str,
    channel: Option<&str>,
    changes: &impl Serialize,
) -> anyhow::Result<()> {
    let mut payload =
        serde_json::json!({ "type": kind, "org": org, "channel": channel, "changes": changes }).to_string();
    if payload.len() > MAX_PAYLOAD {
        payload = serde_json::json!({ "type": kind, "org": org, "channel": channel, "changes": null }).to_string();
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(LIVE_CHANNEL)
        .bind(&payload)
        .execute(conn)
        .await
        .context("notifying live subscribers")?;
    Ok(())
}
