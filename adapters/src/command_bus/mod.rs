//! Runs commands through the domain's deciders on the postgres-es event
//! store and answers with the sequence written, which the API returns for
//! read-your-writes.
//!
//! Why not `CqrsFramework::execute`: it returns `()`, and its `handle` applies
//! events through the `EventSink` before the snapshot store applies them
//! again while building the snapshot (cqrs-es 0.5), double-counting points.
//! Here `decide` runs on the loaded state and only a committed write changes
//! the state kept.
//!
//! Why not one `commit` per command: a batch of chat is hundreds of viewers,
//! and one transaction per message made the commit (the WAL flush) the
//! bottleneck of ingest. A batch is decided stream by stream and written in
//! one statement (`append`), with each stream's last written state kept in
//! memory (`cache`) so that a chatty viewer is not read back per message.

mod cache;
mod fresh_reads;
mod locks;
mod store_error;

use std::collections::HashSet;
use std::time::Duration;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, DomainEvent, EventStore};
use futures::stream::{self, StreamExt, TryStreamExt};
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;
use wavestack_domain::broadcast::BroadcastState;
use wavestack_domain::channel::ChannelState;
use wavestack_domain::chat::ChatState;
use wavestack_domain::chat_command::CommandUseState;
use wavestack_domain::clip::{ClipPolicy, ClipState};
use wavestack_domain::delivery::DeliveryState;
use wavestack_domain::giveaway::GiveawayState;
use wavestack_domain::identity::IdentityState;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::poll::PollState;
use wavestack_domain::publication::{PublicationPolicy, PublicationState};
use wavestack_domain::team::TeamState;
use wavestack_domain::Decider;

pub use self::cache::Footprint;
use self::cache::{Loaded, StateCache};
pub use self::fresh_reads::FreshReads;
use self::locks::StreamLocks;
pub use self::store_error::StoreError;
use crate::event_store::append::{append, AppendError, EventRow, SnapshotRow, StreamRows};
use crate::event_store::reads::{held_once_keys, payload_with_once_key, stream_written_up_to};
use crate::writer::{Writer, WRITER};

/// (aggregate id, once key): a settlement the store holds.
type OnceKey = (String, String);

/// Chat streams grow with every message; a snapshot every 100 events keeps
/// loading a viewer cheap.
const CHAT_SNAPSHOT_EVERY: usize = 100;

/// Settings are read on every chat command: a snapshot every 20 changes
/// keeps that one short read.
const CHANNEL_SNAPSHOT_EVERY: usize = 20;

/// A popular command is used thousands of times a stream.
const COMMAND_USE_SNAPSHOT_EVERY: usize = 100;

/// A giveaway holds every entry; a snapshot every 100 keeps a
/// thousand-entrant giveaway one short read.
const GIVEAWAY_SNAPSHOT_EVERY: usize = 100;

/// A poll holds every person's vote.
const POLL_SNAPSHOT_EVERY: usize = 100;

/// A team's stream grows with every overlay key issued and revoked; a
/// snapshot every 20 keeps reading who may open what one short read.
const TEAM_SNAPSHOT_EVERY: usize = 20;
/// A channel's broadcast: a busy channel's follows and cheers run to
/// thousands, and each record reads the stream.
const BROADCAST_SNAPSHOT_EVERY: usize = 100;
/// A channel's deliveries: two events per reply or action, for as long as
/// the channel is connected; the state is only what is in flight.
const DELIVERY_SNAPSHOT_EVERY: usize = 100;

/// Two processes writing one stream at once: the loser reloads and decides
/// again. Within a process, `StreamLocks` keeps writers from racing at all.
const CONFLICT_RETRIES: usize = 10;

/// Streams of one batch read from Postgres at once when not cached.
const LOAD_CONCURRENCY: usize = 16;

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
    #[error("event store")]
    Store(#[source] StoreError),
}

impl<E: std::error::Error> CommandError<E> {
    /// Whether the same command may succeed if tried again: a conflict, or
    /// a store that could not be reached. A refusal never.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Rejected(_) => false,
            Self::Conflict => true,
            Self::Store(error) => error.is_transient(),
        }
    }
}

/// What a command came to.
pub type Outcome<A> = Result<Accepted, CommandError<<A as Aggregate>::Error>>;

/// A command the store accepted, with the events it wrote: for callers
/// that act on what was decided (the bot's brain answering chat).
#[derive(Debug, Clone, PartialEq)]
pub struct Written<E> {
    pub accepted: Accepted,
    pub events: Vec<E>,
}

