//! The app's own database role, apart from the owner of the tables.
//!
//! The role that owns the event log can `ALTER TABLE … DISABLE TRIGGER`,
//! rewrite a payload, recompute the hash chain and enable the trigger
//! again; and `TRUNCATE` skips row triggers altogether. So the owner runs
//! only the migrations, and the app runs as a role that owns none of the
//! log: it may read and append, nothing else (`event_store::access`). The rest of the tables
//! it reads and writes; it may create schemas (the projections make their
//! own read models).

use anyhow::{bail, Context};
use sqlx::PgPool;

/// Grants `role` what the app needs, run by the owner after migrating.
/// Idempotent; run on every start, so tables a new migration adds are
/// granted too.
pub async fn grant_app_role(owner: &PgPool, role: &str) -> anyhow::Result<()> {
    // It goes into statement text: a plain identifier only.
    super::check_identifier(role).context("the app's role")?;
    let (current, database): (String, String) =
        sqlx::query_as("SELECT current_user::text, current_database()::text").fetch_one(owner).await?;
    if current == role {
        bail!("the app's role `{role}` is the owner of the tables: give the app a role of its own");
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
        .bind(role)
        .fetch_one(owner)
        .await?;
    if !exists {
        bail!("there is no role `{role}`: create it first (CREATE ROLE {role} LOGIN PASSWORD '…')");
    }
    crate::event_store::access::refuse_owner(owner, role).await?;
    let database = database.replace('"', "\"\"");
    let mut statements = vec![
        format!("GRANT CONNECT, CREATE ON DATABASE \"{database}\" TO {role}"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("REVOKE ALL ON _sqlx_migrations FROM {role}"),
    ];
    // The log: read and append, nothing else.
    statements.extend(crate::event_store::access::append_only(role));
    for statement in statements {
        sqlx::query(&statement).execute(owner).await.with_context(|| format!("granting the app role: {statement}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::check_identifier;

    #[test]
    fn only_plain_role_names_are_granted_to() {
        assert!(check_identifier("wavestack_app").is_ok());
        for bad in ["", "App", "app; DROP TABLE events", "a\"b", &"a".repeat(64)] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }
}
