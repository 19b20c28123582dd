//! The leaderboard from the real log: thousands of chat messages written
//! through the command bus, relayed (twice: duplicates) to a real broker,
//! projected; the result must equal what this test computes on its own.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::support::{bus, chat, drain, memory_broker, producer, relay, viewer};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::FutureRecord;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_adapters::relay::{Relay, RelayConfig};
use wavestack_projections::analytics::Analytics;
use wavestack_projections::leaderboard::{self, Leaderboard, Window};
use wavestack_projections::replay::{replay, ReplayOptions, ReplaySource};
use wavestack_projections::runtime::{dead_letter_topic, HEADER_ERROR};
use wavestack_projections::{supervise, ProjectionRunner, RunnerConfig};
use wavestack_schemas::{Codec, SchemaIds};

/// (channel, user) → (points, messages), computed from the messages sent.
type Expected = BTreeMap<(String, String), (i64, i64)>;

/// Writes `count` messages from `viewers` viewers over two channels, each
/// viewer's clock moving forward 1–120 s per message, and returns what the
/// leaderboard must show: one message each, one point per message at least
/// 60 s after the viewer's last point.
async fn write_chat(pool: &PgPool, count: usize, viewers: usize, seed: u64) -> Expected {
    write_chat_as(pool, count, viewers, seed, "user").await
}

async fn write_chat_as(pool: &PgPool, count: usize, viewers: usize, seed: u64, prefix: &str) -> Expected {
    let bus = bus(pool);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut clock: HashMap<usize, (i64, Option<i64>)> = HashMap::new();
    let mut expected = Expected::new();
    for n in 0..count {
        let who = rng.usize(..viewers);
        let channel = if who.is_multiple_of(2) { "shroud" } else { "pokimane" };
        let user = format!("{prefix}-{who}");
        let (now, last_award) = clock.entry(who).or_insert((0, None));
        *now += rng.i64(1..=120);
        let entry = expected.entry((channel.to_owned(), user.clone())).or_insert((0, 0));
        entry.1 += 1;
        if last_award.is_none_or(|last| *now - last >= 60) {
            *last_award = Some(*now);
            entry.0 += 1;
        }
        chat(&bus, "acme", &viewer(channel, &user), &format!("m-{seed}-{n}"), *now).await;
    }
    expected
}

async fn runner(pool: &PgPool, kafka: &KafkaConfig) -> ProjectionRunner<Leaderboard> {
    runner_with(pool, kafka, RunnerConfig::for_projection(&Leaderboard)).await
}

async fn runner_with(pool: &PgPool, kafka: &KafkaConfig, config: RunnerConfig) -> ProjectionRunner<Leaderboard> {
    ProjectionRunner::start(pool, kafka, Codec::from_catalog().unwrap(), Leaderboard, config, &CancellationToken::new())
        .await
        .unwrap()
        .expect("the runner gets its lock")
}

async fn leaderboard_of(pool: &PgPool) -> Expected {
    leaderboard_in(pool, "projection_leaderboard").await
}

async fn leaderboard_in(pool: &PgPool, schema: &str) -> Expected {
    let mut seen = Expected::new();
    for channel in ["shroud", "pokimane"] {
        let rows = leaderboard::read(pool, schema, "acme", channel, Window::AllTime, 0, 100_000).await.unwrap();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.rank, i as i64 + 1);
            if i > 0 {
                let before = &rows[i - 1];
                assert!(
                    (before.points, before.messages) >= (row.points, row.messages),
                    "ranked by points, then messages"
                );
            }
            seen.insert((channel.to_owned(), row.user_id.clone()), (row.points, row.messages));
        }
    }
    seen
}

