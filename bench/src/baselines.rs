//! What the machine itself does, measured in the same run against the same
//! Postgres and the same broker, so that the stack's numbers read as ratios
//! that survive a noisy machine:
//!
//! - a raw batched INSERT of rows shaped like the event store's, without the
//!   command path (no decide, no hash-chain trigger, no snapshot);
//! - a raw produce and a raw consume of the very records the relay wrote
//!   (Avro values, keys, headers), with the relay's client library and
//!   producer settings, into a topic of their own.

use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;
use wavestack_adapters::kafka::{ensure_topics, idempotent_producer, KafkaConfig};

/// The topic the relay writes chat events to: the records copied.
const CHAT_TOPIC: &str = "wavestack.chat.events.v1";
const BASELINE_TOPIC: &str = "wavestack.bench-baseline.v1";
/// Distinct records copied from the chat topic and produced round-robin.
const TEMPLATES: usize = 2_000;

#[derive(Debug, Clone, Serialize)]
pub struct Baselines {
    pub postgres_insert: Option<Rate>,
    pub broker_produce: Option<Rate>,
    pub broker_consume: Option<Rate>,
    /// Mean size of the records produced and consumed (key + value).
    pub record_bytes: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub count: u64,
    pub seconds: f64,
    pub per_second: f64,
    /// Stopped at its time limit before doing all it meant to.
    pub cut_short: bool,
}

impl Rate {
    fn new(count: u64, took: Duration, cut_short: bool) -> Self {
        let seconds = took.as_secs_f64();
        Self { count, seconds, per_second: count as f64 / seconds.max(1e-9), cut_short }
    }
}

/// Rows like the event store's (same columns, indexes and defaults), from
/// `clients` connections at once, `batch` rows a statement, for `seconds`.
pub async fn postgres_insert(database_url: &str, seconds: u64, clients: usize, batch: usize) -> anyhow::Result<Rate> {
    // Connected as the stack connects (no TLS on loopback), so the baseline
    // pays what the store pays per statement.
    let pool = wavestack_adapters::postgres::connect(database_url, clients.max(1) as u32)
        .await
        .context("connecting for the INSERT baseline")?;
    sqlx::query("DROP TABLE IF EXISTS bench_raw_events").execute(&pool).await?;
    sqlx::query(
        "CREATE TABLE bench_raw_events (
            aggregate_type text NOT NULL, aggregate_id text NOT NULL, sequence bigint NOT NULL,
            event_type text NOT NULL, event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL,
            position bigserial NOT NULL UNIQUE, transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
            event_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
            recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(), hash bytea NOT NULL,
            PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    )
    .execute(&pool)
    .await?;
    sqlx::query("CREATE INDEX ON bench_raw_events (transaction_id, position)").execute(&pool).await?;
    // A chat message as the event store holds it, about the same size.
    let payload = r#"{"ChatMessageReceived":{"platform":"twitch","channel":"channel-07","user_id":"viewer-12345","message_id":"m-0000000000","author":"viewer12345","role":"viewer","text":"that was a clean play, clip it","sent_at":"2026-11-22T10:00:00.000000Z"}}"#;
    let metadata = r#"{"org":"bench","actor":"svc:bench","correlation_id":"5f0c6b1e-8a0e-4d5e-9a57-2b8f3f1f0a11","occurred_at":"2026-11-22T10:00:00.000000Z","request_id":"req-1"}"#;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let writers: Vec<_> = (0..clients)
        .map(|client| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut written = 0_u64;
                while Instant::now() < deadline {
                    let ids: Vec<String> = (0..batch).map(|i| format!("bench/twitch/c/{client}-{written}-{i}")).collect();
                    sqlx::query(
                        "INSERT INTO bench_raw_events
                             (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, hash)
                         SELECT 'chat', id, 1, 'ChatMessageReceived', '1', $2::json, $3::json, '\\x00'
                           FROM unnest($1::text[]) AS id",
                    )
                    .bind(&ids)
                    .bind(payload)
                    .bind(metadata)
                    .execute(&pool)
                    .await?;
                    written += batch as u64;
                }
                Ok::<_, sqlx::Error>(written)
            })
        })
        .collect();
    let mut rows = 0;
    for writer in writers {
        rows += writer.await??;
    }
    let took = started.elapsed();
    sqlx::query("DROP TABLE bench_raw_events").execute(&pool).await?;
    pool.close().await;
    Ok(Rate::new(rows, took, false))
}

/// One record as the relay wrote it.
struct Template {
    key: Vec<u8>,
    value: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
}

/// Produces `records` copies of the relay's chat records (or as many as fit
/// in `limit`), then consumes them back from the start.
pub async fn broker(kafka: &KafkaConfig, records: u64, limit: Duration) -> anyhow::Result<Baselines> {
    let templates = read_templates(kafka)?;
    anyhow::ensure!(!templates.is_empty(), "the relay has written no chat records to copy");
    let record_bytes =
        templates.iter().map(|t| (t.key.len() + t.value.len()) as f64).sum::<f64>() / templates.len() as f64;
    ensure_topics(kafka, &[BASELINE_TOPIC.to_owned()]).await?;
    let produce = produce(kafka, &templates, records, limit).await?;
    // Read from the start to the end, as a projection catching up would.
    let consume = tokio::task::block_in_place(|| consume_topic(kafka, BASELINE_TOPIC, produce.count, limit))?;
    Ok(Baselines {
        postgres_insert: None,
        broker_produce: Some(produce),
        broker_consume: Some(consume),
        record_bytes: Some(record_bytes),
    })
}

