//! Rebuilding a read model into a fresh schema, from the event store (the
//! default, the truth: `from_store`) or from the log (for replays against
//! a cluster), optionally only from events up to an instant ("as of"), and
//! swapping it in.
//!
//! The live read model keeps serving while the rebuild runs. The swap is
//! two schema renames in one transaction; it needs the live projection's
//! lock, so the live runner must be stopped for it (it resumes from the
//! rebuilt model's offsets when started again).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::{Connection, PgPool};
use time::macros::format_description;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_domain::value::Timestamp;
use wavestack_schemas::{Codec, SchemaIds};

use crate::runtime::{
    check_schema_name, high_watermarks, live_schema, Projection, ProjectionRunner, ProjectionStore, RunnerConfig,
    SWAP_LOCK,
};

mod from_store;

/// Where a replay reads the events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReplaySource {
    /// The `events` table, in `(transaction id, position)` order.
    #[default]
    Store,
    /// The Kafka topics from offset 0.
    Log,
}

impl ReplaySource {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        match raw {
            "store" => Ok(Self::Store),
            "log" => Ok(Self::Log),
            other => bail!("unknown source `{other}`: store or log"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Schema to rebuild into; a fresh name when absent. Must not exist.
    pub into: Option<String>,
    /// Apply only events that occurred at or before this instant.
    pub until: Option<Timestamp>,
    /// Make the rebuilt model the live one when done.
    pub swap: bool,
    pub source: ReplaySource,
}

#[derive(Debug, Clone)]
pub struct ReplayReport {
    pub schema: String,
    pub events_applied: u64,
    pub records_read: u64,
    pub elapsed: Duration,
    /// Where the previous live model went, if swapped.
    pub retired: Option<String>,
}

pub async fn replay<P: Projection>(
    pool: &PgPool,
    kafka: &KafkaConfig,
    schema_ids: &SchemaIds,
    projection: P,
    options: ReplayOptions,
    mut progress: impl FnMut(u64, u64, Duration),
) -> anyhow::Result<ReplayReport> {
    let live = live_schema(projection.name());
    let stamp = OffsetDateTime::now_utc().format(format_description!("[year][month][day]_[hour][minute][second]"))?;
    let schema = options.into.clone().unwrap_or_else(|| format!("{live}_replay_{stamp}"));
    check_schema_name(&schema)?;
    if schema == live.as_str() {
        bail!("replay into a fresh schema, not the live one ({live})");
    }
    if options.swap && options.until.is_some() {
        bail!("an \"as of\" model (--until) is for analysis; it cannot replace the live one (--swap)");
    }
    let exists: bool =
        sqlx::query_scalar("SELECT to_regnamespace($1) IS NOT NULL").bind(&schema).fetch_one(pool).await?;
    if exists {
        bail!("schema {schema} already exists; choose another --into or drop it");
    }

    let started = Instant::now();
    let (records_read, events_applied) = match options.source {
        ReplaySource::Log => {
            let targets = high_watermarks(kafka, &projection.topics()).await?;
            let config = RunnerConfig {
                schema: schema.clone(),
                until: options.until,
                ..RunnerConfig::for_projection(&projection)
            };
            let codec = Codec::with_schema_ids(schema_ids)?;
            let mut runner = ProjectionRunner::start(pool, kafka, codec, projection, config, &CancellationToken::new())
                .await?
                .context("the fresh schema's lock is held by someone else")?;
            let mut records_read = 0;
            let events_applied = runner
                .apply_to_end(targets, |done, total| {
                    records_read = done;
                    progress(done, total, started.elapsed());
                })
                .await?;
            (records_read, events_applied)
        }
        ReplaySource::Store => {
            // Read before the snapshot (see `from_store`). Without them a
            // runner on the model reads the log from its start, skipping
            // what it has: slower, as exact; so only a swap needs them.
            let handover = match high_watermarks(kafka, &projection.topics()).await {
                Ok(marks) => marks,
                Err(error) if !options.swap => {
                    tracing::warn!(error = format!("{error:#}"), "no broker: the rebuilt model keeps no offsets");
                    Default::default()
                }
                Err(error) => return Err(error.context("reading the topics' ends for the swap")),
            };
            let mut store = ProjectionStore::lock(pool, &schema, &CancellationToken::new())
                .await?
                .context("the fresh schema's lock is held by someone else")?;
            store.create_unlogged(&projection.create_tables(&schema)).await?;
            let applied = from_store::apply_from_store(
                pool,
                &mut store,
                &projection,
                options.until,
                &handover,
                started,
                &mut progress,
            )
            .await?;
            store.make_logged().await?;
            (applied.read, applied.applied)
        }
    };
    let retired = if options.swap { Some(swap(pool, &live, &schema, &stamp).await?) } else { None };
    Ok(ReplayReport { schema, events_applied, records_read, elapsed: started.elapsed(), retired })
}

/// How long a swap waits for the live runner to step aside.
const STEP_ASIDE: Duration = Duration::from_secs(60);

/// Renames live → retired and rebuilt → live in one transaction, holding
/// the live projection's lock so no runner writes meanwhile. A running live
/// runner is asked to step aside (the swap lock, see `ProjectionStore`) and
/// waits until the swap is done; it then carries on from the swapped-in
/// model's offsets.
async fn swap(pool: &PgPool, live: &str, rebuilt: &str, stamp: &str) -> anyhow::Result<String> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query(&format!("SELECT pg_advisory_lock({SWAP_LOCK})")).bind(live).execute(&mut conn).await?;
    let asked = Instant::now();
    loop {
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended('wavestack.projection:' || $1, 0))")
                .bind(live)
                .fetch_one(&mut conn)
                .await?;
        if locked {
            break;
        }
        if asked.elapsed() > STEP_ASIDE {
            conn.close().await?;
            bail!(
                "the live projection did not give {live}'s lock up within {} s; the rebuilt model is in {rebuilt}",
                STEP_ASIDE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let retired = format!("{live}_retired_{stamp}");
    let mut tx = conn.begin().await?;
    let live_exists: bool =
        sqlx::query_scalar("SELECT to_regnamespace($1) IS NOT NULL").bind(live).fetch_one(&mut *tx).await?;
    if live_exists {
        sqlx::query(&format!("ALTER SCHEMA {live} RENAME TO {retired}")).execute(&mut *tx).await?;
    }
    sqlx::query(&format!("ALTER SCHEMA {rebuilt} RENAME TO {live}")).execute(&mut *tx).await?;
    tx.commit().await.context("swapping the rebuilt read model in")?;
    // Ending the session gives both locks back: the runner starts again.
    conn.close().await?;
    Ok(retired)
}
