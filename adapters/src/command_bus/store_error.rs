//! Why the event store failed a command, with the cause kept: a caller
//! decides on it (a worker retries a lost connection, not a corrupt
//! stream) and logs the whole chain once.

use std::sync::Arc;

use cqrs_es::AggregateError;

/// The sources are shared (`Arc`): one failed write fails every command of
/// its batch with the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("loading stream `{stream}`")]
    Load {
        stream: String,
        /// The store could not be reached (rather than a stream it could
        /// not read).
        connection: bool,
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    #[error("writing the events")]
    Write(#[source] Arc<sqlx::Error>),
    #[error("encoding {what}")]
    Encode {
        what: &'static str,
        #[source]
        source: Arc<serde_json::Error>,
    },
    #[error("the command got no outcome")]
    NoOutcome,
}

impl StoreError {
    pub(super) fn load<E: std::error::Error>(stream: &str, error: AggregateError<E>) -> Self {
        let (connection, source): (bool, Arc<dyn std::error::Error + Send + Sync>) = match error {
            AggregateError::DatabaseConnectionError(e) => (true, Arc::from(e)),
            AggregateError::UnexpectedError(e) => {
                let transient = e.downcast_ref::<sqlx::Error>().is_some_and(crate::postgres::is_transient);
                (transient, Arc::from(e))
            }
            AggregateError::DeserializationError(e) => (false, Arc::from(e)),
            // A load decides nothing, so neither of these should come back.
            other => (false, Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(other.to_string()))),
        };
        Self::Load { stream: stream.to_owned(), connection, source }
    }

    /// A query about the stream (how far it is written) failed.
    pub(super) fn query(stream: &str, error: sqlx::Error) -> Self {
        Self::Load {
            stream: stream.to_owned(),
            connection: crate::postgres::is_transient(&error),
            source: Arc::new(error),
        }
    }

    /// Whether the same command may succeed if tried again.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Load { connection, .. } => *connection,
            Self::Write(error) => crate::postgres::is_transient(error),
            Self::Encode { .. } | Self::NoOutcome => false,
        }
    }

    /// A stored event that does not read back as the aggregate's event.
    pub(super) fn decode(stream: &str, error: serde_json::Error) -> Self {
        Self::Load { stream: stream.to_owned(), connection: false, source: Arc::new(error) }
    }

    pub(super) fn encode(what: &'static str, error: serde_json::Error) -> Self {
        Self::Encode { what, source: Arc::new(error) }
    }
}
