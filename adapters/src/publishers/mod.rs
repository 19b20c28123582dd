//! Platform adapters behind one `Publisher` trait: each takes a rendered
//! clip and its text to one platform and says what came of it. Platforms
//! without an adapter refuse clearly (see `Unsupported`).

mod destinations;
mod discord;
mod webhook;
mod youtube;

pub use destinations::{redact, validate, ConfiguredTargets, DestinationConfig, TargetRefused, SUPPORTED};
pub use discord::{DiscordPublisher, ATTACHMENT_LIMIT};
pub use webhook::{sign, WebhookPublisher, SIGNATURE_HEADER, TIMESTAMP_HEADER};
pub use youtube::{YoutubePublisher, CHUNK_UNIT};

use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;
use uuid::Uuid;
use wavestack_domain::value::TargetPlatform;

/// One attempt at publishing one publication to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    pub publication_id: Uuid,
    pub target: TargetPlatform,
    pub attempt: u32,
    pub title: String,
    pub caption: String,
    pub hashtags: Vec<String>,
    /// Where the platform (or the receiver) can fetch the media.
    pub media_url: String,
    /// The media on this machine, for adapters that upload it.
    pub media_file: Option<PathBuf>,
    /// The same for every attempt at this target: platforms that accept
    /// one deduplicate on it, so a retry after a crash publishes once.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    Published {
        post_id: String,
        url: Option<String>,
    },
    Failed {
        error: String,
        /// Worth another attempt (5xx, 429, the network), not a refusal.
        retryable: bool,
        /// What the platform asked for (`Retry-After`).
        retry_after: Option<Duration>,
    },
}

impl PublishOutcome {
    pub fn permanent(error: impl Into<String>) -> Self {
        Self::Failed { error: error.into(), retryable: false, retry_after: None }
    }

    pub fn transient(error: impl Into<String>, retry_after: Option<Duration>) -> Self {
        Self::Failed { error: error.into(), retryable: true, retry_after }
    }
}

pub trait Publisher: Send + Sync {
    fn platform(&self) -> TargetPlatform;
    fn publish<'a>(&'a self, request: &'a PublishRequest) -> BoxFuture<'a, PublishOutcome>;
}

/// A platform with no adapter yet: every attempt fails for good, saying so.
#[derive(Debug)]
pub struct Unsupported(pub TargetPlatform);

impl Publisher for Unsupported {
    fn platform(&self) -> TargetPlatform {
        self.0
    }

    fn publish<'a>(&'a self, _: &'a PublishRequest) -> BoxFuture<'a, PublishOutcome> {
        let platform = self.0;
        Box::pin(async move {
            PublishOutcome::permanent(format!("publishing to {platform} is not supported yet (no adapter)"))
        })
    }
}

/// How an HTTP answer counts: 2xx published, 408/425/429/5xx worth
/// retrying (after `Retry-After` if given), any other refused for good.
pub(crate) fn failure_of(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> PublishOutcome {
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let snippet: String = body.chars().take(300).collect();
    let error = format!("{status}: {}", snippet.trim());
    match status.as_u16() {
        408 | 425 | 429 | 500..=599 => PublishOutcome::transient(error, retry_after),
        _ => PublishOutcome::permanent(error),
    }
}

/// A request that never got an answer: worth retrying. reqwest's text
/// names the URL, and a destination's URL can hold its credential (a
/// Discord webhook's token, a resumable upload's session), so it goes.
pub(crate) fn unreachable(error: reqwest::Error) -> PublishOutcome {
    PublishOutcome::transient(format!("no answer: {}", describe(error)), None)
}

/// An error's text and its causes', without the URL.
pub(crate) fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