fn consumer(kafka: &KafkaConfig) -> anyhow::Result<BaseConsumer> {
    kafka
        .client_config()
        .set("group.id", "wavestack-bench-baseline")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("fetch.wait.max.ms", "50")
        .create()
        .context("creating the baseline consumer")
}

/// Assigns every partition of `topic` from the start; returns the partitions
/// and their end offsets.
fn assign_from_start(consumer: &BaseConsumer, topic: &str) -> anyhow::Result<Vec<(i32, i64)>> {
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let partitions: Vec<i32> =
        metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect::<Vec<_>>();
    let mut assignment = TopicPartitionList::new();
    let mut ends = Vec::new();
    for partition in partitions {
        let (_, high) = consumer.fetch_watermarks(topic, partition, Duration::from_secs(10))?;
        assignment.add_partition_offset(topic, partition, Offset::Beginning)?;
        ends.push((partition, high));
    }
    consumer.assign(&assignment)?;
    Ok(ends)
}

fn read_templates(kafka: &KafkaConfig) -> anyhow::Result<Vec<Template>> {
    let consumer = consumer(kafka)?;
    let ends = assign_from_start(&consumer, CHAT_TOPIC)?;
    let available: i64 = ends.iter().map(|(_, high)| high).sum();
    let wanted = (available.max(0) as usize).min(TEMPLATES);
    let mut templates = Vec::with_capacity(wanted);
    let deadline = Instant::now() + Duration::from_secs(60);
    while templates.len() < wanted && Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(200)) else { continue };
        let Ok(message) = message else { continue };
        let headers = message
            .headers()
            .map(|h| h.iter().map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec())).collect())
            .unwrap_or_default();
        templates.push(Template {
            key: message.key().unwrap_or_default().to_vec(),
            value: message.payload().unwrap_or_default().to_vec(),
            headers,
        });
    }
    Ok(templates)
}

async fn produce(kafka: &KafkaConfig, templates: &[Template], records: u64, limit: Duration) -> anyhow::Result<Rate> {
    let producer = idempotent_producer(kafka)?;
    let started = Instant::now();
    let mut deliveries: std::collections::VecDeque<DeliveryFuture> = Default::default();
    let (mut acknowledged, mut failed) = (0_u64, 0_u64);
    let mut cut_short = false;
    for n in 0..records {
        if started.elapsed() > limit {
            cut_short = true;
            break;
        }
        let template = &templates[n as usize % templates.len()];
        let mut headers = OwnedHeaders::new_with_capacity(template.headers.len());
        for (key, value) in &template.headers {
            headers = headers.insert(rdkafka::message::Header { key, value: Some(value) });
        }
        let mut record = FutureRecord::to(BASELINE_TOPIC)
            .key(template.key.as_slice())
            .payload(template.value.as_slice())
            .headers(headers);
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    deliveries.push_back(delivery);
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    record = returned;
                    // Make room: wait for the oldest acknowledgement.
                    match deliveries.pop_front() {
                        Some(delivery) => tally(delivery.await, &mut acknowledged, &mut failed),
                        None => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
                Err((error, _)) => return Err(anyhow::anyhow!(error).context("enqueueing a baseline record")),
            }
        }
    }
    for delivery in deliveries {
        tally(delivery.await, &mut acknowledged, &mut failed);
    }
    let took = started.elapsed();
    if failed > 0 {
        tracing::warn!(failed, "baseline records the broker did not acknowledge");
    }
    Ok(Rate::new(acknowledged, took, cut_short))
}

fn tally(
    delivery: Result<rdkafka::producer::future_producer::OwnedDeliveryResult, futures::channel::oneshot::Canceled>,
    acknowledged: &mut u64,
    failed: &mut u64,
) {
    match delivery {
        Ok(Ok(_)) => *acknowledged += 1,
        _ => *failed += 1,
    }
}

/// Reads the relay's chat topic from the start to its end with the
/// baseline's consumer: the raw rate to hold a replay of the same log to.
pub async fn consume_chat_log(kafka: &KafkaConfig, limit: Duration) -> anyhow::Result<Rate> {
    let kafka = kafka.clone();
    tokio::task::spawn_blocking(move || consume_topic(&kafka, CHAT_TOPIC, 0, limit)).await?
}

fn consume_topic(kafka: &KafkaConfig, topic: &str, expected: u64, limit: Duration) -> anyhow::Result<Rate> {
    let consumer = consumer(kafka)?;
    let ends = assign_from_start(&consumer, topic)?;
    let mut open: std::collections::HashSet<i32> = ends.iter().filter(|(_, high)| *high > 0).map(|(p, _)| *p).collect();
    let started = Instant::now();
    let mut read = 0_u64;
    let mut cut_short = false;
    while !open.is_empty() {
        if started.elapsed() > limit {
            cut_short = true;
            break;
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                read += 1;
                let end = ends.iter().find(|(p, _)| *p == message.partition()).map_or(0, |(_, high)| *high);
                if message.offset() + 1 >= end {
                    open.remove(&message.partition());
                }
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                open.remove(&partition);
            }
            Some(Err(error)) => tracing::warn!(%error, "baseline consumer"),
            None => {}
        }
    }
    if !cut_short && read < expected {
        tracing::warn!(read, expected, "the baseline topic held fewer records than were acknowledged");
    }
    Ok(Rate::new(read, started.elapsed(), cut_short))
}
