//! What a handler's failure means: try again (the database restarting, a
//! broker away, a conflict) or never (the record cannot be handled, however
//! often). Transient failures are retried a bounded number of times; a
//! permanent one, or the last transient one, sends the record to the
//! consumer's dead-letter topic, and the partition moves on.

use std::time::Duration;

use crate::command_bus::{CommandError, StoreError};

/// A handler's failure, with its verdict.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("{0:#}")]
    Transient(#[source] anyhow::Error),
    #[error("{0:#}")]
    Permanent(#[source] anyhow::Error),
}

impl HandlerError {
    pub fn permanent(error: impl Into<anyhow::Error>) -> Self {
        Self::Permanent(error.into())
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// An error with no verdict of its own: transient if anything in its chain
/// is a connection, pool, I/O or timeout failure, or a database error
/// Postgres documents as worth retrying; permanent otherwise.
impl From<anyhow::Error> for HandlerError {
    fn from(error: anyhow::Error) -> Self {
        if is_transient(&error) {
            Self::Transient(error)
        } else {
            Self::Permanent(error)
        }
    }
}

/// Whether retrying can help, judged from the error's chain.
pub fn is_transient(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(store) = cause.downcast_ref::<StoreError>() {
            return store.is_transient();
        }
        if let Some(sqlx) = cause.downcast_ref::<sqlx::Error>() {
            return crate::postgres::is_transient(sqlx);
        }
        cause.is::<std::io::Error>()
            || cause.is::<tokio::time::error::Elapsed>()
            || cause.is::<rdkafka::error::KafkaError>()
    })
}

/// A command's failure keeps its own verdict.
impl<E: std::error::Error + Send + Sync + 'static> From<CommandError<E>> for HandlerError {
    fn from(error: CommandError<E>) -> Self {
        if error.is_transient() {
            Self::Transient(error.into())
        } else {
            Self::Permanent(error.into())
        }
    }
}

/// How often, and how far apart, a transient failure is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub first_pause: Duration,
    pub max_pause: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts over about a minute: a database restart or a broker
    /// failover is waited out; a record that fails longer than that is
    /// dead-lettered rather than holding its partition.
    fn default() -> Self {
        Self { attempts: 8, first_pause: Duration::from_millis(500), max_pause: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// After the `tries`-th failure: `None` to try again, or why the record
    /// goes to the dead-letter topic (a permanent failure, or the last
    /// transient one).
    pub fn give_up(&self, tries: u32, error: &HandlerError) -> Option<String> {
        match error {
            HandlerError::Transient(_) if tries < self.attempts => None,
            HandlerError::Transient(cause) => Some(format!("still failing after {tries} attempts: {cause:#}")),
            HandlerError::Permanent(cause) => Some(format!("{cause:#}")),
        }
    }

    /// The pause after the `attempt`-th failure (1-based).
    pub fn pause(&self, attempt: u32) -> Duration {
        self.first_pause.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(self.max_pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_transient_and_rule_failures_permanent() {
        let io = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("loading the clip");
        assert!(HandlerError::from(io).is_transient());
        let rule = anyhow::anyhow!("`garbage` is not a chat stream id");
        assert!(!HandlerError::from(rule).is_transient());
        assert!(!HandlerError::permanent(anyhow::anyhow!("x")).is_transient());
    }

    #[test]
    fn pauses_double_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let pauses: Vec<u64> = (1..=8).map(|a| policy.pause(a).as_millis() as u64).collect();
        assert_eq!(pauses, vec![500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    }
}