/// What a command came to, with its events.
pub type WrittenOutcome<A> = Result<Written<<A as Aggregate>::Event>, CommandError<<A as Aggregate>::Error>>;

/// The command path of one aggregate type.
pub struct AggregateBus<A: Aggregate + Decider + Footprint + Clone> {
    store: PersistedEventStore<PostgresEventRepository, A>,
    pool: PgPool,
    snapshot_every: Option<usize>,
    policy: <A as Decider>::Policy,
    locks: StreamLocks,
    cache: StateCache<A>,
    /// Named in every event written, so that the settlers know whether the
    /// process that began a move can still finish it.
    writer: Writer,
}

impl<A: Aggregate + Decider + Footprint + Clone> std::fmt::Debug for AggregateBus<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregateBus").finish_non_exhaustive()
    }
}

/// One stream's commands decided: what to write and what to answer.
struct Decided<A: Aggregate> {
    aggregate_id: String,
    /// The stream as it is once the events are written.
    after: Loaded<A>,
    events: Vec<EventRow>,
    snapshot: Option<SnapshotRow>,
    outcomes: Vec<WrittenOutcome<A>>,
}

enum Decision<A: Aggregate> {
    Decided(Decided<A>),
    /// A command was refused or changed nothing on a cached state, which may
    /// be stale: decide again on the stream as the store holds it.
    Recheck,
}

