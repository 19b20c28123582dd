//! The publisher against a local webhook receiver that checks each
//! request's signature: publications written through the command bus,
//! relayed to a real broker, projected into the queue read model the
//! publisher picks due targets from.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{bus, clip_request, memory_broker, metadata, relay};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::consumer::group::{self as partitions, GroupConfig};
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_adapters::publishers::{sign, WebhookPublisher, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use wavestack_domain::clip::{self, ClipCommand, RenderedClip};
use wavestack_domain::publication::{self, CreatePublication, PublicationCommand, PublicationState, TargetStatus};
use wavestack_domain::value::*;
use wavestack_projections::queue::Queue;
use wavestack_projections::{ProjectionRunner, RunnerConfig};
use wavestack_schemas::Codec;
use wavestack_workers::publisher::{AssetReady, Platforms, PublishWorker, PublisherConfig};

const SECRET: &[u8] = b"receiver-secret";

/// A webhook receiver: answers 503 to the first `failures` requests, then
/// 200 with a post id; counts what it received and any bad signature.
#[derive(Default)]
struct Receiver {
    failures: AtomicUsize,
    received: Mutex<Vec<(String, serde_json::Value)>>,
    bad_signatures: AtomicUsize,
}

async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let timestamp = headers[TIMESTAMP_HEADER].to_str().unwrap();
    if headers[SIGNATURE_HEADER] != sign(SECRET, format!("{timestamp}.{body}").as_bytes()) {
        receiver.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
    receiver.received.lock().unwrap().push((key.clone(), serde_json::from_str(&body).unwrap()));
    if receiver.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again".into());
    }
    (StatusCode::OK, serde_json::json!({ "id": format!("post-{key}"), "url": "https://example.com/p/1" }).to_string())
}

struct Rig {
    pool: PgPool,
    receiver: Arc<Receiver>,
    url: reqwest::Url,
    kafka: KafkaConfig,
    cancel: CancellationToken,
    _broker: wavestack_adapters::kafka::LocalBroker,
}

impl Rig {
    /// The receiver, the relay and the queue projection, running.
    async fn start(pool: PgPool, failures: usize) -> Self {
        let receiver = Arc::new(Receiver { failures: AtomicUsize::new(failures), ..Receiver::default() });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/hook", listener.local_addr().unwrap())).unwrap();
        let app = Router::new().route("/hook", post(receive)).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (broker, kafka) = memory_broker().await;
        let cancel = CancellationToken::new();
        tokio::spawn(relay(&pool, &kafka).await.run(cancel.clone()));
        let runner = ProjectionRunner::start(
            &pool,
            &kafka,
            Codec::from_catalog().unwrap(),
            Queue,
            RunnerConfig::for_projection(&Queue),
            &cancel,
        )
        .await
        .unwrap()
        .unwrap();
        tokio::spawn(runner.run(cancel.clone()));
        Self { pool, receiver, url, kafka, cancel, _broker: broker }
    }

    /// A publisher with acme's webhook destination: the rig's receiver.
    fn publisher(&self, name: &str) {
        let webhook = WebhookPublisher::new(self.url.clone(), SECRET, Duration::from_secs(5)).unwrap();
        let acme = OrgId::parse("acme").unwrap();
        let platforms = Platforms::default().with(acme, Arc::new(webhook), NonZeroU32::new(600).unwrap(), vec![]);
        self.publisher_with(name, platforms);
    }

    fn publisher_with(&self, name: &str, platforms: Platforms) {
        let config = PublisherConfig {
            poll: Duration::from_millis(100),
            retry_base: Duration::from_millis(50),
            ..PublisherConfig::new(ActorId::parse(name).unwrap())
        };
        let worker = PublishWorker::new(self.pool.clone(), Arc::new(bus(&self.pool)), platforms, config);
        tokio::spawn(worker.run(self.cancel.clone()));
    }

    fn asset_ready(&self) {
        let handler = AssetReady::new(self.pool.clone(), Arc::new(bus(&self.pool)));
        let config = GroupConfig { heartbeat: Duration::from_millis(200), ..AssetReady::group_config() };
        let codec = Codec::from_catalog().unwrap();
        tokio::spawn(partitions::run(
            self.pool.clone(),
            self.kafka.clone(),
            codec,
            config,
            handler,
            self.cancel.clone(),
        ));
    }

    async fn create(&self, asset: Asset, targets: &[TargetPlatform]) -> (PublicationId, String) {
        self.create_at(asset, targets, None).await
    }

    async fn create_at(
        &self,
        asset: Asset,
        targets: &[TargetPlatform],
        scheduled_at: Option<Timestamp>,
    ) -> (PublicationId, String) {
        self.create_for("acme", asset, targets, scheduled_at).await
    }

