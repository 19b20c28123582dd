//! A poison record for each worker group (chat clipper, renderer,
//! asset-ready) lands on the group's dead-letter topic with why, and the
//! record after it is handled: no poison wedges a partition. One partition
//! per topic, so the poison is surely ahead of the good record.

use crate::support;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{bus, chat_saying, clip_request, drain, metadata, relay, topics, viewer};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::consumer::group::{self as partitions, GroupConfig, Handler};
use wavestack_adapters::consumer::{dead_letter_topic, RetryPolicy, HEADER_ERROR, HEADER_SOURCE};
use wavestack_adapters::kafka::{ensure_topics, KafkaConfig, LocalBroker, LocalBrokerStorage};
use wavestack_adapters::media::{ClipFiles, Ffmpeg, FileKey, Renderer, SourcePolicy};
use wavestack_domain::chat::{ChatCommandInvoked, ChatEvent};
use wavestack_domain::clip::{self, ClipCommand, ClipEvent, ClipRequested, ClipStatus};
use wavestack_domain::value::*;
use wavestack_schemas::{AggregateKind, Codec, LogEnvelope, LogEvent};
use wavestack_workers::chat_clips::{ChatClipper, Recording};
use wavestack_workers::publisher::AssetReady;
use wavestack_workers::renderer::ClipRenderer;

/// A broker whose topics have one partition each.
async fn one_partition_broker() -> (LocalBroker, KafkaConfig) {
    let broker = LocalBroker::start(LocalBrokerStorage::Memory).expect("tansu starts");
    let kafka = KafkaConfig { partitions: 1, ..KafkaConfig::new(broker.bootstrap()) };
    ensure_topics(&kafka, &topics()).await.unwrap();
    (broker, kafka)
}

async fn produce(kafka: &KafkaConfig, kind: AggregateKind, key: &str, payload: &[u8]) {
    let producer: FutureProducer = kafka.client_config().create().unwrap();
    let topic = kind.topic();
    producer.send(FutureRecord::to(&topic).key(key).payload(payload), Duration::from_secs(10)).await.unwrap();
}

/// An event as the relay would put it on the log, for a stream of our
/// choosing.
fn envelope(aggregate_id: &str, event: LogEvent) -> Vec<u8> {
    let envelope = LogEnvelope {
        event_id: uuid::Uuid::new_v4(),
        aggregate_id: aggregate_id.to_owned(),
        sequence: 1,
        hash: "00".repeat(32),
        metadata: metadata("acme"),
        event,
    };
    Codec::from_catalog().unwrap().encode(&envelope).unwrap()
}

/// Runs the group, quick to give up on a transient failure.
fn start<H: Handler>(pool: &PgPool, kafka: &KafkaConfig, config: GroupConfig, handler: H) -> CancellationToken {
    let cancel = CancellationToken::new();
    let config = GroupConfig {
        heartbeat: Duration::from_millis(200),
        retry: RetryPolicy {
            attempts: 2,
            first_pause: Duration::from_millis(50),
            max_pause: Duration::from_millis(50),
        },
        ..config
    };
    tokio::spawn(partitions::run(
        pool.clone(),
        kafka.clone(),
        Codec::from_catalog().unwrap(),
        config,
        handler,
        cancel.clone(),
    ));
    cancel
}

