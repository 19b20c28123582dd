//! Each worker as a component of a running stack: it starts, runs until
//! its cancel token fires, and a worker group rejoins after failures
//! rather than end (a component that ends takes the stack down with it).
//! `Stack::build` and `wavestack render` call these.

use std::sync::Arc;
use std::time::Duration;

use crate::chat_clips::{ChatClipper, Recording};
use crate::checkpointer::CheckpointerConfig;
use crate::community_settler::CommunitySettler;
use crate::points_settler::PointsSettler;
use crate::publisher::{AssetReady, Platforms, PublishWorker, PublisherConfig};
use crate::renderer::ClipRenderer;
use crate::retention::{ClipRetention, RetentionConfig};
use anyhow::Context;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::consumer::group::{self as partitions, GroupConfig, Handler};
use wavestack_adapters::consumer::DeadLetters;
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_adapters::media::{ClipFiles, RenderQuota, Renderer};
use wavestack_domain::value::ActorId;
use wavestack_schemas::{Codec, SchemaIds};

/// Renders clips until cancelled.
#[allow(clippy::too_many_arguments)]
pub async fn renderer(
    pool: sqlx::PgPool,
    bus: Arc<CommandBus>,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    renderer: Renderer,
    jobs: usize,
    quota: RenderQuota,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let worker = ActorId::parse(format!("svc:renderer-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]))
        .context("naming the renderer")?;
    let swept = renderer.files.sweep_temporaries(Duration::from_secs(3600)).await.unwrap_or(0);
    if swept > 0 {
        tracing::info!(swept, "removed temporary files left by killed renders");
    }
    tracing::info!(%worker, media_root = %renderer.policy.media_root().display(),
        clips_dir = %renderer.files.dir().display(), jobs, "clip renderer ready");
    let handler = ClipRenderer::new(bus, renderer, worker, jobs).with_quota(quota);
    run_group(pool, kafka, schema_ids, ClipRenderer::group_config, handler, cancel).await
}

/// Turns `!clip` in chat into clip requests until cancelled.
pub async fn chat_clipper(
    pool: sqlx::PgPool,
    bus: Arc<CommandBus>,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    recordings: Vec<Recording>,
    quota: RenderQuota,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    tracing::info!(recordings = recordings.len(), "chat clipper ready");
    let handler = ChatClipper::new(bus, recordings).with_quota(quota);
    run_group(pool, kafka, schema_ids, ChatClipper::group_config, handler, cancel).await
}

/// Finishes the points moves the API began (gifts credited, prices of
/// refused uses refunded), exactly once, from the log.
pub async fn points_settler(
    pool: sqlx::PgPool,
    bus: Arc<CommandBus>,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let handler = PointsSettler::new(pool.clone(), bus);
    run_group(pool, kafka, schema_ids, PointsSettler::group_config, handler, cancel).await
}

/// Finishes the community steps the API began (merges, unlinks, entry
/// prices, a cancelled giveaway's refunds), exactly once, from the log.
pub async fn community_settler(
    pool: sqlx::PgPool,
    bus: Arc<CommandBus>,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let handler = CommunitySettler::new(pool.clone(), bus);
    run_group(pool, kafka, schema_ids, CommunitySettler::group_config, handler, cancel).await
}

/// Marks clip publications ready once their clip is rendered.
pub async fn asset_ready(
    pool: sqlx::PgPool,
    bus: Arc<CommandBus>,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let handler = AssetReady::new(pool.clone(), bus);
    run_group(pool, kafka, schema_ids, AssetReady::group_config, handler, cancel).await
}

/// Deletes clips past their retention until cancelled (never, for 0 days).
pub async fn retention(
    pool: sqlx::PgPool,
    bus: Arc<CommandBus>,
    files: ClipFiles,
    days: u64,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    if days == 0 {
        tracing::info!("clip retention off: rendered clips are kept");
        // A component that ends takes the stack down with it: wait.
        cancel.cancelled().await;
        return Ok(());
    }
    let config = RetentionConfig::new(Duration::from_secs(days * 86_400));
    ClipRetention::new(pool, bus, files, config).run(cancel).await
}

/// Signs audit checkpoints until cancelled (never, with no key file).
pub async fn checkpointer(
    pool: sqlx::PgPool,
    kafka: KafkaConfig,
    key: Option<ed25519_dalek::SigningKey>,
    every: Duration,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let Some(key) = key else {
        tracing::info!("no audit key file: audit checkpoints are not signed");
        // A component that ends takes the stack down with it: wait.
        cancel.cancelled().await;
        return Ok(());
    };
    let config = CheckpointerConfig::new(key, every);
    crate::checkpointer::run_checkpointer(pool, kafka, config, cancel).await
}

/// Publishes due publications until cancelled.
pub async fn publisher(
    pool: sqlx::PgPool,
    bus: Arc<CommandBus>,
    kafka: KafkaConfig,
    platforms: Platforms,
    concurrency: usize,
    clips: (String, std::path::PathBuf),
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let worker = ActorId::parse(format!("svc:publisher-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]))
        .context("naming the publisher")?;
    tracing::info!(%worker, "publisher ready");
    let dead_letters = Some(DeadLetters::open(&kafka, "publisher").await?);
    let config = PublisherConfig { concurrency, clips: Some(clips), dead_letters, ..PublisherConfig::new(worker) };
    PublishWorker::new(pool, bus, platforms, config).run(cancel).await
}

async fn run_group<H: Handler>(
    pool: sqlx::PgPool,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    config: fn() -> GroupConfig,
    handler: H,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    while !cancel.is_cancelled() {
        let codec = Codec::with_schema_ids(&schema_ids).context("loading the Avro schemas")?;
        let config = config();
        let group = config.group.clone();
        if let Err(error) =
            partitions::run(pool.clone(), kafka.clone(), codec, config, handler.clone(), cancel.clone()).await
        {
            tracing::warn!(%group, error = format!("{error:#}"), "worker group stopped; rejoining");
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }
    Ok(())
}
