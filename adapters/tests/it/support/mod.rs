//! Helpers shared by the adapters' integration tests: a real broker, a
//! consumer that reads topics from the start, and commands to write.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::FutureProducer;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wavestack_adapters::command_bus::{Accepted, CommandBus, Policies};
use wavestack_adapters::kafka::{ensure_topics, idempotent_producer, KafkaConfig, LocalBroker, LocalBrokerStorage};
use wavestack_adapters::relay::{Relay, RelayConfig};
use wavestack_domain::chat::{ChatCommand, ReceiveChatMessage, Viewer};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::*;
use wavestack_schemas::{unframe, AggregateKind, Codec, LogEnvelope};

pub(crate) fn topics() -> Vec<String> {
    AggregateKind::ALL.iter().map(|k| k.topic()).collect()
}

/// A throwaway broker with its topics created.
pub(crate) async fn memory_broker() -> (LocalBroker, KafkaConfig) {
    let broker = LocalBroker::start(LocalBrokerStorage::Memory).expect("tansu starts");
    let config = KafkaConfig::new(broker.bootstrap());
    ensure_topics(&config, &topics()).await.expect("topics are created");
    (broker, config)
}

pub(crate) fn producer(config: &KafkaConfig) -> FutureProducer {
    idempotent_producer(config).expect("producer")
}

pub(crate) async fn relay(pool: &PgPool, config: &KafkaConfig) -> Relay {
    Relay::acquire(pool, config, Codec::from_catalog().unwrap(), RelayConfig::default(), &CancellationToken::new())
        .await
        .expect("relay starts")
        .expect("relay gets the lock")
}

/// Relays until every committed event is on the log. A transaction open
/// elsewhere in the cluster (another test's) holds the xmin horizon back
/// for a moment: wait for it rather than stop short.
pub(crate) async fn drain(relay: &mut Relay) -> usize {
    let mut total = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match relay.relay_once().await.expect("relay batch") {
            0 if !relay.behind().await.expect("relay position") => return total,
            0 => {
                assert!(Instant::now() < deadline, "events stayed unrelayable for a minute");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            n => total += n,
        }
    }
}

pub(crate) fn metadata(org: &str) -> EventMetadata {
    EventMetadata {
        org: OrgId::parse(org).unwrap(),
        actor: ActorId::parse("svc:test-bot").unwrap(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        request_id: Some(format!("req-{}", Uuid::new_v4())),
        occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    }
}

pub(crate) fn viewer(channel: &str, user: &str) -> Viewer {
    Viewer {
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse(channel).unwrap(),
        user_id: PlatformUserId::parse(user).unwrap(),
    }
}

/// One chat message at `second` seconds of platform time.
pub(crate) async fn chat(bus: &CommandBus, org: &str, viewer: &Viewer, message_id: &str, second: i64) -> Accepted {
    chat_saying(bus, org, viewer, message_id, second, &format!("message {message_id}")).await
}

/// Platform time `second`: seconds after 2027-01-15T08:00:00Z.
pub(crate) fn platform_time(second: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_800_000_000_000_000 + second * 1_000_000).unwrap()
}

pub(crate) async fn chat_saying(
    bus: &CommandBus,
    org: &str,
    viewer: &Viewer,
    message_id: &str,
    second: i64,
    text: &str,
) -> Accepted {
    let meta = metadata(org);
    let command = chat_command(viewer, message_id, second, text);
    bus.chat.execute(&viewer.stream_id(&meta.org), command, &meta).await.expect("chat accepted")
}

/// A chat message from `viewer` at `second` seconds of platform time.
pub(crate) fn chat_command(viewer: &Viewer, message_id: &str, second: i64, text: &str) -> ChatCommand {
    ChatCommand::ReceiveChatMessage(ReceiveChatMessage {
        viewer: viewer.clone(),
        message_id: MessageId::parse(message_id).unwrap(),
        author: DisplayName::parse("Viewer").unwrap(),
        role: Role::Viewer,
        text: ChatText::parse(text).unwrap(),
        sent_at: platform_time(second),
        // The defaults a channel has before anyone changes its settings.
        points: wavestack_domain::chat::PointsPolicy::default(),
        invocation: wavestack_domain::chat::parse_invocation(text),
        points_request: None,
        level: wavestack_domain::value::UserLevel::Everyone,
        emotes: 0,
        moderation: wavestack_domain::moderation::ModerationRules::default(),
    })
}

