//! What every consumer of the log shares, projections and workers alike:
//! the record as read, the verdict on a failure (transient or permanent),
//! bounded retries, and the dead-letter topic `wavestack.dlq.<consumer>`
//! for what cannot be handled, so that a poison record never stops a
//! partition. Resuming at a stored offset (tansu's quirk) is
//! `kafka::ResumeGuard`; each consumer stores its offsets with what it
//! writes. Partition ownership: a worker group (`group`) shares its topics'
//! partitions among its members, one Postgres advisory lock per partition;
//! a projection owns all of its topics under one lock per read model
//! (`wavestack_projections::runtime::ProjectionStore`), because its offsets
//! commit with its read model.

mod batch;
mod dead_letter;
pub mod group;
mod verdict;

pub use batch::BatchReader;
pub use dead_letter::{dead_letter_topic, DeadLetters, Record, HEADER_ERROR, HEADER_SOURCE};
pub use verdict::{is_transient, HandlerError, RetryPolicy};

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// How one record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Done,
    /// On the dead-letter topic: permanent, or out of retries.
    DeadLettered,
    /// Cancelled before it was done: the next owner handles it again.
    Cancelled,
}

/// Runs `attempt` until it succeeds, fails permanently or runs out of
/// retries; in the last two cases the record goes to the dead-letter topic.
/// Err only when the dead letter cannot be written (the broker is away):
/// the record is then not passed, and is handled again later.
pub async fn handle_record<F, Fut>(
    record: &Record,
    dead_letters: &DeadLetters,
    policy: RetryPolicy,
    cancel: &CancellationToken,
    mut attempt: F,
) -> anyhow::Result<Handled>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), HandlerError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return Ok(Handled::Cancelled),
            outcome = attempt() => outcome,
        };
        let error = match outcome {
            Ok(()) => return Ok(Handled::Done),
            Err(error) => error,
        };
        if let Some(why) = policy.give_up(tries, &error) {
            dead_letters.send(record, &why).await?;
            return Ok(Handled::DeadLettered);
        }
        let pause = policy.pause(tries);
        tracing::warn!(topic = %record.topic, partition = record.partition, offset = record.offset,
            attempt = tries, retry_in = ?pause, error = %error, "handling a record failed; retrying");
        tokio::select! {
            _ = cancel.cancelled() => return Ok(Handled::Cancelled),
            _ = tokio::time::sleep(pause) => {}
        }
    }
}
