//! Runs commands through cqrs-es on the postgres-es event store and answers
//! with the sequence written, which the API returns for read-your-writes.
//!
//! Why not `CqrsFramework::execute`: it returns `()`, and its `handle` applies
//! events through the `EventSink` before the snapshot store applies them
//! again while building the snapshot (cqrs-es 0.5), double-counting points.
//! Here `decide` runs on the loaded state and only `commit` applies events.

use std::time::Duration;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, EventStore};
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;
use wavestack_domain::chat::{ChatState, PointsPolicy};
use wavestack_domain::clip::{ClipPolicy, ClipState};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::publication::{PublicationPolicy, PublicationState};
use wavestack_domain::Decider;

/// Chat streams grow with every message; a snapshot every 100 events keeps
/// loading a viewer cheap.
const CHAT_SNAPSHOT_EVERY: usize = 100;

/// Two processes writing one stream at once: the loser reloads and decides
/// again. Within a process, `StreamLocks` keeps writers from racing at all.
const CONFLICT_RETRIES: usize = 10;

/// Striped per-stream locks: commands on one stream run one after another in
/// this process (a chat burst from one viewer would otherwise be a herd of
/// optimistic-lock conflicts), while different streams run in parallel.
struct StreamLocks(Vec<tokio::sync::Mutex<()>>);

impl StreamLocks {
    const STRIPES: usize = 1024;

    fn new() -> Self {
        Self((0..Self::STRIPES).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    fn for_stream(&self, aggregate_id: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(aggregate_id);
        &self.0[(hash as usize) % Self::STRIPES]
    }
}

/// A command the store accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub aggregate_id: String,
    /// The stream's sequence after the command: wait for read models to
    /// reach it to read your own write.
    pub sequence: u64,
    /// 0 when the command changed nothing (a redelivery, an idempotent retry).
    pub events_written: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command: the client's mistake or a rule.
    #[error(transparent)]
    Rejected(E),
    /// Still conflicting after retries: the stream is too hot right now.
    #[error("the stream kept changing under the command; retry later")]
    Conflict,
    #[error("event store: {0}")]
    Store(String),
}

/// The command path of one aggregate type.
pub struct AggregateBus<A: Aggregate + Decider> {
    store: PersistedEventStore<PostgresEventRepository, A>,
    policy: <A as Decider>::Policy,
    locks: StreamLocks,
}

impl<A> AggregateBus<A>
where
    A: Aggregate + Decider<Event = <A as Aggregate>::Event, Error = <A as Aggregate>::Error>,
    <A as Decider>::Command: Clone,
    <A as Decider>::Policy: Send + Sync,
{
    fn new(store: PersistedEventStore<PostgresEventRepository, A>, policy: <A as Decider>::Policy) -> Self {
        Self { store, policy, locks: StreamLocks::new() }
    }

    #[tracing::instrument(skip_all, fields(aggregate = A::TYPE, aggregate_id = aggregate_id))]
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: <A as Decider>::Command,
        metadata: &EventMetadata,
    ) -> Result<Accepted, CommandError<<A as Aggregate>::Error>> {
        let _serialized = self.locks.for_stream(aggregate_id).lock().await;
        let mut backoff = Duration::from_millis(2);
        for _ in 0..CONFLICT_RETRIES {
            let context = self.store.load_aggregate(aggregate_id).await.map_err(store_error)?;
            let current = context.current_sequence as u64;
            let events = context.aggregate.decide(command.clone(), &self.policy).map_err(CommandError::Rejected)?;
            if events.is_empty() {
                return Ok(Accepted { aggregate_id: aggregate_id.to_owned(), sequence: current, events_written: 0 });
            }
            let written = events.len();
            match self.store.commit(events, context, metadata.to_map()).await {
                Ok(committed) => {
                    let sequence = committed.last().map_or(current, |e| e.sequence as u64);
                    return Ok(Accepted { aggregate_id: aggregate_id.to_owned(), sequence, events_written: written });
                }
                Err(AggregateError::AggregateConflict) => {
                    // Full jitter, so racing processes do not collide again in step.
                    let pause = backoff.mul_f64(fastrand::f64());
                    tokio::time::sleep(pause).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
                Err(other) => return Err(store_error(other)),
            }
        }
        Err(CommandError::Conflict)
    }

    /// The stream's current state, as the next command would see it.
    pub async fn load(&self, aggregate_id: &str) -> Result<A, CommandError<<A as Aggregate>::Error>> {
        let context = self.store.load_aggregate(aggregate_id).await.map_err(store_error)?;
        Ok(context.aggregate)
    }
}

fn store_error<E: std::error::Error>(err: AggregateError<E>) -> CommandError<E> {
    match err {
        AggregateError::UserError(e) => CommandError::Rejected(e),
        AggregateError::AggregateConflict => CommandError::Conflict,
        other => CommandError::Store(other.to_string()),
    }
}

/// Every command family's path, sharing one pool.
pub struct CommandBus {
    pub chat: AggregateBus<ChatState>,
    pub clip: AggregateBus<ClipState>,
    pub publication: AggregateBus<PublicationState>,
}

#[derive(Debug, Clone, Default)]
pub struct Policies {
    pub points: PointsPolicy,
    pub clip: ClipPolicy,
    pub publication: PublicationPolicy,
}

impl CommandBus {
    pub fn new(pool: PgPool, policies: Policies) -> Self {
        let repo = || PostgresEventRepository::new(pool.clone());
        Self {
            chat: AggregateBus::new(
                PersistedEventStore::new_snapshot_store(repo(), CHAT_SNAPSHOT_EVERY),
                policies.points,
            ),
            clip: AggregateBus::new(PersistedEventStore::new_event_store(repo()), policies.clip),
            publication: AggregateBus::new(PersistedEventStore::new_event_store(repo()), policies.publication),
        }
    }
}