/// A 30 s stream-copy clip of `vods/today.mkv` from 90 s in.
pub(crate) fn request_clip(clip_id: ClipId, requested_by: &ActorId) -> wavestack_domain::clip::ClipCommand {
    let mut request = clip_request(clip_id, "shroud", "vods/today.mkv", 90.0, 30.0);
    request.requested_by = requested_by.clone();
    wavestack_domain::clip::ClipCommand::RequestClip(request)
}

/// A stream-copy MP4 clip request by `svc:test-bot`.
pub(crate) fn clip_request(
    clip_id: ClipId,
    channel: &str,
    source: &str,
    start_seconds: f64,
    duration_seconds: f64,
) -> wavestack_domain::clip::RequestClip {
    wavestack_domain::clip::RequestClip {
        clip_id,
        channel: ChannelId::parse(channel).unwrap(),
        source: ClipSource::parse(source).unwrap(),
        start: ClipStart::from_seconds(start_seconds).unwrap(),
        duration: ClipDuration::from_seconds(duration_seconds).unwrap(),
        container: Container::Mp4,
        reencode: false,
        title: Title::parse("ace").unwrap(),
        requested_by: ActorId::parse("svc:test-bot").unwrap(),
    }
}

pub(crate) fn bus(pool: &PgPool) -> CommandBus {
    CommandBus::new(pool.clone(), Policies::default())
}

/// One record as read back from Kafka.
#[derive(Debug, Clone)]
pub(crate) struct Consumed {
    pub topic: String,
    pub key: String,
    pub schema_id: u32,
    pub headers: HashMap<String, String>,
    pub envelope: LogEnvelope,
}

/// Reads the topics from the beginning with a fresh group until `count`
/// records arrived or `timeout` passed.
pub(crate) async fn consume(config: &KafkaConfig, count: usize, timeout: Duration) -> Vec<Consumed> {
    let consumer: StreamConsumer = config
        .client_config()
        .set("group.id", format!("test-{}", Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let topics = topics();
    consumer.subscribe(&topics.iter().map(String::as_str).collect::<Vec<_>>()).expect("subscribe");
    let codec = Codec::from_catalog().unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + timeout;
    while out.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let Ok(received) = tokio::time::timeout(left, consumer.recv()).await else { break };
        let message = received.expect("kafka message");
        let payload = message.payload().expect("record has a value");
        let mut headers = HashMap::new();
        if let Some(h) = message.headers() {
            for header in h.iter() {
                headers.insert(
                    header.key.to_owned(),
                    String::from_utf8_lossy(header.value.unwrap_or_default()).into_owned(),
                );
            }
        }
        out.push(Consumed {
            topic: message.topic().to_owned(),
            key: String::from_utf8(message.key().expect("record has a key").to_vec()).unwrap(),
            schema_id: unframe(payload).unwrap().0,
            headers,
            envelope: codec.decode(payload).expect("record decodes"),
        });
    }
    out
}

/// Per aggregate: the sequences in the order they were read, duplicates
/// removed (consumers deduplicate by (aggregate id, sequence)).
pub(crate) fn sequences_by_aggregate(records: &[Consumed]) -> BTreeMap<String, Vec<u64>> {
    let mut by_aggregate: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in records {
        let seqs = by_aggregate.entry(r.envelope.aggregate_id.clone()).or_default();
        if !seqs.contains(&r.envelope.sequence) {
            seqs.push(r.envelope.sequence);
        }
    }
    by_aggregate
}

/// Every sequence from 1 to the last, in order.
pub(crate) fn assert_complete_and_ordered(by_aggregate: &BTreeMap<String, Vec<u64>>) {
    for (aggregate, seqs) in by_aggregate {
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(seqs, &expected, "stream {aggregate} arrived incomplete or out of order");
    }
}