/// A second relay under another name sends the whole log again.
async fn relay_everything_again(pool: &PgPool, kafka: &KafkaConfig) {
    let config = RelayConfig { name: "duplicate".into(), ..RelayConfig::default() };
    let mut again = Relay::acquire(pool, kafka, Codec::from_catalog().unwrap(), config, &CancellationToken::new())
        .await
        .unwrap()
        .unwrap();
    assert!(drain(&mut again).await > 0);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_leaderboard_is_exact_even_when_the_log_repeats_itself(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let expected = write_chat(&pool, 3000, 60, 7).await;
    let mut relay = relay(&pool, &kafka).await;
    drain(&mut relay).await;
    relay_everything_again(&pool, &kafka).await;

    let mut runner = runner(&pool, &kafka).await;
    let applied = runner.catch_up(Duration::from_secs(2)).await.unwrap();
    assert_eq!(leaderboard_of(&pool).await, expected);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await.unwrap();
    assert_eq!(applied as i64, events, "every event applied once, every duplicate skipped");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn killed_at_random_points_it_still_ends_exact(pool: PgPool) {
    // The runners' logs (their seeks back, a sequence gap) show with a failure.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("wavestack_adapters=info,wavestack_projections=info")
        .with_test_writer()
        .try_init();
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let mut expected = Expected::new();
    let mut rng = fastrand::Rng::with_seed(11);
    for round in 0..5u64 {
        // Writes keep flowing while the projection runs (new viewers each
        // round, so each round's expectation simply adds up)…
        expected.extend(write_chat_as(&pool, 400, 30, 100 + round, &format!("r{round}")).await);
        drain(&mut relay).await;
        let before = applied_so_far(&pool).await;
        // Small batches, so that a kill lands between, or inside, batches.
        // The channel analytics run alongside and are killed with it.
        let config = RunnerConfig { max_batch: 40, ..RunnerConfig::for_projection(&Leaderboard) };
        let runner = runner_with(&pool, &kafka, config).await;
        let task = tokio::spawn(runner.run(CancellationToken::new()));
        let config = RunnerConfig { max_batch: 40, ..RunnerConfig::for_projection(&Analytics) };
        let analytics = ProjectionRunner::start(
            &pool,
            &kafka,
            Codec::from_catalog().unwrap(),
            Analytics,
            config,
            &CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
        let analytics = tokio::spawn(analytics.run(CancellationToken::new()));
        // …and it is killed at a random point once it is applying:
        // mid-poll, mid-apply or mid-commit.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while applied_so_far(&pool).await == before && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.u64(0..30))).await;
        task.abort();
        analytics.abort();
        let _ = task.await;
        let _ = analytics.await;
    }
    // A runner killed mid-batch stored an offset inside one of tansu's
    // record batches; resuming there, the reader seeks back until it reads
    // the stored offset again, which can take a few quiet spells on a
    // loaded machine: catch up until the model is there (or a minute passed).
    let mut runner = runner(&pool, &kafka).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        runner.catch_up(Duration::from_secs(2)).await.unwrap();
        if leaderboard_of(&pool).await == expected || std::time::Instant::now() > deadline {
            break;
        }
    }
    assert_eq!(leaderboard_of(&pool).await, expected);
    assert_eq!(expected, expected_from_store(&pool).await);

    // The killed analytics equal a rebuild that was never interrupted
    // (whose exactness `read_models.rs` shows against independent counts).
    let mut analytics = ProjectionRunner::start(
        &pool,
        &kafka,
        Codec::from_catalog().unwrap(),
        Analytics,
        RunnerConfig::for_projection(&Analytics),
        &CancellationToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    let options = ReplayOptions { into: Some("analytics_clean".into()), ..ReplayOptions::default() };
    replay(&pool, &kafka, &SchemaIds::catalog(), Analytics, options, |_, _, _| {}).await.unwrap();
    let table = |schema: &str| {
        format!(
            "SELECT org, channel, bucket, bucket_start, messages, unique_chatters, commands
               FROM {schema}.rm_channel_analytics ORDER BY 1, 2, 3, 4"
        )
    };
    type Row = (String, String, String, time::OffsetDateTime, i64, i64, i64);
    let clean: Vec<Row> = sqlx::query_as(&table("analytics_clean")).fetch_all(&pool).await.unwrap();
    assert!(!clean.is_empty());
    // As above: catch up until the reader is back at the stored offsets.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let killed = loop {
        analytics.catch_up(Duration::from_secs(2)).await.unwrap();
        let killed: Vec<Row> = sqlx::query_as(&table("projection_analytics")).fetch_all(&pool).await.unwrap();
        if killed == clean || std::time::Instant::now() > deadline {
            break killed;
        }
    };
    let differing: Vec<(&Row, &Row)> = killed.iter().zip(&clean).filter(|(k, c)| k != c).take(5).collect();
    assert!(
        killed == clean,
        "the analytics after kills differ from a clean rebuild: {} rows against {}; first differences \
         (killed, clean): {differing:?}",
        killed.len(),
        clean.len()
    );
}

async fn applied_so_far(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(last_sequence), 0)::bigint FROM projection_leaderboard.positions")
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

/// Points and messages per viewer straight from the event store: an
/// independent count of what was written.
async fn expected_from_store(pool: &PgPool) -> Expected {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, event_type, count(*) FROM events WHERE aggregate_type = 'chat'
          GROUP BY aggregate_id, event_type",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut expected = Expected::new();
    for (aggregate_id, event_type, count) in rows {
        let parts: Vec<&str> = aggregate_id.split('/').collect();
        let entry = expected.entry((parts[2].to_owned(), parts[3].to_owned())).or_insert((0, 0));
        match event_type.as_str() {
            "ChatMessageReceived" => entry.1 += count,
            "PointsAwarded" => entry.0 += count,
            _ => {}
        }
    }
    expected
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_record_that_is_not_avro_goes_to_the_dead_letter_topic(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let first = write_chat(&pool, 50, 5, 1).await;
    drain(&mut relay).await;
    let garbage = producer(&kafka);
    garbage
        .send(
            FutureRecord::to("wavestack.chat.events.v1")
                .key("acme/twitch/shroud/user-0")
                .payload(b"\x00\x00\x00\x00\x01garbage"),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let mut runner = runner(&pool, &kafka).await;
    runner.catch_up(Duration::from_secs(2)).await.unwrap();
    assert_eq!(leaderboard_of(&pool).await, first);

    // It moved on: later events still arrive.
    let _ = write_chat(&pool, 50, 5, 2).await;
    drain(&mut relay).await;
    runner.catch_up(Duration::from_secs(2)).await.unwrap();
    assert_eq!(leaderboard_of(&pool).await, expected_from_store(&pool).await);

    let consumer: StreamConsumer = kafka
        .client_config()
        .set("group.id", format!("dlq-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&dead_letter_topic("leaderboard")]).unwrap();
    let message = tokio::time::timeout(Duration::from_secs(20), consumer.recv()).await.expect("a dead letter").unwrap();
    assert_eq!(message.payload().unwrap(), b"\x00\x00\x00\x00\x01garbage");
    let error = message.headers().unwrap().iter().find(|h| h.key == HEADER_ERROR).unwrap();
    assert!(String::from_utf8_lossy(error.value.unwrap()).contains("undecodable"));
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn replay_rebuilds_the_live_model_and_the_model_as_of_an_instant(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let before = write_chat_as(&pool, 600, 40, 21, "early").await;
    let instant = wavestack_domain::value::Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    tokio::time::sleep(Duration::from_millis(20)).await;
    write_chat_as(&pool, 600, 40, 22, "late").await;
    drain(&mut relay).await;
    let mut live = runner(&pool, &kafka).await;
    live.catch_up(Duration::from_secs(2)).await.unwrap();
    let live_board = leaderboard_of(&pool).await;

    let mut reports = 0;
    let options = ReplayOptions { into: Some("rebuilt".into()), ..ReplayOptions::default() };
    let report =
        replay(&pool, &kafka, &SchemaIds::catalog(), Leaderboard, options, |_, _, _| reports += 1).await.unwrap();
    assert!(reports > 0, "progress is reported");
    assert_eq!(leaderboard_in(&pool, "rebuilt").await, live_board);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await.unwrap();
    assert_eq!(report.events_applied as i64, events);

    // The same from the log, the other source.
    let from_log =
        ReplayOptions { into: Some("rebuilt_log".into()), source: ReplaySource::Log, ..ReplayOptions::default() };
    let report = replay(&pool, &kafka, &SchemaIds::catalog(), Leaderboard, from_log, |_, _, _| {}).await.unwrap();
    assert_eq!(leaderboard_in(&pool, "rebuilt_log").await, live_board);
    assert_eq!(report.events_applied as i64, events);

    let as_of = ReplayOptions { into: Some("as_of".into()), until: Some(instant), ..ReplayOptions::default() };
    replay(&pool, &kafka, &SchemaIds::catalog(), Leaderboard, as_of, |_, _, _| {}).await.unwrap();
    assert_eq!(leaderboard_in(&pool, "as_of").await, before);
    let as_of_log = ReplayOptions {
        into: Some("as_of_log".into()),
        until: Some(instant),
        source: ReplaySource::Log,
        ..ReplayOptions::default()
    };
    replay(&pool, &kafka, &SchemaIds::catalog(), Leaderboard, as_of_log, |_, _, _| {}).await.unwrap();
    assert_eq!(leaderboard_in(&pool, "as_of_log").await, before);

    // Swapping while the live runner runs: it steps aside for the swap, the
    // rebuilt model goes live, and the runner carries on from it.
    drop(live);
    let cancel = CancellationToken::new();
    let supervised =
        tokio::spawn(supervise(pool.clone(), kafka.clone(), SchemaIds::catalog(), Leaderboard, cancel.clone()));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !lock_held(&pool, "projection_leaderboard").await {
        assert!(std::time::Instant::now() < deadline, "the live runner never took its lock");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let swap = ReplayOptions { into: Some("rebuilt_third".into()), swap: true, ..ReplayOptions::default() };
    let report = replay(&pool, &kafka, &SchemaIds::catalog(), Leaderboard, swap, |_, _, _| {}).await.unwrap();
    assert!(!supervised.is_finished(), "the live runner stepped aside, it did not stop");
    assert_eq!(leaderboard_of(&pool).await, live_board);
    assert_eq!(leaderboard_in(&pool, report.retired.as_deref().unwrap()).await, live_board);
    // Existing schemas are never overwritten.
    let again = ReplayOptions { into: Some("rebuilt".into()), ..ReplayOptions::default() };
    assert!(replay(&pool, &kafka, &SchemaIds::catalog(), Leaderboard, again, |_, _, _| {}).await.is_err());

    // The live runner carries on from the swapped-in store replay: from the
    // offsets it handed over, nothing twice, nothing missed.
    write_chat_as(&pool, 300, 40, 23, "after").await;
    drain(&mut relay).await;
    let expected = expected_from_store(&pool).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while leaderboard_of(&pool).await != expected {
        assert!(std::time::Instant::now() < deadline, "the live runner did not carry on from the swapped-in model");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cancel.cancel();
    supervised.await.unwrap().unwrap();
}

/// Whether some session holds `schema`'s projection lock.
async fn lock_held(pool: &PgPool, schema: &str) -> bool {
    let mut conn = pool.acquire().await.unwrap();
    let took: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended('wavestack.projection:' || $1, 0))")
            .bind(schema)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    if took {
        sqlx::query("SELECT pg_advisory_unlock(hashtextextended('wavestack.projection:' || $1, 0))")
            .bind(schema)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    !took
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_read_model_not_built_yet_reads_as_empty(pool: PgPool) {
    let rows = leaderboard::read(&pool, "projection_nothing_yet", "acme", "shroud", Window::AllTime, 0, 10).await;
    assert_eq!(rows.unwrap(), vec![]);
    let applied = wavestack_projections::runtime::applied_sequence(&pool, "projection_nothing_yet", "acme/x").await;
    assert_eq!(applied.unwrap(), 0);
    // Other errors still surface.
    sqlx::query("CREATE SCHEMA broken").execute(&pool).await.unwrap();
    sqlx::query("CREATE TABLE broken.rm_leaderboard (org text)").execute(&pool).await.unwrap();
    assert!(leaderboard::read(&pool, "broken", "acme", "shroud", Window::AllTime, 0, 10).await.is_err());
}
