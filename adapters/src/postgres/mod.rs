//! Connecting to Postgres and bringing its schema up to date.

mod app_role;

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::PgPool;

/// Ordered SQL migrations under `adapters/migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const DEFAULT_DATABASE_URL: &str = "postgres://localhost/wavestack";

pub async fn connect(database_url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = connect_options(database_url)?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .with_context(|| format!("connecting to Postgres at {}", redact(database_url)))
}

/// The URL's options, with TLS off on the loopback interface unless the URL
/// (`sslmode=`) or the environment (`PGSSLMODE`) asks for it. Postgres'
/// clients default to `prefer`, which on a server with TLS enabled (as
/// Debian's is) encrypts every query to a server on the same machine:
/// under chat load that was a twentieth of the machine's CPU, on both
/// ends, for traffic that never leaves the host.
fn connect_options(database_url: &str) -> anyhow::Result<PgConnectOptions> {
    let options: PgConnectOptions = database_url
        .parse()
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a Postgres URL ({}): {e}", redact(database_url)))?;
    let asked = database_url.contains("sslmode=") || std::env::var_os("PGSSLMODE").is_some();
    let host = options.get_host().trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    Ok(if loopback && !asked { options.ssl_mode(PgSslMode::Disable) } else { options })
}

/// Creates the database named in the URL if it does not exist yet, so the
/// first `wavestack migrate` on a fresh machine needs no manual step.
pub async fn ensure_database(database_url: &str) -> anyhow::Result<()> {
    use sqlx::migrate::MigrateDatabase;
    if !sqlx::Postgres::database_exists(database_url)
        .await
        .with_context(|| format!("checking for the database at {}", redact(database_url)))?
    {
        sqlx::Postgres::create_database(database_url)
            .await
            .with_context(|| format!("creating the database at {}", redact(database_url)))?;
    }
    Ok(())
}

/// Whether a failed query may succeed if tried again: the connection, the
/// pool or the server's state failed, not the query.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // Connection exception (08), transaction rollback: serialization,
        // deadlock (40), insufficient resources (53), operator
        // intervention: shutdown, restart (57).
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| ["08", "40", "53", "57"].iter().any(|class| code.starts_with(class)))
        }
        _ => false,
    }
}

/// Names that go into SQL text (schemas of read models): only a plain
/// lowercase identifier is accepted.
pub fn check_identifier(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        anyhow::bail!("`{name}` is not a valid schema name (lowercase letters, digits, _; at most 63)");
    }
    Ok(())
}

pub use app_role::grant_app_role;

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("running database migrations")
}

/// The URL without its password, for logs and errors.
/// The query named a table or schema that does not exist (yet): a read
/// model whose projection has not started. Asked of the error rather than
/// checked before every query, since reads and read-your-writes polls are
/// frequent.
pub fn relation_missing(error: &sqlx::Error) -> bool {
    // 42P01 undefined_table, 3F000 invalid_schema_name
    error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "42P01" || code == "3F000")
}

pub fn redact(database_url: &str) -> String {
    match (database_url.find("://"), database_url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &database_url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &database_url[..scheme_end + 3], &database_url[at..]),
                None => database_url.to_owned(),
            }
        }
        _ => database_url.to_owned(),
    }
}

/// The URL of database `name` on the server of `database_url`, with the
/// same options (`?sslmode=...`).
pub fn sibling_database_url(database_url: &str, name: &str) -> anyhow::Result<String> {
    let (address, query) = match database_url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (database_url, None),
    };
    let (server, _) = address.rsplit_once('/').context("the database URL names no database")?;
    Ok(match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    })
}

/// A migrated database created for one benchmark run next to the database
/// of `base_url`, dropped by `drop`.
#[derive(Debug)]
pub struct ThrowawayDatabase {
    pub pool: PgPool,
    base_url: String,
    name: String,
}

impl ThrowawayDatabase {
    pub async fn create(base_url: &str) -> anyhow::Result<Self> {
        let name = format!("wavestack_bench_{}", std::process::id());
        let url = sibling_database_url(base_url, &name)?;
        ensure_database(&url).await?;
        let pool = connect(&url, 4).await?;
        migrate(&pool).await?;
        Ok(Self { pool, base_url: base_url.to_owned(), name })
    }

    pub async fn drop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let admin = connect(&self.base_url, 1).await?;
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name)).execute(&admin).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tls_is_off_on_loopback_unless_asked_for() {
        use sqlx::postgres::PgSslMode;
        let mode = |url: &str| format!("{:?}", super::connect_options(url).unwrap().get_ssl_mode());
        assert_eq!(mode("postgres://postgres@127.0.0.1/postgres"), format!("{:?}", PgSslMode::Disable));
        assert_eq!(mode("postgres://localhost/wavestack"), format!("{:?}", PgSslMode::Disable));
        assert_eq!(mode("postgres://u@[::1]:5432/db"), format!("{:?}", PgSslMode::Disable));
        assert_eq!(mode("postgres://127.0.0.1/db?sslmode=require"), format!("{:?}", PgSslMode::Require));
        assert_eq!(mode("postgres://db.example.com/db"), format!("{:?}", PgSslMode::Prefer));
    }

    #[test]
    fn a_sibling_database_keeps_the_servers_options() {
        let url = super::sibling_database_url("postgres://u@h:5432/main?sslmode=require", "other").unwrap();
        assert_eq!(url, "postgres://u@h:5432/other?sslmode=require");
        assert_eq!(super::sibling_database_url("postgres://h/main", "other").unwrap(), "postgres://h/other");
    }

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("postgres://localhost/wavestack"), "postgres://localhost/wavestack");
    }
}