impl<A> AggregateBus<A>
where
    A: Aggregate + Decider<Event = <A as Aggregate>::Event, Error = <A as Aggregate>::Error> + Footprint + Clone,
    <A as Decider>::Command: Clone,
    <A as Decider>::Policy: Send + Sync,
{
    fn new(pool: PgPool, snapshot_every: Option<usize>, policy: <A as Decider>::Policy, writer: Writer) -> Self {
        let repo = PostgresEventRepository::new(pool.clone());
        let store = match snapshot_every {
            Some(every) => PersistedEventStore::new_snapshot_store(repo, every),
            None => PersistedEventStore::new_event_store(repo),
        };
        Self { store, pool, snapshot_every, policy, locks: StreamLocks::new(), cache: StateCache::new(), writer }
    }

    #[tracing::instrument(skip_all, fields(aggregate = A::TYPE, aggregate_id = aggregate_id))]
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: <A as Decider>::Command,
        metadata: &EventMetadata,
    ) -> Outcome<A> {
        self.execute_written(aggregate_id, command, metadata).await.map(|written| written.accepted)
    }

    /// `execute`, answering with the events written too.
    pub async fn execute_written(
        &self,
        aggregate_id: &str,
        command: <A as Decider>::Command,
        metadata: &EventMetadata,
    ) -> WrittenOutcome<A> {
        let mut outcomes = self.execute_batch_written(vec![(aggregate_id.to_owned(), vec![command])], metadata).await;
        match outcomes.pop().and_then(|mut stream| stream.pop()) {
            Some(outcome) => outcome,
            None => Err(CommandError::Store(StoreError::NoOutcome)),
        }
    }

    /// Many streams' commands, each stream's in order, written together: all
    /// of them or (on a store failure) none. The outcomes come back in the
    /// order given, one per command.
    pub async fn execute_batch(
        &self,
        streams: Vec<(String, Vec<<A as Decider>::Command>)>,
        metadata: &EventMetadata,
    ) -> Vec<Vec<Outcome<A>>> {
        let written = self.execute_batch_written(streams, metadata).await;
        written.into_iter().map(|stream| stream.into_iter().map(|o| o.map(|w| w.accepted)).collect()).collect()
    }

    /// `execute_batch`, answering with each command's events too.
    #[tracing::instrument(skip_all, fields(aggregate = A::TYPE, streams = streams.len()))]
    pub async fn execute_batch_written(
        &self,
        streams: Vec<(String, Vec<<A as Decider>::Command>)>,
        metadata: &EventMetadata,
    ) -> Vec<Vec<WrittenOutcome<A>>> {
        let stripes = StreamLocks::stripes(streams.iter().map(|(id, _)| id.as_str()));
        let _serialized = self.locks.lock_all(stripes).await;
        let mut metadata = metadata.to_map();
        if let Some(writer) = self.writer.id() {
            metadata.insert(WRITER.to_owned(), writer.to_string());
        }
        let metadata = match serde_json::to_string(&metadata) {
            Ok(json) => json,
            Err(error) => {
                let error = StoreError::encode("the metadata", error);
                return fail_all(&streams, || CommandError::Store(error.clone()));
            }
        };
        let mut backoff = Duration::from_millis(2);
        // Once keys found held after a write repeated one: the commands that
        // would settle them again change nothing on the next attempt.
        let mut settled: HashSet<OnceKey> = HashSet::new();
        for _ in 0..CONFLICT_RETRIES {
            let decided = match self.decide_all(&streams, &settled).await {
                Ok(decided) => decided,
                Err(error) => return fail_all(&streams, || CommandError::Store(error.clone())),
            };
            let rows: Vec<StreamRows<'_>> = decided
                .iter()
                .filter(|d| !d.events.is_empty())
                .map(|d| StreamRows {
                    aggregate_id: &d.aggregate_id,
                    first_sequence: d.after.sequence + 1 - d.events.len(),
                    events: &d.events,
                    snapshot: d.snapshot.as_ref(),
                })
                .collect();
            let appended = if rows.is_empty() { Ok(()) } else { append(&self.pool, A::TYPE, &rows, &metadata).await };
            drop(rows);
            match appended {
                Ok(()) => {
                    return decided
                        .into_iter()
                        .map(|d| {
                            self.cache.put(d.aggregate_id, d.after);
                            d.outcomes
                        })
                        .collect();
                }
                // The states decided on were taken out of the cache and are
                // dropped here: the next attempt reads every stream afresh.
                Err(AppendError::Conflict) => {
                    // Full jitter, so racing processes do not collide again in step.
                    tokio::time::sleep(backoff.mul_f64(fastrand::f64())).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
                // Something was settled before, longer ago than the state
                // remembers (or by a writer that got there first): learn
                // which, and decide again without it.
                Err(AppendError::Settled) => match self.held(&decided).await {
                    Ok(held) if held.iter().any(|key| !settled.contains(key)) => settled.extend(held),
                    Ok(_) => tokio::time::sleep(backoff.mul_f64(fastrand::f64())).await,
                    Err(error) => {
                        let error = StoreError::Write(std::sync::Arc::new(error));
                        return fail_all(&streams, || CommandError::Store(error.clone()));
                    }
                },
                Err(AppendError::Store(error)) => {
                    let error = StoreError::Write(std::sync::Arc::new(error));
                    return fail_all(&streams, || CommandError::Store(error.clone()));
                }
            }
        }
        fail_all(&streams, || CommandError::Conflict)
    }

    /// Which once keys of a refused write the store holds.
    async fn held(&self, decided: &[Decided<A>]) -> sqlx::Result<Vec<OnceKey>> {
        let keys: Vec<(&str, &str)> = decided
            .iter()
            .flat_map(|d| d.events.iter().filter_map(|e| Some((d.aggregate_id.as_str(), e.once_key.as_deref()?))))
            .collect();
        held_once_keys(&self.pool, A::TYPE, &keys).await
    }

    /// The event that settled `once_key` in the stream, if one did: what a
    /// settlement asks when the state no longer remembers (its memory of
    /// what it settled is bounded; the store's is not).
    pub async fn settled_by(
        &self,
        aggregate_id: &str,
        once_key: &str,
    ) -> Result<Option<<A as Aggregate>::Event>, CommandError<<A as Aggregate>::Error>> {
        let payload = payload_with_once_key(&self.pool, A::TYPE, aggregate_id, once_key)
            .await
            .map_err(|e| CommandError::Store(StoreError::query(aggregate_id, e)))?;
        payload
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| CommandError::Store(StoreError::decode(aggregate_id, e)))
    }

    /// The stream's current state, as the next command would see it.
    ///
    /// One look-up of how far the store has the stream written; the state
    /// this process last wrote or read is used when it is at that sequence
    /// (a state is its events, and events are never changed), and the
    /// stream is read whole otherwise. Chat reads its channel's settings on
    /// every message, and `!points` its viewer: reading them whole each
    /// time (a snapshot and the events after it, parsed from JSON) was a
    /// third of the store's reads under chat load.
    pub async fn load(&self, aggregate_id: &str) -> Result<A, CommandError<<A as Aggregate>::Error>> {
        let written = stream_written_up_to(&self.pool, A::TYPE, aggregate_id)
            .await
            .map_err(|e| CommandError::Store(StoreError::query(aggregate_id, e)))?;
        if let Some(kept) = self.cache.peek(aggregate_id).filter(|kept| kept.sequence == written) {
            return Ok(kept.state);
        }
        let context = self.store.load_aggregate(aggregate_id).await.map_err(|e| store_error(aggregate_id, e))?;
        let state = context.aggregate.clone();
        self.cache.keep_read(
            aggregate_id,
            Loaded {
                state: context.aggregate,
                sequence: context.current_sequence,
                snapshot: context.current_snapshot,
                fresh: false,
            },
        );
        Ok(state)
    }

    async fn decide_all(
        &self,
        streams: &[(String, Vec<<A as Decider>::Command>)],
        settled: &HashSet<OnceKey>,
    ) -> Result<Vec<Decided<A>>, StoreError> {
        // Owned ids: a closure over borrowed ones makes the future too
        // lifetime-generic for axum's `Send` check.
        let ids: Vec<String> = streams.iter().map(|(id, _)| id.clone()).collect();
        let loaded: Vec<Loaded<A>> =
            stream::iter(ids).map(|id| self.cached_or_load(id)).buffered(LOAD_CONCURRENCY).try_collect().await?;
        let mut decided = Vec::with_capacity(streams.len());
        for ((id, commands), mut loaded) in streams.iter().zip(loaded) {
            // Loops at most twice: a fresh state is never rechecked.
            loop {
                match self.decide_stream(id, loaded, commands, settled)? {
                    Decision::Decided(stream) => {
                        decided.push(stream);
                        break;
                    }
                    Decision::Recheck => loaded = self.load_fresh(id).await?,
                }
            }
        }
        Ok(decided)
    }

    fn decide_stream(
        &self,
        aggregate_id: &str,
        mut loaded: Loaded<A>,
        commands: &[<A as Decider>::Command],
        settled: &HashSet<OnceKey>,
    ) -> Result<Decision<A>, StoreError> {
        let settled_before = |event: &<A as Aggregate>::Event| {
            !settled.is_empty()
                && A::once_key(event).is_some_and(|key| settled.contains(&(aggregate_id.to_owned(), key)))
        };
        let mut events = Vec::new();
        let mut outcomes = Vec::with_capacity(commands.len());
        for command in commands {
            let current = loaded.sequence + events.len();
            let accepted = |sequence: usize, written: usize| Accepted {
                aggregate_id: aggregate_id.to_owned(),
                sequence: sequence as u64,
                events_written: written,
            };
            match loaded.state.decide(command.clone(), &self.policy) {
                // The store holds what it would settle: as a redelivery, it
                // changes nothing (the state loaded includes that event).
                Ok(new) if new.iter().any(settled_before) => {
                    outcomes.push(Ok(Written { accepted: accepted(current, 0), events: vec![] }))
                }
                Ok(new) if !new.is_empty() => {
                    for event in &new {
                        events.push(EventRow {
                            event_type: event.event_type(),
                            event_version: event.event_version(),
                            payload: serde_json::to_string(event).map_err(|e| StoreError::encode("an event", e))?,
                            once_key: A::once_key(event),
                        });
                        loaded.state.evolve(event);
                    }
                    outcomes.push(Ok(Written { accepted: accepted(current + new.len(), new.len()), events: new }));
                }
                _ if !loaded.fresh => return Ok(Decision::Recheck),
                Ok(_) => outcomes.push(Ok(Written { accepted: accepted(current, 0), events: vec![] })),
                Err(refused) => outcomes.push(Err(CommandError::Rejected(refused))),
            }
        }
        let before = loaded.sequence;
        loaded.sequence += events.len();
        // A snapshot each time the stream passes a multiple of the interval,
        // of the state after the whole batch (any sequence is a valid one).
        let snapshot = match self.snapshot_every {
            Some(every) if before / every < loaded.sequence / every => {
                let version = loaded.snapshot.map_or(1, |v| v + 1);
                loaded.snapshot = Some(version);
                let payload = serde_json::to_string(&loaded.state).map_err(|e| StoreError::encode("a snapshot", e))?;
                Some(SnapshotRow { last_sequence: loaded.sequence, payload, version })
            }
            _ => None,
        };
        Ok(Decision::Decided(Decided {
            aggregate_id: aggregate_id.to_owned(),
            after: loaded,
            events,
            snapshot,
            outcomes,
        }))
    }

    async fn cached_or_load(&self, aggregate_id: String) -> Result<Loaded<A>, StoreError> {
        match self.cache.take(&aggregate_id) {
            Some(cached) => Ok(cached),
            None => self.load_fresh(&aggregate_id).await,
        }
    }

    async fn load_fresh(&self, aggregate_id: &str) -> Result<Loaded<A>, StoreError> {
        let context = self.store.load_aggregate(aggregate_id).await.map_err(|e| StoreError::load(aggregate_id, e))?;
        Ok(Loaded {
            state: context.aggregate,
            sequence: context.current_sequence,
            snapshot: context.current_snapshot,
            fresh: true,
        })
    }
}

