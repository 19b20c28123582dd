//! Which process wrote an event, and whether it still runs: how the
//! settlers know that a half-done move (a price taken, its use or entry
//! not yet decided) is theirs to finish (issue 26, item 18).
//!
//! A process that runs use cases holds a writer lease: a random id, and a
//! Postgres session advisory lock on it over a connection of its own, for
//! as long as it runs. Every event it writes names the id in its stored
//! metadata (`writer`). When the process dies, however it dies, Postgres
//! ends its session and the lock is free: a settler that finds the lock
//! free knows that no one else will finish the move. While the lock is
//! held, the writer finishes its own moves, however slow it is; a clock
//! decides nothing.
//!
//! The writer lets go of a lease when it cannot finish what it started
//! under it (a panic mid-way): it takes a new id and frees the old one,
//! handing the old one's moves to the settlers. A lease whose connection
//! was lost is replaced the same way.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The stored metadata's key naming the writer.
pub const WRITER: &str = "writer";

/// How often the lease's connection is checked.
const CHECK_EVERY: Duration = Duration::from_secs(2);

const LOCK: &str = "SELECT pg_advisory_lock(hashtextextended('wavestack.writer:' || $1, 0))";
const UNLOCK: &str = "SELECT pg_advisory_unlock(hashtextextended('wavestack.writer:' || $1, 0))";
/// A shared try-lock succeeds only when no session holds the writer's
/// lock; taken in its own statement's transaction, it is gone at once.
const GONE: &str = "SELECT pg_try_advisory_xact_lock_shared(hashtextextended('wavestack.writer:' || $1, 0))";

/// This process's writer id, as events written now should name it. A
/// handle: clones share the lease.
#[derive(Debug, Clone, Default)]
pub struct Writer {
    current: Arc<RwLock<Option<Uuid>>>,
    let_go: Option<mpsc::UnboundedSender<()>>,
}

impl Writer {
    /// No lease: events name no writer, and a settler finishes their moves
    /// at once (tools and tests that stand in for a killed process).
    pub fn none() -> Self {
        Self::default()
    }

    /// Takes a lease and keeps it until `cancel` fires or the process ends.
    pub async fn lease(pool: &PgPool, cancel: CancellationToken) -> anyhow::Result<Self> {
        let id = Uuid::new_v4();
        let connection = locked(pool, id).await?;
        let current = Arc::new(RwLock::new(Some(id)));
        let (let_go, requests) = mpsc::unbounded_channel();
        tokio::spawn(hold(pool.clone(), connection, current.clone(), requests, cancel));
        Ok(Self { current, let_go: Some(let_go) })
    }

    /// The id to write events under now.
    pub fn id(&self) -> Option<Uuid> {
        *self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands what this process left unfinished to the settlers: the
    /// current id is freed once a new one is held.
    pub fn let_go(&self) {
        if let Some(let_go) = &self.let_go {
            let _ = let_go.send(());
        }
    }
}

/// Whether the process that wrote under `writer` can no longer finish what
/// it started: its lease is free.
pub async fn is_gone(pool: &PgPool, writer: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(GONE).bind(writer.to_string()).fetch_one(pool).await
}

async fn locked(pool: &PgPool, id: Uuid) -> anyhow::Result<PgConnection> {
    let mut connection = PgConnection::connect_with(&pool.connect_options()).await.context("the writer lease")?;
    sqlx::query(LOCK).bind(id.to_string()).execute(&mut connection).await.context("taking the writer lease")?;
    Ok(connection)
}

async fn hold(
    pool: PgPool,
    mut connection: PgConnection,
    current: Arc<RwLock<Option<Uuid>>>,
    mut let_go: mpsc::UnboundedReceiver<()>,
    cancel: CancellationToken,
) {
    let set = |id: Uuid| *current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(id);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => {
                let _ = connection.close().await;
                return;
            }
            Some(()) = let_go.recv() => {
                let old = current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).unwrap_or_default();
                let new = Uuid::new_v4();
                let moved = async {
                    sqlx::query(LOCK).bind(new.to_string()).execute(&mut connection).await?;
                    sqlx::query(UNLOCK).bind(old.to_string()).execute(&mut connection).await
                };
                match moved.await {
                    Ok(_) => {
                        set(new);
                        tracing::warn!(%old, %new, "the writer let go of its lease: the settlers finish what it left");
                    }
                    Err(error) => tracing::warn!(error = %error, "the writer lease could not be moved; it is checked again"),
                }
            }
            _ = tokio::time::sleep(CHECK_EVERY) => {
                if connection.ping().await.is_ok() {
                    continue;
                }
                // The session is gone, and the lock with it: the settlers
                // may already be finishing what was written under it.
                let mut backoff = Duration::from_millis(100);
                connection = loop {
                    let id = Uuid::new_v4();
                    match locked(&pool, id).await {
                        Ok(connection) => {
                            set(id);
                            tracing::warn!(%id, "the writer lease's connection was lost; a new lease is held");
                            break connection;
                        }
                        Err(error) => tracing::warn!(error = %format!("{error:#}"), "retaking the writer lease"),
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                };
            }
        }
    }
}
