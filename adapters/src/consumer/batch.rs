//! Reading the log a batch at a time, resumed exactly at the stored offsets
//! whatever the broker does (`ResumeGuard`: tansu answers a fetch inside a
//! record batch from the next one, and the reader seeks back).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::Offset;

use super::Record;
use crate::kafka::{Admit, ResumeGuard};

/// How long an empty poll waits for a first record.
const FIRST_RECORD_WAIT: Duration = Duration::from_millis(100);

pub struct BatchReader {
    consumer: Arc<StreamConsumer>,
    resume: ResumeGuard,
    /// When a consumer error was last logged: an outage is said once every
    /// ten seconds, not at every poll.
    warned_at: Option<Instant>,
}

impl std::fmt::Debug for BatchReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchReader").finish_non_exhaustive()
    }
}

impl BatchReader {
    /// `consumer` assigned at the offsets `resume` expects.
    pub fn new(consumer: StreamConsumer, resume: ResumeGuard) -> Self {
        Self { consumer: Arc::new(consumer), resume, warned_at: None }
    }

    /// Up to `max` records: what arrives within `max_wait` of the first
    /// one, or nothing after a short wait. A consumer error (the broker
    /// away) is logged and the batch ends; librdkafka reconnects by itself.
    pub async fn poll(&mut self, max: usize, max_wait: Duration) -> Vec<Record> {
        let mut records = Vec::new();
        let mut first_at: Option<Instant> = None;
        while records.len() < max {
            let wait = match first_at {
                None => FIRST_RECORD_WAIT,
                Some(at) => match max_wait.checked_sub(at.elapsed()) {
                    Some(left) => left,
                    None => break,
                },
            };
            let Ok(polled) = tokio::time::timeout(wait, self.consumer.recv()).await else { break };
            let record = match polled {
                Ok(message) => Record::from_message(&message),
                Err(error) => {
                    if self.warned_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                        tracing::warn!(error = %error, "reading the log failed; waiting for the broker");
                        self.warned_at = Some(Instant::now());
                    }
                    tokio::time::sleep(FIRST_RECORD_WAIT).await;
                    break;
                }
            };
            match self.resume.admit(&record.topic, record.partition, record.offset) {
                Admit::Process => {
                    first_at.get_or_insert_with(Instant::now);
                    records.push(record);
                }
                Admit::Drop => {}
                Admit::Rewind(offset) => {
                    tracing::info!(topic = %record.topic, partition = record.partition, offset, record = record.offset,
                        "broker resumed past the stored offset; seeking back");
                    self.seek(&record.topic, record.partition, offset).await;
                }
            }
        }
        if records.is_empty() {
            self.rewind_stalled().await;
        }
        records
    }

    /// Seeks back the watched partitions that stay silent (the stored
    /// offset inside the log's last batch, which tansu answers with
    /// nothing).
    async fn rewind_stalled(&mut self) {
        for (topic, partition, offset) in self.resume.stalled(Instant::now()) {
            tracing::info!(topic = %topic, partition, offset,
                "nothing read from the stored offset yet; seeking back to be sure none is skipped");
            self.seek(&topic, partition, offset).await;
        }
    }

    /// Waits until librdkafka has moved the fetch position (so no record
    /// fetched before arrives after), on a blocking thread: the wait would
    /// otherwise hold up the runtime's thread, and every API and consumer of
    /// the process with it.
    async fn seek(&self, topic: &str, partition: i32, offset: i64) {
        let consumer = Arc::clone(&self.consumer);
        let topic = topic.to_owned();
        let seek = move || consumer.seek(&topic, partition, Offset::Offset(offset), Duration::from_secs(5));
        match tokio::task::spawn_blocking(seek).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(error = %error, "seek failed"),
            Err(error) => tracing::warn!(error = %error, "seek did not finish"),
        }
    }
}
