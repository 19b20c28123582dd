//! Named leases across processes: what one process owns at a time (a
//! connected chat channel, for the gateways). A lease is a Postgres session
//! advisory lock on a connection of the holder's own, so a holder that
//! dies, however it dies, loses its leases as soon as Postgres ends its
//! session; no clock decides.
//!
//! All of one holder's leases share one connection: when it is lost, every
//! lease is (another process may hold them already), and the holder must
//! stop what it ran under them before taking them again.

use std::collections::HashSet;

use anyhow::Context;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::Mutex;

const TRY_LOCK: &str = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))";
const UNLOCK: &str = "SELECT pg_advisory_unlock(hashtextextended($1, 0))";

/// One holder's leases in one namespace (`wavestack.gateway:` …).
#[derive(Debug)]
pub struct Leases {
    pool: PgPool,
    namespace: &'static str,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    connection: Option<PgConnection>,
    names: HashSet<String>,
}

impl Leases {
    pub fn new(pool: PgPool, namespace: &'static str) -> Self {
        Self { pool, namespace, held: Mutex::new(Held::default()) }
    }

    /// Takes the lease on `name` if no one holds it. True when this holder
    /// has it now (also when it had it already).
    pub async fn try_take(&self, name: &str) -> anyhow::Result<bool> {
        let mut held = self.held.lock().await;
        if held.names.contains(name) {
            return Ok(true);
        }
        let connection = self.connection(&mut held).await?;
        let taken: bool = sqlx::query_scalar(TRY_LOCK)
            .bind(format!("{}{name}", self.namespace))
            .fetch_one(&mut *connection)
            .await
            .context("taking a lease")?;
        if taken {
            held.names.insert(name.to_owned());
        }
        Ok(taken)
    }

    /// How many holders of this namespace are alive, this one counted:
    /// each holder's connection is named after the namespace, and Postgres
    /// forgets a connection when its process dies. What spreads a fixed
    /// number of leases (a conduit's shards) evenly over the processes.
    pub async fn holders(&self) -> anyhow::Result<u64> {
        let mut held = self.held.lock().await;
        let connection = self.connection(&mut held).await?;
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        )
        .bind(self.namespace)
        .fetch_one(&mut *connection)
        .await
        .context("counting the holders")?;
        Ok(count.max(1) as u64)
    }

    /// The holder's connection, made (and named) when first needed.
    async fn connection<'h>(&self, held: &'h mut Held) -> anyhow::Result<&'h mut PgConnection> {
        if held.connection.is_none() {
            let options = self.pool.connect_options().as_ref().clone().application_name(self.namespace);
            let connection = PgConnection::connect_with(&options).await.context("the leases' connection")?;
            held.connection = Some(connection);
        }
        Ok(held.connection.as_mut().expect("just made"))
    }

    /// Lets go of the lease on `name`.
    pub async fn release(&self, name: &str) -> anyhow::Result<()> {
        let mut held = self.held.lock().await;
        if held.names.remove(name) {
            if let Some(connection) = held.connection.as_mut() {
                sqlx::query(UNLOCK).bind(format!("{}{name}", self.namespace)).execute(&mut *connection).await?;
            }
        }
        Ok(())
    }

    /// Whether the leases are still held: false when their connection was
    /// lost (and with it every lease). The next `try_take` connects again.
    pub async fn alive(&self) -> bool {
        let mut held = self.held.lock().await;
        let Some(connection) = held.connection.as_mut() else { return true };
        if connection.ping().await.is_ok() {
            return true;
        }
        *held = Held::default();
        false
    }

    /// Lets go of every lease at once (stopping).
    pub async fn release_all(&self) {
        let mut held = self.held.lock().await;
        if let Some(connection) = held.connection.take() {
            let _ = connection.close().await;
        }
        held.names.clear();
    }
}