fn fail_all<C, T, E: std::error::Error>(
    streams: &[(String, Vec<C>)],
    error: impl Fn() -> CommandError<E>,
) -> Vec<Vec<Result<T, CommandError<E>>>> {
    streams.iter().map(|(_, commands)| commands.iter().map(|_| Err(error())).collect()).collect()
}

fn store_error<E: std::error::Error>(stream: &str, err: AggregateError<E>) -> CommandError<E> {
    match err {
        AggregateError::UserError(e) => CommandError::Rejected(e),
        AggregateError::AggregateConflict => CommandError::Conflict,
        other => CommandError::Store(StoreError::load(stream, other)),
    }
}

/// A stream's state as the store holds it, for read routes that show an
/// aggregate whole (a channel's settings: small, and read rarely) and for
/// access decisions that must not lag (a dashboard's team and its keys).
pub async fn read_state<A: Aggregate>(pool: &PgPool, aggregate_id: &str) -> Result<A, StoreError> {
    Ok(read_state_at(pool, aggregate_id).await?.0)
}

/// The stream's state and the sequence it was read at.
pub(crate) async fn read_state_at<A: Aggregate>(pool: &PgPool, aggregate_id: &str) -> Result<(A, usize), StoreError> {
    let repo = PostgresEventRepository::new(pool.clone());
    // The snapshot size only matters to writes; reads take any snapshot.
    let store: PersistedEventStore<PostgresEventRepository, A> = PersistedEventStore::new_snapshot_store(repo, 1);
    let context = store.load_aggregate(aggregate_id).await.map_err(|e| StoreError::load(aggregate_id, e))?;
    Ok((context.aggregate, context.current_sequence))
}