    async fn create_for(
        &self,
        org: &str,
        asset: Asset,
        targets: &[TargetPlatform],
        scheduled_at: Option<Timestamp>,
    ) -> (PublicationId, String) {
        let id = PublicationId::new_random();
        let meta = metadata(org);
        let stream = publication::stream_id(&meta.org, id);
        let command = PublicationCommand::CreatePublication(CreatePublication {
            publication_id: id,
            asset,
            targets: Targets::parse(targets.iter().copied()).unwrap(),
            title: Title::parse("The play").unwrap(),
            caption: Caption::parse("what a night").unwrap(),
            hashtags: Hashtags::parse(vec![Hashtag::parse("gaming").unwrap()]).unwrap(),
            scheduled_at,
            idempotency_key: None,
        });
        bus(&self.pool).publication.execute(&stream, command, &meta).await.unwrap();
        (id, stream.into())
    }

    async fn until(
        &self,
        stream: &str,
        target: TargetPlatform,
        done: impl Fn(&TargetStatus) -> bool,
    ) -> PublicationState {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let state = bus(&self.pool).publication.load(stream).await.unwrap();
            if state.target(target).is_some_and(|t| done(&t.status)) {
                return state;
            }
            assert!(Instant::now() < deadline, "target stuck at {:?}", state.target(target));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn event_types(&self, stream: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT event_type FROM events WHERE aggregate_id = $1 ORDER BY sequence")
            .bind(stream)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn hosted() -> Asset {
    Asset::Url(AssetUrl::parse("https://cdn.example.com/clip.mp4").unwrap())
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn two_publishers_racing_publish_a_target_once(pool: PgPool) {
    let rig = Rig::start(pool, 0).await;
    rig.publisher("svc:publisher-a");
    rig.publisher("svc:publisher-b");
    let (id, stream) = rig.create(hosted(), &[TargetPlatform::Webhook]).await;
    rig.until(&stream, TargetPlatform::Webhook, |s| *s == TargetStatus::Published).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let received = rig.receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let (key, body) = &received[0];
    assert_eq!(key, &format!("{id}:webhook"));
    assert_eq!(body["media_url"], "https://cdn.example.com/clip.mp4");
    assert_eq!(body["hashtags"], serde_json::json!(["gaming"]));
    assert_eq!(rig.receiver.bad_signatures.load(Ordering::SeqCst), 0);
    assert_eq!(rig.event_types(&stream).await, ["PublicationCreated", "PublishAttemptStarted", "TargetPublished"]);
    let post: (String, Option<String>) =
        sqlx::query_as("SELECT payload->'TargetPublished'->>'post_id', payload->'TargetPublished'->>'url' FROM events WHERE aggregate_id = $1 AND event_type = 'TargetPublished'")
            .bind(&stream)
            .fetch_one(&rig.pool)
            .await
            .unwrap();
    assert_eq!(post, (format!("post-{id}:webhook"), Some("https://example.com/p/1".into())));
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_5xx_is_retried_and_then_published(pool: PgPool) {
    let rig = Rig::start(pool, 1).await;
    rig.publisher("svc:publisher-a");
    let (_, stream) = rig.create(hosted(), &[TargetPlatform::Webhook]).await;
    let state = rig.until(&stream, TargetPlatform::Webhook, |s| *s == TargetStatus::Published).await;
    assert_eq!(state.target(TargetPlatform::Webhook).unwrap().attempts, 2);
    assert_eq!(
        rig.event_types(&stream).await,
        [
            "PublicationCreated",
            "PublishAttemptStarted",
            "TargetPublishFailed",
            "PublishAttemptStarted",
            "TargetPublished"
        ]
    );
    assert_eq!(rig.receiver.received.lock().unwrap().len(), 2);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn it_gives_up_after_the_attempt_limit_and_refuses_platforms_without_an_adapter(pool: PgPool) {
    let rig = Rig::start(pool, usize::MAX).await;
    rig.publisher("svc:publisher-a");
    let (_, stream) = rig.create(hosted(), &[TargetPlatform::Webhook, TargetPlatform::Tiktok]).await;
    let state = rig.until(&stream, TargetPlatform::Webhook, |s| *s == TargetStatus::GaveUp).await;
    assert_eq!(state.target(TargetPlatform::Webhook).unwrap().attempts, 5, "the policy's limit");
    assert_eq!(rig.receiver.received.lock().unwrap().len(), 5);
    let state = rig.until(&stream, TargetPlatform::Tiktok, |s| *s == TargetStatus::GaveUp).await;
    assert_eq!(state.target(TargetPlatform::Tiktok).unwrap().attempts, 1, "not retried: nothing would change");
    let reason: String = sqlx::query_scalar(
        "SELECT payload->'TargetPublishFailed'->>'error' FROM events
          WHERE aggregate_id = $1 AND payload->'TargetPublishFailed'->>'target' = 'tiktok'",
    )
    .bind(&stream)
    .fetch_one(&rig.pool)
    .await
    .unwrap();
    assert!(reason.contains("not supported"), "{reason}");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_clip_publication_waits_for_the_render_then_goes_out(pool: PgPool) {
    let rig = Rig::start(pool, 0).await;
    rig.publisher("svc:publisher-a");
    rig.asset_ready();
    let clip_id = ClipId::new_random();
    let org = OrgId::parse("acme").unwrap();
    let clip_stream = clip::stream_id(&org, clip_id);
    let clips = bus(&rig.pool).clip;
    let request = ClipCommand::RequestClip(clip_request(clip_id, "shroud", "vods/a.mkv", 0.0, 10.0));
    clips.execute(&clip_stream, request, &metadata("acme")).await.unwrap();
    let (_, stream) = rig.create(Asset::Clip(clip_id), &[TargetPlatform::Webhook]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rig.receiver.received.lock().unwrap().is_empty(), "nothing goes out before the render");

    let worker = ActorId::parse("svc:renderer-1").unwrap();
    clips.execute(&clip_stream, ClipCommand::StartRendering { worker }, &metadata("acme")).await.unwrap();
    let rendered = RenderedClip {
        uri: MediaUri::parse("http://127.0.0.1:8081/files/ab/cd/clip.mp4").unwrap(),
        thumbnail_uri: MediaUri::parse("http://127.0.0.1:8081/files/ab/cd/clip.jpg").unwrap(),
        duration_ms: 10_000,
        size_bytes: 1000,
        sha256: ContentHash::parse("ab".repeat(32)).unwrap(),
    };
    clips.execute(&clip_stream, ClipCommand::CompleteRendering(rendered), &metadata("acme")).await.unwrap();
    rig.until(&stream, TargetPlatform::Webhook, |s| *s == TargetStatus::Published).await;
    let received = rig.receiver.received.lock().unwrap().clone();
    assert_eq!(received[0].1["media_url"], "http://127.0.0.1:8081/files/ab/cd/clip.mp4");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_scheduled_publication_waits_for_its_time(pool: PgPool) {
    let rig = Rig::start(pool, 0).await;
    rig.publisher("svc:publisher-a");
    let due = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let (_, stream) = rig.create_at(hosted(), &[TargetPlatform::Webhook], Some(Timestamp::from_datetime(due))).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(rig.receiver.received.lock().unwrap().is_empty(), "nothing before its time");
    rig.until(&stream, TargetPlatform::Webhook, |s| *s == TargetStatus::Published).await;
    assert!(time::OffsetDateTime::now_utc() >= due);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn an_org_never_publishes_to_another_orgs_destination(pool: PgPool) {
    let rig = Rig::start(pool, 0).await;
    rig.publisher("svc:publisher-a");
    // Accepted by the bus directly (the command API would refuse it).
    let (_, stream) = rig.create_for("other", hosted(), &[TargetPlatform::Webhook], None).await;
    let state = rig.until(&stream, TargetPlatform::Webhook, |s| *s == TargetStatus::GaveUp).await;
    assert_eq!(state.target(TargetPlatform::Webhook).unwrap().attempts, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rig.receiver.received.lock().unwrap().is_empty(), "acme's receiver got other's post");
    let reason: String = sqlx::query_scalar(
        "SELECT payload->'TargetPublishFailed'->>'error' FROM events
          WHERE aggregate_id = $1 AND event_type = 'TargetPublishFailed'",
    )
    .bind(&stream)
    .fetch_one(&rig.pool)
    .await
    .unwrap();
    assert!(reason.contains("no webhook destination configured"), "{reason}");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_destinations_secret_is_in_no_recorded_error(pool: PgPool) {
    let rig = Rig::start(pool, 0).await;
    // Nothing listens there: every attempt fails with reqwest's error,
    // whose text names the URL, token and all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let token = "hunter2-SeCrEt-webhook-token-0123456789";
    let url = reqwest::Url::parse(&format!("http://127.0.0.1:{port}/api/webhooks/42/{token}")).unwrap();
    let destination = wavestack_adapters::publishers::DestinationConfig {
        org: OrgId::parse("acme").unwrap(),
        platform: TargetPlatform::Discord,
        url: Some(url.clone()),
        secret: None,
        access_token: None,
        api_url: None,
        per_minute: None,
    };
    let discord = wavestack_adapters::publishers::DiscordPublisher::new(url, Duration::from_secs(5)).unwrap();
    let platforms = Platforms::default().with(
        OrgId::parse("acme").unwrap(),
        Arc::new(discord),
        NonZeroU32::new(600).unwrap(),
        destination.secrets(),
    );
    rig.publisher_with("svc:publisher-a", platforms);
    let (_, stream) = rig.create(hosted(), &[TargetPlatform::Discord]).await;
    rig.until(&stream, TargetPlatform::Discord, |s| matches!(s, TargetStatus::Failed { .. })).await;

    let error: String = sqlx::query_scalar(
        "SELECT payload->'TargetPublishFailed'->>'error' FROM events
          WHERE aggregate_id = $1 AND event_type = 'TargetPublishFailed' ORDER BY sequence LIMIT 1",
    )
    .bind(&stream)
    .fetch_one(&rig.pool)
    .await
    .unwrap();
    assert!(error.starts_with("no answer"), "{error}");
    let events: Vec<String> =
        sqlx::query_scalar("SELECT payload::text FROM events").fetch_all(&rig.pool).await.unwrap();
    assert!(events.iter().all(|e| !e.contains("SeCrEt")), "a secret in the event log: {events:?}");
    // The read model the dashboard reads, once the projection has it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let last: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM projection_queue.rm_publication_targets WHERE publication_stream = $1",
        )
        .bind(&stream)
        .fetch_optional(&rig.pool)
        .await
        .unwrap()
        .flatten();
        if let Some(last) = last {
            assert!(!last.contains("SeCrEt") && !last.contains("hunter2"), "{last}");
            break;
        }
        assert!(Instant::now() < deadline, "the queue read model never saw the failure");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Targets the publisher cannot even attempt (here: a platform in the read
/// model that no adapter knows, more of them than one poll takes) go to
/// `wavestack.dlq.publisher` and out of the due ones; the good target
/// behind them is published.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn targets_that_cannot_be_attempted_are_dead_lettered_and_do_not_hold_back_the_rest(pool: PgPool) {
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::message::{Headers, Message};
    use wavestack_adapters::consumer::{dead_letter_topic, DeadLetters, RetryPolicy, HEADER_ERROR};

    let rig = Rig::start(pool, 0).await;
    let poisoned = 20;
    for _ in 0..poisoned {
        rig.create(hosted(), &[TargetPlatform::Webhook]).await;
    }
    let targets = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM projection_queue.rm_publication_targets")
            .fetch_one(&pool)
            .await
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while targets(rig.pool.clone()).await < poisoned {
        assert!(Instant::now() < deadline, "the queue read model never showed the targets");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::query("UPDATE projection_queue.rm_publication_targets SET platform = 'myspace'")
        .execute(&rig.pool)
        .await
        .unwrap();
    let (_, good) = rig.create(hosted(), &[TargetPlatform::Webhook]).await;

    let webhook = WebhookPublisher::new(rig.url.clone(), SECRET, Duration::from_secs(5)).unwrap();
    let acme = OrgId::parse("acme").unwrap();
    let platforms = Platforms::default().with(acme, Arc::new(webhook), NonZeroU32::new(600).unwrap(), vec![]);
    let config = PublisherConfig {
        poll: Duration::from_millis(100),
        retry: RetryPolicy {
            attempts: 2,
            first_pause: Duration::from_millis(50),
            max_pause: Duration::from_millis(50),
        },
        dead_letters: Some(DeadLetters::open(&rig.kafka, "publisher").await.unwrap()),
        ..PublisherConfig::new(ActorId::parse("svc:publisher-dlq").unwrap())
    };
    let worker = PublishWorker::new(rig.pool.clone(), Arc::new(bus(&rig.pool)), platforms, config);
    tokio::spawn(worker.run(rig.cancel.clone()));

    rig.until(&good, TargetPlatform::Webhook, |s| matches!(s, TargetStatus::Published)).await;
    let kept_out: i64 =
        sqlx::query_scalar("SELECT count(*) FROM publisher_dead_letters").fetch_one(&rig.pool).await.unwrap();
    assert_eq!(kept_out, poisoned);

    let consumer: StreamConsumer =
        rig.kafka.client_config().set("group.id", "dlq-reader").set("auto.offset.reset", "earliest").create().unwrap();
    let mut assignment = rdkafka::TopicPartitionList::new();
    for partition in 0..rig.kafka.partitions {
        assignment
            .add_partition_offset(&dead_letter_topic("publisher"), partition, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut letters = 0;
    while letters < poisoned {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv()).await.unwrap().unwrap();
        let error = message.headers().unwrap().iter().find(|h| h.key == HEADER_ERROR).unwrap().value.unwrap();
        assert!(String::from_utf8_lossy(error).contains("myspace"), "{}", String::from_utf8_lossy(error));
        letters += 1;
    }
}
