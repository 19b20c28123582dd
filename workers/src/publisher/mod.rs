//! The publisher: picks publication targets whose time has come (from the
//! queue read model), claims each through the publication aggregate
//! (`StartAttempt`: of two publishers racing for a target, one wins; the
//! other is refused and moves on), hands it to the target platform's
//! adapter under that platform's rate limit, and records the outcome:
//! published (post id, url), or failed with the next attempt due after
//! exponential backoff with jitter (or the platform's `Retry-After`), until
//! the aggregate gives up after its attempt limit.
//!
//! An attempt whose publisher died stays open until its lease runs out;
//! then a new attempt takes over with the same idempotency key, which
//! platforms that accept one (the webhook receiver) deduplicate on.

mod asset_ready;
mod due;

pub use asset_ready::AssetReady;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use governor::{DefaultDirectRateLimiter, Quota};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::{CommandBus, CommandError};
use wavestack_adapters::consumer::{DeadLetters, HandlerError, Record, RetryPolicy};
use wavestack_adapters::publishers::{
    redact, PublishOutcome, PublishRequest, Publisher, TargetRefused, Unsupported, SUPPORTED,
};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::publication::{PublicationCommand, PublicationError, PublicationPolicy};
use wavestack_domain::value::{ActorId, AssetUrl, FailureReason, OrgId, PostId, TargetPlatform, Timestamp};

use crate::retry::{backoff, truncate};
use due::{due_targets, DueTarget};

#[derive(Debug, Clone)]
pub struct PublisherConfig {
    pub worker: ActorId,
    /// Schema of the queue read model.
    pub schema: String,
    /// How often due targets are looked for.
    pub poll: Duration,
    /// Attempts in flight at once.
    pub concurrency: usize,
    /// First pause after a retryable failure; doubled per attempt.
    pub retry_base: Duration,
    /// Rendered clips: their public URL prefix and the directory behind
    /// it, so that uploading adapters read the file instead of fetching it.
    pub clips: Option<(String, PathBuf)>,
    /// How often a target whose attempt fails to run (not a platform's
    /// refusal: that is recorded on the publication) is tried again before
    /// it is dead-lettered.
    pub retry: RetryPolicy,
    /// `wavestack.dlq.publisher`; without it a dead-lettered target is only
    /// kept out of the due ones (and logged).
    pub dead_letters: Option<DeadLetters>,
}

impl PublisherConfig {
    pub fn new(worker: ActorId) -> Self {
        Self {
            worker,
            schema: "projection_queue".into(),
            poll: Duration::from_millis(500),
            concurrency: 4,
            retry_base: Duration::from_secs(5),
            clips: None,
            retry: RetryPolicy::default(),
            dead_letters: None,
        }
    }
}

/// One org's destination on one platform: its adapter, its rate limit,
/// and the secrets no recorded error may contain.
#[derive(Clone)]
struct Destination {
    adapter: Arc<dyn Publisher>,
    limit: Arc<DefaultDirectRateLimiter>,
    secrets: Arc<[String]>,
}

/// Each org's destinations. An org publishes only where it configured a
/// destination: another org's webhook or channel is never used for it.
#[derive(Clone, Default)]
pub struct Platforms {
    destinations: HashMap<(OrgId, TargetPlatform), Destination>,
}

impl std::fmt::Debug for Platforms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platforms").finish_non_exhaustive()
    }
}

impl Platforms {
    /// Adds `org`'s destination on the adapter's platform, allowed
    /// `per_minute` publishes (bursting up to that); `secrets` are redacted
    /// from every failure it reports.
    pub fn with(
        mut self,
        org: OrgId,
        adapter: Arc<dyn Publisher>,
        per_minute: NonZeroU32,
        secrets: Vec<String>,
    ) -> Self {
        let platform = adapter.platform();
        let destination = Destination {
            adapter,
            limit: Arc::new(DefaultDirectRateLimiter::direct(Quota::per_minute(per_minute))),
            secrets: secrets.into(),
        };
        self.destinations.insert((org, platform), destination);
        self
    }

    fn destination(&self, org: &OrgId, platform: TargetPlatform) -> Option<&Destination> {
        self.destinations.get(&(org.clone(), platform))
    }
}

#[derive(Debug)]
pub struct PublishWorker {
    pool: PgPool,
    bus: Arc<CommandBus>,
    platforms: Platforms,
    config: PublisherConfig,
    /// Targets whose attempt failed to run: how often, and not before when
    /// to try again.
    failing: std::sync::Mutex<HashMap<(String, String), (u32, std::time::Instant)>>,
}