/// The first `count` dead letters of `group`: (error, source).
async fn dead_letters(kafka: &KafkaConfig, group: &str, count: usize) -> Vec<(String, String)> {
    let consumer: StreamConsumer = kafka
        .client_config()
        .set("group.id", format!("poison-test-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    let mut assignment = rdkafka::TopicPartitionList::new();
    assignment.add_partition_offset(&dead_letter_topic(group), 0, rdkafka::Offset::Beginning).unwrap();
    consumer.assign(&assignment).unwrap();
    let mut letters = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while letters.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "only {} of {count} dead letters on {group}'s topic: {letters:?}", letters.len());
        let Ok(Ok(message)) = tokio::time::timeout(left, consumer.recv()).await else { continue };
        let header = |name: &str| {
            message
                .headers()
                .and_then(|h| h.iter().find(|h| h.key == name))
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        letters.push((header(HEADER_ERROR).unwrap_or_default(), header(HEADER_SOURCE).unwrap_or_default()));
    }
    letters
}

async fn worker_offset(pool: &PgPool, group: &str, topic: &str) -> i64 {
    sqlx::query_scalar("SELECT next_offset FROM worker_offsets WHERE worker_group = $1 AND topic = $2")
        .bind(group)
        .bind(topic)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(0)
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_chat_clipper_dead_letters_poison_and_clips_the_next_message(pool: PgPool) {
    let (_broker, kafka) = one_partition_broker().await;
    // Bytes that are no record, and a record for a stream that is no chat stream.
    produce(&kafka, AggregateKind::Chat, "junk", b"\x00not avro").await;
    let invoked = ChatCommandInvoked {
        message_id: MessageId::parse("m-poison").unwrap(),
        name: "clip".into(),
        args: String::new(),
        invoked_at: Timestamp::from_unix_micros(1_800_000_100_000_000).unwrap(),
    };
    produce(
        &kafka,
        AggregateKind::Chat,
        "junk",
        &envelope("junk", LogEvent::Chat(ChatEvent::ChatCommandInvoked(invoked))),
    )
    .await;
    // Then a real `!clip` in a channel that is recording.
    let bus = bus(&pool);
    chat_saying(&bus, "acme", &viewer("shroud", "ada"), "m-1", 100, "!clip").await;
    drain(&mut relay(&pool, &kafka).await).await;

    let recording = Recording {
        org: OrgId::parse("acme").unwrap(),
        channel: ChannelId::parse("shroud").unwrap(),
        source: ClipSource::parse("vods/today.mkv").unwrap(),
        started_at: Timestamp::from_unix_micros(1_800_000_000_000_000).unwrap(),
        publish_to: Vec::new(),
    };
    let clipper = ChatClipper::new(Arc::new(support::bus(&pool)), vec![recording]);
    let cancel = start(&pool, &kafka, ChatClipper::group_config(), clipper);

    let letters = dead_letters(&kafka, "chat-clipper", 2).await;
    assert!(letters[0].0.contains("undecodable"), "{letters:?}");
    assert!(letters[1].0.contains("`junk` is not a chat stream id"), "{letters:?}");
    assert!(letters.iter().all(|(_, source)| source.starts_with(&AggregateKind::Chat.topic())), "{letters:?}");
    until("the !clip after the poison was never handled", || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events WHERE event_type = 'ClipRequested'")
            .fetch_one(&pool)
            .await
            .unwrap()
            == 1
    })
    .await;
    until("the offset did not pass every record", || async {
        worker_offset(&pool, "chat-clipper", &AggregateKind::Chat.topic()).await >= 3
    })
    .await;
    cancel.cancel();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_renderer_dead_letters_poison_and_handles_the_next_request(pool: PgPool) {
    let (_broker, kafka) = one_partition_broker().await;
    produce(&kafka, AggregateKind::Clip, "junk", b"\x00\x00\x00\x00\x07garbage").await;
    // A request for a clip the store never heard of: no attempt can be claimed.
    let ghost = ClipId::new_random();
    let request = ClipRequested::from(clip_request(ghost, "shroud", "vods/today.mkv", 1.0, 2.0));
    let stream = clip::stream_id(&OrgId::parse("acme").unwrap(), ghost);
    produce(
        &kafka,
        AggregateKind::Clip,
        &stream,
        &envelope(&stream, LogEvent::Clip(ClipEvent::ClipRequested(request))),
    )
    .await;
    // Then a real request, for a recording that is not there: the renderer
    // handles it by failing the clip for good.
    let clip_id = ClipId::new_random();
    let meta = metadata("acme");
    let real = clip::stream_id(&meta.org, clip_id);
    let command = ClipCommand::RequestClip(clip_request(clip_id, "shroud", "vods/missing.mkv", 1.0, 2.0));
    bus(&pool).clip.execute(&real, command, &meta).await.unwrap();
    drain(&mut relay(&pool, &kafka).await).await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("media/acme")).unwrap();
    let renderer = Renderer {
        policy: SourcePolicy::new(&dir.path().join("media"), Vec::<String>::new()).unwrap(),
        ffmpeg: Ffmpeg::default(),
        files: ClipFiles::new(dir.path().join("clips"), FileKey::random()).unwrap(),
        public_base: "http://127.0.0.1:8081/files".into(),
    };
    let worker = ClipRenderer::new(Arc::new(bus(&pool)), renderer, ActorId::parse("svc:renderer-test").unwrap(), 1)
        .with_retry_base(Duration::from_millis(20));
    let cancel = start(&pool, &kafka, ClipRenderer::group_config(), worker);

    let letters = dead_letters(&kafka, "renderer", 2).await;
    assert!(letters[0].0.contains("undecodable"), "{letters:?}");
    assert!(!letters[1].0.is_empty() && letters[1].1.ends_with("/1"), "{letters:?}");
    until("the request after the poison was never handled", || async {
        let state = bus(&pool).clip.load(&real).await.unwrap();
        matches!(state.status(), Some(ClipStatus::Failed { retryable: false }))
    })
    .await;
    cancel.cancel();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn asset_ready_dead_letters_poison_and_reads_on(pool: PgPool) {
    let (_broker, kafka) = one_partition_broker().await;
    produce(&kafka, AggregateKind::Publication, "junk", b"not a record at all").await;
    produce(&kafka, AggregateKind::Publication, "junk", b"\x00\x00\x00\x00\x09").await;
    // Then a real event of the topic.
    let clip_id = ClipId::new_random();
    let meta = metadata("acme");
    let real = clip::stream_id(&meta.org, clip_id);
    let command = ClipCommand::RequestClip(clip_request(clip_id, "shroud", "vods/today.mkv", 1.0, 2.0));
    bus(&pool).clip.execute(&real, command, &meta).await.unwrap();
    drain(&mut relay(&pool, &kafka).await).await;

    let cancel = start(&pool, &kafka, AssetReady::group_config(), AssetReady::new(pool.clone(), Arc::new(bus(&pool))));
    let letters = dead_letters(&kafka, "asset-ready", 2).await;
    assert!(letters.iter().all(|(error, _)| error.contains("undecodable")), "{letters:?}");
    until("the partitions were not read past the poison", || async {
        worker_offset(&pool, "asset-ready", &AggregateKind::Publication.topic()).await == 2
            && worker_offset(&pool, "asset-ready", &AggregateKind::Clip.topic()).await == 1
    })
    .await;
    cancel.cancel();
}
