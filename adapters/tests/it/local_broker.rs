//! The local broker `wavestack up` runs: tansu on SQLite, indexed and
//! watched.

use std::time::{Duration, Instant};

use rdkafka::producer::{FutureProducer, FutureRecord};
use wavestack_adapters::kafka::{ensure_topics, KafkaConfig, LocalBroker, LocalBrokerStorage};

#[test]
fn the_record_headers_are_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let broker = LocalBroker::start(LocalBrokerStorage::Sqlite(dir.path().to_owned())).unwrap();
    let db = rusqlite::Connection::open(dir.path().join("tansu.db")).unwrap();
    let plan: String = db
        .query_row("EXPLAIN QUERY PLAN SELECT k, v FROM header WHERE topition = 1 AND offset_id = 7", [], |row| {
            row.get(3)
        })
        .unwrap();
    assert!(plan.contains("USING INDEX wavestack_header_by_record"), "{plan}");
    drop(broker);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_that_dies_is_restarted_with_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let broker = LocalBroker::start(LocalBrokerStorage::Sqlite(dir.path().to_owned())).unwrap();
    let pid = broker.pid().unwrap();
    let kafka = KafkaConfig { partitions: 1, ..KafkaConfig::new(broker.bootstrap()) };
    let broker = broker.watched();
    ensure_topics(&kafka, &["watched".to_owned()]).await.unwrap();
    let producer: FutureProducer = kafka.client_config().set("message.timeout.ms", "60000").create().unwrap();
    let send =
        |payload: &'static str| producer.send(FutureRecord::to("watched").key("k").payload(payload), Duration::ZERO);
    send("before").await.unwrap();

    std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    // Sent while the broker is down: delivered once the watch restarted it.
    let started = Instant::now();
    send("during").await.expect("delivered after the restart");
    assert!(started.elapsed() < Duration::from_secs(60));

    let offsets = tokio::task::spawn_blocking(move || {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let consumer: BaseConsumer = kafka.client_config().set("group.id", "probe").create().unwrap();
        consumer.fetch_watermarks("watched", 0, Duration::from_secs(10)).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(offsets, (0, 2), "the record from before the crash survived");
    drop(broker);
}
