//! The clip renderer: in `wavestack up`, and alone as `wavestack render`
//! to add ffmpeg capacity to a running stack.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_adapters::media::Renderer;
use wavestack_domain::value::ActorId;
use wavestack_schemas::{Codec, SchemaIds};
use wavestack_workers::partitions;
use wavestack_workers::renderer::ClipRenderer;

use super::{connect_and_migrate, kafka_config, schema_ids};
use crate::config::RenderArgs;
use crate::shutdown;

pub async fn run(args: RenderArgs) -> anyhow::Result<()> {
    let cancel = shutdown::on_signal();
    let pool = connect_and_migrate(&args.database).await?;
    let kafka = kafka_config(&args.kafka_brokers, &args.kafka);
    let ids = schema_ids(&args.kafka).await?;
    let renderer = args.media.renderer(&args.data_dir, args.query_api_addr)?;
    run_renderer(pool, kafka, ids, renderer, args.media.render_jobs, cancel).await
}

/// Renders until cancelled, rejoining the group after failures.
pub async fn run_renderer(
    pool: sqlx::PgPool,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    renderer: Renderer,
    jobs: usize,
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
    let bus = Arc::new(CommandBus::new(pool.clone(), Policies::default()));
    let handler = ClipRenderer::new(bus, renderer, worker, jobs);
    while !cancel.is_cancelled() {
        let codec = Codec::with_schema_ids(&schema_ids).context("loading the Avro schemas")?;
        let config = ClipRenderer::group_config();
        if let Err(error) =
            partitions::run(pool.clone(), kafka.clone(), codec, config, handler.clone(), cancel.clone()).await
        {
            tracing::warn!(error = format!("{error:#}"), "clip renderer stopped; restarting");
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }
    Ok(())
}
