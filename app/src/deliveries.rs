//! What a gateway carries out on a platform, recorded in the channel's
//! deliveries stream (`domain::delivery`): started before the platform is
//! called, settled with its answer after. A delivery started before, by
//! this process or by one that died, is not carried out again: that is how
//! a reply is never posted twice, even across a crash.
//!
//! Records are written by one recorder per process, in group commits: what
//! every channel asked for while the previous write was in flight goes in
//! the next one, one transaction for all of it. A start is awaited (the
//! platform is called only once it is recorded); a settlement is not (it
//! goes with the next group). So a reply costs its channel one shared
//! write before it leaves, not two writes of its own: the first version of
//! this, a transaction per start and per settlement queued per channel,
//! slowed the chat → reply path a hundredfold.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};
use wavestack_adapters::command_bus::{CommandBus, CommandError};
use wavestack_domain::delivery::{DeliveryCommand, DeliveryError, DeliveryKind, Outcome};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{
    ActorId, ChannelId, ChatPlatform, DeliveryStreamId, MessageId, OrgId, PlatformUserId, Timestamp,
};

/// Most records in one group commit.
const MOST_PER_GROUP: usize = 1_000;

/// One reply or action about to leave for the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Derived from the decision it carries out (`delivery_id`).
    pub id: String,
    pub kind: DeliveryKind,
    pub message_id: Option<MessageId>,
    pub user_id: Option<PlatformUserId>,
    /// The reply, or the reason given with an action.
    pub text: String,
}

/// The id of the `n`th thing the bot said or did about the chat message
/// recorded at `sequence` of the viewer `user_id`'s stream: one decision,
/// one id, whichever process carries it out.
pub fn delivery_id(user_id: &str, sequence: u64, n: usize) -> String {
    format!("{user_id}#{sequence}/{n}")
}

/// Who records, and where: the gateway's actor in one org's channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Carrier {
    pub org: OrgId,
    pub actor: ActorId,
    pub platform: ChatPlatform,
    pub channel: ChannelId,
}

impl Carrier {
    fn stream(&self) -> DeliveryStreamId {
        DeliveryStreamId::new(&self.org, self.platform, &self.channel)
    }
}

/// Why a record was not written.
pub type RecordError = CommandError<DeliveryError>;

struct Queued {
    carrier: Carrier,
    command: DeliveryCommand,
    /// Told whether the command wrote events (a start: whether it is new).
    done: Option<oneshot::Sender<Result<usize, RecordError>>>,
}

/// The process's recorder of deliveries (cheap to clone; one task behind).
#[derive(Clone)]
pub struct Deliveries {
    bus: Arc<CommandBus>,
    queue: Arc<OnceLock<mpsc::UnboundedSender<Queued>>>,
}

impl std::fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deliveries")
    }
}

impl Deliveries {
    /// The recorder's task starts with the first record.
    pub(crate) fn new(bus: Arc<CommandBus>) -> Self {
        Self { bus, queue: Arc::new(OnceLock::new()) }
    }

    fn queue(&self) -> &mpsc::UnboundedSender<Queued> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(record(self.bus.clone(), rx));
            tx
        })
    }

    async fn write(&self, carrier: &Carrier, command: DeliveryCommand) -> Result<usize, RecordError> {
        let (done, written) = oneshot::channel();
        let queued = Queued { carrier: carrier.clone(), command, done: Some(done) };
        self.queue().send(queued).map_err(|_| no_recorder())?;
        written.await.map_err(|_| no_recorder())?
    }

    /// Records that `delivery` is leaving, once it is written; `false` if it
    /// was started before (it must not be carried out again).
    pub async fn start(&self, carrier: &Carrier, delivery: Delivery, at: Timestamp) -> Result<bool, RecordError> {
        let command = DeliveryCommand::Start {
            delivery: delivery.id,
            kind: delivery.kind,
            message_id: delivery.message_id,
            user_id: delivery.user_id,
            text: delivery.text,
            at,
        };
        Ok(self.write(carrier, command).await? > 0)
    }

    /// Records how a started delivery ended, with the next group; a write
    /// that fails is logged (the delivery then reads as of unknown fate to
    /// the channel's next carrier, never as not carried out).
    pub fn settle(&self, carrier: &Carrier, delivery: &str, outcome: Outcome, at: Timestamp) {
        let command = DeliveryCommand::Settle { delivery: delivery.to_owned(), outcome, at };
        let queued = Queued { carrier: carrier.clone(), command, done: None };
        if self.queue().send(queued).is_err() {
            tracing::error!(delivery, "the deliveries' recorder is gone; an outcome is not recorded");
        }
    }

    /// Taking a channel over: what the previous carrier left unsettled is of
    /// unknown fate. Returns how many deliveries that was.
    pub async fn give_up_unsettled(&self, carrier: &Carrier, at: Timestamp) -> Result<usize, RecordError> {
        self.write(carrier, DeliveryCommand::GiveUpUnsettled { at }).await
    }
}

fn no_recorder() -> RecordError {
    CommandError::Store(wavestack_adapters::command_bus::StoreError::NoOutcome)
}

/// The recorder: writes what is queued in group commits until every
/// sender is gone.
async fn record(bus: Arc<CommandBus>, mut queue: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < MOST_PER_GROUP {
            match queue.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        // One write per org and actor (an event's metadata is the write's);
        // in practice one.
        let mut by_writer: HashMap<(OrgId, ActorId), Vec<Queued>> = HashMap::new();
        for queued in group {
            by_writer.entry((queued.carrier.org.clone(), queued.carrier.actor.clone())).or_default().push(queued);
        }
        for ((org, actor), queued) in by_writer {
            write_group(&bus, org, actor, queued).await;
        }
    }
}

/// One transaction for a group: each stream's commands in the order they
/// were queued, each answer to its waiter.
async fn write_group(bus: &CommandBus, org: OrgId, actor: ActorId, queued: Vec<Queued>) {
    let mut streams: Vec<(String, Vec<DeliveryCommand>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut places = Vec::with_capacity(queued.len());
    let mut waiters = Vec::with_capacity(queued.len());
    for Queued { carrier, command, done } in queued {
        let stream = carrier.stream().as_str().to_owned();
        let s = *index.entry(stream.clone()).or_insert_with(|| {
            streams.push((stream, Vec::new()));
            streams.len() - 1
        });
        places.push((s, streams[s].1.len()));
        streams[s].1.push(command);
        waiters.push(done);
    }
    let metadata = EventMetadata::initiated(org, actor, Timestamp::from_datetime(time::OffsetDateTime::now_utc()));
    let mut outcomes: Vec<Vec<Option<Result<usize, RecordError>>>> = bus
        .delivery
        .execute_batch_written(streams, &metadata)
        .await
        .into_iter()
        .map(|stream| stream.into_iter().map(|o| Some(o.map(|w| w.accepted.events_written))).collect())
        .collect();
    for ((s, c), waiter) in places.into_iter().zip(waiters) {
        let outcome = outcomes[s][c].take().unwrap_or_else(|| Err(no_recorder()));
        match waiter {
            Some(waiter) => {
                let _ = waiter.send(outcome);
            }
            None => {
                if let Err(error) = outcome {
                    tracing::warn!(error = %error, "a delivery's outcome could not be recorded");
                }
            }
        }
    }
}
