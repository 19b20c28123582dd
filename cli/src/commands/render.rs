//! `wavestack render`: one more clip renderer for a running stack.

use std::sync::Arc;

use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_workers::run_until_stopped;

use super::{connect_and_migrate, kafka_config, schema_ids};
use crate::config::RenderArgs;
use crate::shutdown;

pub async fn run(args: RenderArgs) -> anyhow::Result<()> {
    let cancel = shutdown::on_signal();
    let pool = connect_and_migrate(&args.database).await?;
    let kafka = kafka_config(&args.kafka_brokers, &args.kafka);
    let ids = schema_ids(&args.kafka).await?;
    let renderer = args.media.renderer(&args.data_dir, args.query_api_addr)?;
    let quota = args.media.render_quota(&pool);
    // A process of its own, so a bus of its own.
    let bus = Arc::new(CommandBus::new(pool.clone(), Policies::default()));
    run_until_stopped::renderer(pool, bus, kafka, ids, renderer, args.media.render_jobs, quota, cancel).await
}