/// Every command family's path, sharing one pool.
pub struct CommandBus {
    pub chat: AggregateBus<ChatState>,
    pub clip: AggregateBus<ClipState>,
    pub publication: AggregateBus<PublicationState>,
    pub channel: AggregateBus<ChannelState>,
    pub command_use: AggregateBus<CommandUseState>,
    pub giveaway: AggregateBus<GiveawayState>,
    pub poll: AggregateBus<PollState>,
    pub identity: AggregateBus<IdentityState>,
    pub team: AggregateBus<TeamState>,
    pub broadcast: AggregateBus<BroadcastState>,
    pub delivery: AggregateBus<DeliveryState>,
}

impl std::fmt::Debug for CommandBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandBus").finish_non_exhaustive()
    }
}

/// Deployment-wide rules. Points are the channel's own (its settings).
#[derive(Debug, Clone, Default)]
pub struct Policies {
    pub clip: ClipPolicy,
    pub publication: PublicationPolicy,
}

impl CommandBus {
    /// A bus whose events name no writer: for tools, and for tests that
    /// stand in for a process killed mid-way.
    pub fn new(pool: PgPool, policies: Policies) -> Self {
        Self::with_writer(pool, policies, Writer::none())
    }

    /// A bus whose events name this process's lease (`Writer::lease`).
    pub fn with_writer(pool: PgPool, policies: Policies, writer: Writer) -> Self {
        let w = || writer.clone();
        Self {
            chat: AggregateBus::new(pool.clone(), Some(CHAT_SNAPSHOT_EVERY), (), w()),
            clip: AggregateBus::new(pool.clone(), None, policies.clip, w()),
            publication: AggregateBus::new(pool.clone(), None, policies.publication, w()),
            channel: AggregateBus::new(pool.clone(), Some(CHANNEL_SNAPSHOT_EVERY), (), w()),
            command_use: AggregateBus::new(pool.clone(), Some(COMMAND_USE_SNAPSHOT_EVERY), (), w()),
            giveaway: AggregateBus::new(pool.clone(), Some(GIVEAWAY_SNAPSHOT_EVERY), (), w()),
            poll: AggregateBus::new(pool.clone(), Some(POLL_SNAPSHOT_EVERY), (), w()),
            identity: AggregateBus::new(pool.clone(), None, (), w()),
            team: AggregateBus::new(pool.clone(), Some(TEAM_SNAPSHOT_EVERY), (), w()),
            broadcast: AggregateBus::new(pool.clone(), Some(BROADCAST_SNAPSHOT_EVERY), (), writer.clone()),
            delivery: AggregateBus::new(pool, Some(DELIVERY_SNAPSHOT_EVERY), (), writer),
        }
    }

    /// The lease the events are written under.
    pub fn writer(&self) -> &Writer {
        &self.chat.writer
    }
}
