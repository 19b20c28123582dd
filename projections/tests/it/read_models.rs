//! Channel analytics, queue state and the event log from the real log:
//! chat, clips and publications written through the command bus, relayed
//! to a real broker, projected; each read model must equal what this test
//! computes from what it wrote.

use crate::support;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::support::{bus, chat_saying, clip_request, drain, memory_broker, platform_time, relay, viewer};
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_domain::clip::{self, ClipCommand, RenderedClip};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::publication::{self, CreatePublication, PublicationCommand};
use wavestack_domain::value::*;
use wavestack_projections::analytics::{self, Analytics, Bucket};
use wavestack_projections::audit::{self, Audit, EventFilter};
use wavestack_projections::queue::{self, ClipFilter, PublicationFilter, Queue};
use wavestack_projections::{Projection, ProjectionRunner, RunnerConfig};
use wavestack_schemas::Codec;

/// (channel, bucket, bucket start) → counters in `Point` order, with the
/// set of chatters standing in for the unique count.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Tally {
    messages: i64,
    chatters: BTreeSet<String>,
    commands: i64,
    clips_requested: i64,
    clips_rendered: i64,
    clips_failed: i64,
    publications_queued: i64,
    publications_published: i64,
    publications_failed: i64,
}

type Expected = BTreeMap<(String, &'static str, OffsetDateTime), Tally>;

fn count(expected: &mut Expected, channel: &str, second: i64, add: impl Fn(&mut Tally)) {
    let at = platform_time(second).as_datetime();
    for bucket in Bucket::ALL {
        add(expected.entry((channel.to_owned(), bucket.as_str(), bucket.start_of(at))).or_default());
    }
}

/// Metadata of a command issued at platform time `second`.
fn at(second: i64) -> EventMetadata {
    EventMetadata { occurred_at: platform_time(second), ..support::metadata("acme") }
}

async fn start_runner<P: Projection>(pool: &PgPool, kafka: &KafkaConfig, projection: P) -> ProjectionRunner<P> {
    let config = RunnerConfig::for_projection(&projection);
    ProjectionRunner::start(pool, kafka, Codec::from_catalog().unwrap(), projection, config, &CancellationToken::new())
        .await
        .unwrap()
        .expect("the runner gets its lock")
}

struct Writer {
    bus: CommandBus,
}

impl Writer {
    async fn clip(&self, clip_id: ClipId, second: i64, command: ClipCommand) {
        let org = OrgId::parse("acme").unwrap();
        self.bus.clip.execute(&clip::stream_id(&org, clip_id), command, &at(second)).await.expect("clip command");
    }

    async fn request(&self, clip_id: ClipId, channel: &str, second: i64) {
        let request = clip_request(clip_id, channel, "vods/today.mkv", 90.0, 30.0);
        self.clip(clip_id, second, ClipCommand::RequestClip(request)).await;
    }

    async fn start(&self, clip_id: ClipId, second: i64) {
        let worker = ActorId::parse("svc:renderer-1").unwrap();
        self.clip(clip_id, second, ClipCommand::StartRendering { worker }).await;
    }

    async fn render(&self, clip_id: ClipId, second: i64) {
        self.start(clip_id, second).await;
        let rendered = RenderedClip {
            uri: MediaUri::parse(format!("/clips/{clip_id}.mp4")).unwrap(),
            thumbnail_uri: MediaUri::parse(format!("/clips/{clip_id}.jpg")).unwrap(),
            duration_ms: 30_000,
            size_bytes: 1234,
            sha256: ContentHash::parse("ab".repeat(32)).unwrap(),
        };
        self.clip(clip_id, second + 10, ClipCommand::CompleteRendering(rendered)).await;
    }

    async fn fail(&self, clip_id: ClipId, second: i64, retryable: bool) {
        self.start(clip_id, second).await;
        let reason = FailureReason::parse("ffmpeg exited with 1").unwrap();
        self.clip(clip_id, second + 10, ClipCommand::FailRendering { reason, retryable }).await;
    }

    async fn publication(&self, id: PublicationId, second: i64, command: PublicationCommand) {
        let org = OrgId::parse("acme").unwrap();
        self.bus
            .publication
            .execute(&publication::stream_id(&org, id), command, &at(second))
            .await
            .expect("publication command");
    }

    async fn create(&self, id: PublicationId, asset: Asset, targets: &[TargetPlatform], second: i64) {
        let command = PublicationCommand::CreatePublication(CreatePublication {
            publication_id: id,
            asset,
            targets: Targets::parse(targets.iter().copied()).unwrap(),
            title: Title::parse("The play").unwrap(),
            caption: Caption::parse("").unwrap(),
            hashtags: Hashtags::parse(vec![]).unwrap(),
            scheduled_at: None,
            idempotency_key: None,
        });
        self.publication(id, second, command).await;
    }

    async fn attempt(&self, id: PublicationId, target: TargetPlatform, second: i64) {
        let command = PublicationCommand::StartAttempt { target, at: platform_time(second) };
        self.publication(id, second, command).await;
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn analytics_queue_state_and_event_log_are_exact(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let writer = Writer { bus: bus(&pool) };
    let mut expected = Expected::new();

    // A publication read before the request of its clip: its counts must
    // wait for the clip's channel.
    let (late_clip, early_publication) = (ClipId::new_random(), PublicationId::new_random());
    writer.create(early_publication, Asset::Clip(late_clip), &[TargetPlatform::Youtube], 600).await;
    drain(&mut relay).await;
    let mut analytics_runner = start_runner(&pool, &kafka, Analytics).await;
    let mut queue_runner = start_runner(&pool, &kafka, Queue).await;
    analytics_runner.catch_up(Duration::from_secs(1)).await.unwrap();
    queue_runner.catch_up(Duration::from_secs(1)).await.unwrap();
    writer.request(late_clip, "pokimane", 590).await;
    count(&mut expected, "pokimane", 600, |t| t.publications_queued += 1);
    count(&mut expected, "pokimane", 590, |t| t.clips_requested += 1);

    // Chat: mostly within two hours, some the next day; every eighth a command.
    let mut rng = fastrand::Rng::with_seed(5);
    for n in 0..1500 {
        let who = rng.usize(..50);
        let channel = if who.is_multiple_of(3) { "pokimane" } else { "shroud" };
        let user = format!("user-{who}");
        let second = if rng.u8(..10) < 8 { rng.i64(0..7200) } else { rng.i64(86_000..100_000) };
        let text = if n % 8 == 0 { "!clip 30" } else { "gg" };
        chat_saying(&writer.bus, "acme", &viewer(channel, &user), &format!("m-{n}"), second, text).await;
        count(&mut expected, channel, second, |t| {
            t.messages += 1;
            t.chatters.insert(format!("twitch/{user}"));
            t.commands += i64::from(text.starts_with('!'));
        });
    }

    // Clips on shroud: rendered; failed once then rendered; failed for good; waiting.
    let clips: Vec<ClipId> = (0..4).map(|_| ClipId::new_random()).collect();
    for (clip, second) in clips.iter().zip([100, 300, 500, 4000]) {
        writer.request(*clip, "shroud", second).await;
        count(&mut expected, "shroud", second, |t| t.clips_requested += 1);
    }
    writer.render(clips[0], 150).await;
    writer.fail(clips[1], 310, true).await;
    writer.render(clips[1], 390).await;
    writer.fail(clips[2], 510, false).await;
    count(&mut expected, "shroud", 160, |t| t.clips_rendered += 1);
    count(&mut expected, "shroud", 400, |t| t.clips_rendered += 1);
    count(&mut expected, "shroud", 520, |t| t.clips_failed += 1);

    // A publication of the first clip: published to YouTube, given up on Discord.
    let publication = PublicationId::new_random();
    let (youtube, discord) = (TargetPlatform::Youtube, TargetPlatform::Discord);
    writer.create(publication, Asset::Clip(clips[0]), &[youtube, discord], 210).await;
    let media_uri = MediaUri::parse(format!("/clips/{}.mp4", clips[0])).unwrap();
    writer.publication(publication, 220, PublicationCommand::MarkAssetReady { media_uri }).await;
    writer.attempt(publication, youtube, 230).await;
    let post_id = PostId::parse("yt-123").unwrap();
    let url = Some(AssetUrl::parse("https://youtu.be/yt-123").unwrap());
    writer.publication(publication, 240, PublicationCommand::RecordPublished { target: youtube, post_id, url }).await;
    writer.attempt(publication, discord, 250).await;
    let error = FailureReason::parse("webhook deleted").unwrap();
    let failure = PublicationCommand::RecordFailure { target: discord, error, retryable: false, next_retry_at: None };
    writer.publication(publication, 260, failure).await;
    count(&mut expected, "shroud", 210, |t| t.publications_queued += 2);
    count(&mut expected, "shroud", 240, |t| t.publications_published += 1);
    count(&mut expected, "shroud", 260, |t| t.publications_failed += 1);
    // A publication of an asset hosted elsewhere belongs to no channel.
    let elsewhere = PublicationId::new_random();
    let asset = Asset::Url(AssetUrl::parse("https://cdn.example/a.mp4").unwrap());
    writer.create(elsewhere, asset, &[youtube], 700).await;

    drain(&mut relay).await;
    analytics_runner.catch_up(Duration::from_secs(1)).await.unwrap();
    queue_runner.catch_up(Duration::from_secs(1)).await.unwrap();
    let mut audit_runner = start_runner(&pool, &kafka, Audit).await;
    audit_runner.catch_up(Duration::from_secs(1)).await.unwrap();

    assert_eq!(analytics_in(&pool, "projection_analytics").await, by_count(expected));
    check_queue_state(&pool, &clips, publication, early_publication, elsewhere).await;
    check_event_log(&pool, clips[1]).await;
}

/// The read model keeps only how many chatters a bucket has: compare by size.
fn by_count(expected: Expected) -> Expected {
    expected
        .into_iter()
        .map(|(key, tally)| (key, Tally { chatters: numbered(tally.chatters.len() as i64), ..tally }))
        .collect()
}

fn numbered(count: i64) -> BTreeSet<String> {
    (0..count).map(|n| n.to_string()).collect()
}

/// Every non-empty bucket of both channels over the test's two days.
async fn analytics_in(pool: &PgPool, schema: &str) -> Expected {
    let from = platform_time(0).as_datetime();
    let to = platform_time(2 * 86_400).as_datetime();
    let mut seen = Expected::new();
    for channel in ["shroud", "pokimane"] {
        for bucket in Bucket::ALL {
            for point in analytics::read(pool, schema, "acme", channel, bucket, from, to).await.unwrap() {
                let tally = Tally {
                    messages: point.messages,
                    chatters: numbered(point.unique_chatters),
                    commands: point.commands,
                    clips_requested: point.clips_requested,
                    clips_rendered: point.clips_rendered,
                    clips_failed: point.clips_failed,
                    publications_queued: point.publications_queued,
                    publications_published: point.publications_published,
                    publications_failed: point.publications_failed,
                };
                if tally != Tally::default() {
                    seen.insert((channel.to_owned(), bucket.as_str(), point.bucket_start), tally);
                }
            }
        }
    }
    seen
}

async fn check_queue_state(
    pool: &PgPool,
    clips: &[ClipId],
    publication: PublicationId,
    early: PublicationId,
    elsewhere: PublicationId,
) {
    let s = "projection_queue";
    let mut conn = pool.acquire().await.unwrap();
    let job = |n: usize| {
        let id = clips[n].as_uuid();
        async move { queue::clip(&mut pool.acquire().await.unwrap(), s, "acme", id).await.unwrap().unwrap() }
    };
    let (first, second, third, fourth) = (job(0).await, job(1).await, job(2).await, job(3).await);
    assert_eq!((first.status.as_str(), first.attempts), ("rendered", 1));
    assert_eq!(first.media_uri.as_deref(), Some(format!("/clips/{}.mp4", clips[0]).as_str()));
    assert_eq!((first.rendered_duration_ms, first.size_bytes), (Some(30_000), Some(1234)));
    assert_eq!((second.status.as_str(), second.attempts, second.error), ("rendered", 2, None));
    assert_eq!((third.status.as_str(), third.error.as_deref()), ("failed", Some("ffmpeg exited with 1")));
    assert_eq!(third.retryable, Some(false));
    assert_eq!((fourth.status.as_str(), fourth.attempts), ("requested", 0));
    assert!(queue::clip(&mut conn, s, "other-org", clips[0].as_uuid()).await.unwrap().is_none(), "org-scoped");

    // Lists: filtered, newest first, each clip once across pages.
    let failed = ClipFilter { status: Some("failed".into()), ..ClipFilter::default() };
    let page = queue::clips(&mut conn, s, "acme", &failed, None, 10).await.unwrap();
    assert_eq!(page.clips.iter().map(|c| c.clip_id).collect::<Vec<_>>(), vec![clips[2].as_uuid()]);
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = queue::clips(&mut conn, s, "acme", &ClipFilter::default(), after, 2).await.unwrap();
        listed.extend(page.clips.iter().map(|c| (c.requested_at, c.clip_id)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(listed.len(), 5, "four clips on shroud and one on pokimane");
    assert!(listed.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");

    let p = queue::publication(&mut conn, s, "acme", publication.as_uuid()).await.unwrap().unwrap();
    assert_eq!(p.channel.as_deref(), Some("shroud"));
    assert!(!p.waiting_for_asset);
    let targets: Vec<(&str, &str, i32)> =
        p.targets.iter().map(|t| (t.platform.as_str(), t.status.as_str(), t.attempts)).collect();
    assert_eq!(targets, vec![("discord", "gave_up", 1), ("youtube", "published", 1)]);
    assert_eq!(p.targets[1].post_url.as_deref(), Some("https://youtu.be/yt-123"));
    assert_eq!(p.targets[0].last_error.as_deref(), Some("webhook deleted"));
    let early = queue::publication(&mut conn, s, "acme", early.as_uuid()).await.unwrap().unwrap();
    assert_eq!(early.channel.as_deref(), Some("pokimane"), "learned when its clip's request arrived");
    let elsewhere = queue::publication(&mut conn, s, "acme", elsewhere.as_uuid()).await.unwrap().unwrap();
    assert_eq!((elsewhere.channel, elsewhere.targets[0].status.as_str()), (None, "pending"));

    let gave_up = PublicationFilter { status: Some("gave_up".into()), ..PublicationFilter::default() };
    let page = queue::publications(&mut conn, s, "acme", &gave_up, None, 10).await.unwrap();
    assert_eq!(page.publications.len(), 1);
    assert_eq!(page.publications[0].targets.len(), 1, "only the matching target");
    let on_youtube = PublicationFilter { platform: Some("youtube".into()), ..PublicationFilter::default() };
    assert_eq!(queue::publications(&mut conn, s, "acme", &on_youtube, None, 10).await.unwrap().publications.len(), 3);
}

async fn check_event_log(pool: &PgPool, retried_clip: ClipId) {
    let s = "projection_audit";
    let stored: Vec<(uuid::Uuid, String, i64, String)> =
        sqlx::query_as("SELECT event_id, aggregate_id, sequence, event_type FROM events ORDER BY event_id")
            .fetch_all(pool)
            .await
            .unwrap();
    // Everything, once, by following the cursor.
    let mut read = Vec::new();
    let mut after = 0;
    loop {
        let page = audit::read(pool, s, "acme", &EventFilter::default(), after, 400).await.unwrap();
        read.extend(page.events.iter().map(|e| (e.event_id, e.aggregate_id.clone(), e.sequence, e.event_type.clone())));
        match page.next {
            Some(next) => after = next,
            None => break,
        }
    }
    read.sort();
    assert_eq!(read, stored);

    let org = OrgId::parse("acme").unwrap();
    let by_aggregate =
        EventFilter { aggregate_id: Some(clip::stream_id(&org, retried_clip).into()), ..EventFilter::default() };
    let page = audit::read(pool, s, "acme", &by_aggregate, 0, 100).await.unwrap();
    let types: Vec<&str> = page.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["ClipRequested", "ClipRenderingStarted", "ClipRenderingFailed", "ClipRenderingStarted", "ClipRendered"]
    );
    assert_eq!(page.events[2].payload["reason"], "ffmpeg exited with 1");
    assert!(page.events.iter().all(|e| e.actor == "svc:test-bot" && e.request_id.is_some()));

    let by_type = EventFilter { event_type: Some("TargetPublished".into()), ..EventFilter::default() };
    assert_eq!(audit::read(pool, s, "acme", &by_type, 0, 100).await.unwrap().events.len(), 1);
    // [from, to): the clip events of the first ten minutes, by event time.
    let window = EventFilter {
        from: Some(platform_time(100).as_datetime()),
        to: Some(platform_time(520).as_datetime()),
        aggregate_id: None,
        ..by_type.clone()
    };
    let window = EventFilter { event_type: None, ..window };
    let in_window = audit::read(pool, s, "acme", &window, 0, 1000).await.unwrap().events;
    assert!(
        in_window
            .iter()
            .all(|e| e.occurred_at >= platform_time(100).as_datetime()
                && e.occurred_at < platform_time(520).as_datetime())
    );
    assert!(!in_window.is_empty());
    assert!(audit::read(pool, s, "other-org", &EventFilter::default(), 0, 10).await.unwrap().events.is_empty());
}

/// The queue state announces each clip and publication it changed, in its
/// final state, once its batch commits: what `/v1/live` pushes.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn clip_and_publication_changes_are_announced_live(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let writer = Writer { bus: bus(&pool) };
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await.unwrap();
    listener.listen(wavestack_projections::live::LIVE_CHANNEL).await.unwrap();
    let clip = ClipId::new_random();
    writer.request(clip, "shroud", 10).await;
    writer.start(clip, 12).await;
    let elsewhere = PublicationId::new_random();
    let asset = Asset::Url(AssetUrl::parse("https://cdn.example/a.mp4").unwrap());
    writer.create(elsewhere, asset, &[TargetPlatform::Youtube], 20).await;
    drain(&mut relay).await;
    let mut queue = start_runner(&pool, &kafka, Queue).await;
    queue.catch_up(Duration::from_secs(1)).await.unwrap();

    let mut announced = Vec::new();
    while let Ok(notification) = tokio::time::timeout(Duration::from_secs(2), listener.recv()).await {
        announced.push(serde_json::from_str::<serde_json::Value>(notification.unwrap().payload()).unwrap());
    }
    let clips: Vec<&serde_json::Value> = announced.iter().filter(|n| n["type"] == "clip").collect();
    assert_eq!(clips.len(), 1, "one announcement per clip per batch: {announced:?}");
    assert_eq!((clips[0]["org"].as_str(), clips[0]["channel"].as_str()), (Some("acme"), Some("shroud")));
    assert_eq!(clips[0]["changes"]["status"], "rendering", "the clip's state after the batch");
    assert_eq!(clips[0]["changes"]["clip_id"], clip.as_uuid().to_string());
    let publications: Vec<&serde_json::Value> = announced.iter().filter(|n| n["type"] == "publication").collect();
    assert_eq!(publications.len(), 1, "{announced:?}");
    assert!(publications[0]["channel"].is_null(), "an asset hosted elsewhere belongs to no channel");
    assert_eq!(publications[0]["changes"]["targets"][0]["status"], "pending");
}