impl PublishWorker {
    pub fn new(pool: PgPool, bus: Arc<CommandBus>, platforms: Platforms, config: PublisherConfig) -> Self {
        Self { pool, bus, platforms, config, failing: Default::default() }
    }

    /// Publishes until cancelled. Attempts in flight when it is cancelled
    /// are dropped: they stay open until their lease runs out, like a crash.
    pub async fn run(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let this = Arc::new(self);
        let lease = PublicationPolicy::default().attempt_lease.unsigned_abs();
        let mut attempts: JoinSet<(String, String)> = JoinSet::new();
        let mut in_flight: HashSet<(String, String)> = HashSet::new();
        loop {
            while let Some(done) = attempts.try_join_next() {
                if let Ok(key) = done {
                    in_flight.remove(&key);
                }
            }
            let room = this.config.concurrency.saturating_sub(attempts.len());
            if room > 0 {
                match due_targets(&this.pool, &this.config.schema, lease, (room * 4) as i64).await {
                    Ok(due) => {
                        for target in due {
                            let key = (target.publication_stream.clone(), target.platform.clone());
                            if attempts.len() >= this.config.concurrency
                                || this.backing_off(&key)
                                || !in_flight.insert(key.clone())
                            {
                                continue;
                            }
                            let this = this.clone();
                            attempts.spawn(async move {
                                match this.attempt(&target).await {
                                    Ok(()) => this.succeeded(&key),
                                    Err(error) => this.failed(&target, &key, HandlerError::from(error)).await,
                                }
                                key
                            });
                        }
                    }
                    Err(error) => tracing::warn!(error = format!("{error:#}"), "could not read due publications"),
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(this.config.poll) => {}
            }
        }
    }

    /// A target whose last attempt failed to run, still in its pause.
    fn backing_off(&self, key: &(String, String)) -> bool {
        let failing = self.failing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failing.get(key).is_some_and(|(_, not_before)| std::time::Instant::now() < *not_before)
    }

    fn succeeded(&self, key: &(String, String)) {
        self.failing.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
    }

    /// Pauses a transient failure; dead-letters a permanent one, or the
    /// last of too many transient ones, so it never holds back the others.
    async fn failed(&self, due: &DueTarget, key: &(String, String), error: HandlerError) {
        let tries = {
            let mut failing = self.failing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let entry = failing.entry(key.clone()).or_insert((0, std::time::Instant::now()));
            entry.0 += 1;
            entry.1 = std::time::Instant::now() + self.config.retry.pause(entry.0);
            entry.0
        };
        let Some(why) = self.config.retry.give_up(tries, &error) else {
            tracing::warn!(publication = %due.publication_id, platform = %due.platform, attempt = tries,
                error = %error, "publish attempt failed to run; retrying");
            return;
        };
        if let Err(error) = self.dead_letter(due, &why).await {
            tracing::warn!(publication = %due.publication_id, error = format!("{error:#}"), "could not dead-letter a target; retrying");
            return;
        }
        self.succeeded(key);
    }

    async fn dead_letter(&self, due: &DueTarget, why: &str) -> anyhow::Result<()> {
        if let Some(dead_letters) = &self.config.dead_letters {
            let record = Record {
                topic: wavestack_projections::queue::targets_source(&self.config.schema),
                partition: -1,
                offset: -1,
                key: Some(due.publication_stream.clone().into_bytes()),
                payload: serde_json::to_vec(due).context("encoding the target")?,
            };
            dead_letters.send(&record, why).await?;
        } else {
            tracing::error!(publication = %due.publication_id, platform = %due.platform, error = why, "dead-lettering a publication target");
        }
        sqlx::query(
            "INSERT INTO publisher_dead_letters (publication_stream, platform, error) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(&due.publication_stream)
        .bind(&due.platform)
        .bind(why)
        .execute(&self.pool)
        .await
        .context("keeping the target out of the due ones")?;
        metrics::counter!("wavestack_worker_dead_letters_total", "group" => "publisher").increment(1);
        Ok(())
    }

    async fn attempt(&self, due: &DueTarget) -> anyhow::Result<()> {
        let platform = TargetPlatform::parse(&due.platform)
            .map_err(|e| anyhow::anyhow!("the target's platform `{}` {e}", due.platform))?;
        let org = OrgId::parse(due.org.as_str()).map_err(|e| anyhow::anyhow!("the publication's org: {e}"))?;
        let stream = &due.publication_stream;
        let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        let metadata = EventMetadata::initiated(org.clone(), self.config.worker.clone(), now);
        // The command API refuses targets an org has not configured; one
        // removed from the configuration since is refused here, for good.
        let destination = self.platforms.destination(&org, platform).cloned();
        let metadata = EventMetadata { org, ..metadata };
        let claim = PublicationCommand::StartAttempt { target: platform, at: now };
        match self.bus.publication.execute(stream, claim, &metadata).await {
            Ok(_) => {}
            // Another publisher has it, or the read model was behind.
            Err(CommandError::Rejected(
                PublicationError::AttemptInProgress { .. }
                | PublicationError::AlreadyPublished { .. }
                | PublicationError::GaveUp { .. }
                | PublicationError::NotDueYet { .. }
                | PublicationError::AssetNotReady
                | PublicationError::Cancelled
                | PublicationError::AlreadyFinished,
            ))
            | Err(CommandError::Conflict) => return Ok(()),
            Err(error) => return Err(error.into()),
        }
        let attempt = self.bus.publication.load(stream).await?.target(platform).map_or(1, |t| t.attempts);
        let request = self.request(due, platform, attempt)?;
        let (outcome, secrets) = match &destination {
            Some(destination) => {
                destination.limit.until_ready().await;
                (destination.adapter.publish(&request).await, destination.secrets.clone())
            }
            None if SUPPORTED.contains(&platform) => {
                let refusal = TargetRefused::NotConfigured(platform).to_string();
                (PublishOutcome::permanent(refusal), Arc::from([]))
            }
            None => (Unsupported(platform).publish(&request).await, Arc::from([])),
        };
        let metadata =
            EventMetadata { occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()), ..metadata };
        let record = match outcome {
            PublishOutcome::Published { post_id, url } => {
                tracing::info!(publication = %due.publication_id, %platform, %post_id, "published");
                metrics::counter!("wavestack_published_total", "platform" => platform.as_str()).increment(1);
                PublicationCommand::RecordPublished {
                    target: platform,
                    post_id: PostId::parse(post_id.as_str()).context("the platform's post id")?,
                    url: url.and_then(|u| AssetUrl::parse(u).ok()),
                }
            }
            PublishOutcome::Failed { error, retryable, retry_after } => {
                // The last fence: whatever an adapter said, no destination
                // secret reaches the event, the read models or the log.
                let error = redact(&error, &secrets);
                tracing::warn!(publication = %due.publication_id, %platform, attempt, %error, retryable, "publish failed");
                metrics::counter!("wavestack_publish_failures_total", "platform" => platform.as_str()).increment(1);
                let pause = backoff(self.config.retry_base, attempt, Duration::from_secs(3600))
                    .max(retry_after.unwrap_or_default());
                PublicationCommand::RecordFailure {
                    target: platform,
                    error: FailureReason::parse(truncate(&error, 500))
                        .or_else(|_| FailureReason::parse("the platform refused"))
                        .expect("a plain reason is valid"),
                    retryable,
                    next_retry_at: Some(metadata.occurred_at.plus(time::Duration::try_from(pause)?)),
                }
            }
        };
        self.bus.publication.execute(stream, record, &metadata).await?;
        Ok(())
    }

    fn request(&self, due: &DueTarget, platform: TargetPlatform, attempt: u32) -> anyhow::Result<PublishRequest> {
        let media_url =
            due.media_uri.clone().or_else(|| due.asset_url.clone()).context("the publication has no media")?;
        // Only the org's own rendered clip is read from disk: its URI was
        // written by the asset-ready worker from a clip of the same org. An
        // asset URL is whatever the caller gave, and is never mapped to a
        // file, so it cannot name another org's clip on this machine.
        let media_file = due.media_uri.as_deref().zip(self.config.clips.as_ref()).and_then(|(uri, (base, dir))| {
            let relative = uri.strip_prefix(base.as_str())?.trim_start_matches('/');
            let file = dir.join(relative);
            (!relative.contains("..") && file.is_file()).then_some(file)
        });
        Ok(PublishRequest {
            publication_id: due.publication_id,
            target: platform,
            attempt,
            title: due.title.clone(),
            caption: due.caption.clone(),
            hashtags: due.hashtags.clone(),
            media_url,
            media_file,
            idempotency_key: format!("{}:{platform}", due.publication_id),
        })
    }
}
