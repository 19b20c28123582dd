//! Who may touch the log. The role that owns `events` can disable its
//! trigger, rewrite a payload and recompute the hash chain; so the app's
//! role (`postgres::grant_app_role`) owns none of it and may only read
//! and append.

use anyhow::bail;
use sqlx::PgPool;

/// Refuses an app role that owns the log.
pub(crate) async fn refuse_owner(owner: &PgPool, role: &str) -> anyhow::Result<()> {
    let owns_events: bool =
        sqlx::query_scalar("SELECT pg_get_userbyid(relowner) = $1 FROM pg_class WHERE oid = 'public.events'::regclass")
            .bind(role)
            .fetch_one(owner)
            .await?;
    if owns_events {
        bail!("the app's role `{role}` owns the events table; migrate as another role");
    }
    Ok(())
}

/// Statements that leave `role` (a checked identifier) reading and
/// appending to the log, nothing else; run after the broad table grants.
pub(crate) fn append_only(role: &str) -> [String; 2] {
    [format!("REVOKE ALL ON events FROM {role}"), format!("GRANT SELECT, INSERT ON events TO {role}")]
}
