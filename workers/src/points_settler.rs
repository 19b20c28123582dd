//! The process manager of the points economy (`points-settler`, a worker
//! group on the chat topic): finishes from the log what the API began, so
//! that a process killed between the two halves of a points move never
//! mints or loses a point. A `PointsSent` is credited to its receiver; a
//! `PointsSpent` is refunded unless its use was answered. A follow's, a
//! sub's, a cheer's or a raid's payout (the broadcast topic) is paid. A use never
//! decided is settled as interrupted first, once the process that took
//! the price can no longer decide it (its writer lease is free). Both
//! steps are exactly once, so the API's own fast path and a redelivery
//! change nothing more.

use std::sync::Arc;

use sqlx::PgPool;
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::consumer::group::{GroupConfig, Handler, HandlerError};
use wavestack_app::settlement::points::{self as points_settlement, SettlementError};
use wavestack_domain::broadcast::BroadcastEvent;
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::value::{BroadcastStreamId, ChatStreamId};
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::settlement;

#[derive(Debug, Clone)]
pub struct PointsSettler {
    pool: PgPool,
    bus: Arc<CommandBus>,
}

impl PointsSettler {
    pub fn new(pool: PgPool, bus: Arc<CommandBus>) -> Self {
        Self { pool, bus }
    }

    pub fn group_config() -> GroupConfig {
        GroupConfig::new("points-settler", vec![AggregateKind::Chat, AggregateKind::Broadcast])
    }
}

fn verdict(error: SettlementError) -> HandlerError {
    let transient = error.is_transient();
    settlement::verdict(error, transient)
}

impl Handler for PointsSettler {
    async fn handle(&self, envelope: LogEnvelope) -> Result<(), HandlerError> {
        if let LogEvent::Broadcast(BroadcastEvent::SupportReceived(support)) = &envelope.event {
            let stream = BroadcastStreamId::parse(&envelope.aggregate_id)
                .map_err(|error| HandlerError::permanent(anyhow::anyhow!("`{}` {error}", envelope.aggregate_id)))?;
            let metadata = settlement::metadata("points-settler", &envelope)?;
            return points_settlement::reward_support(&self.bus, &stream, support, &metadata).await.map_err(verdict);
        }
        let LogEvent::Chat(event) = &envelope.event else { return Ok(()) };
        if !matches!(event, ChatEvent::PointsSent(_) | ChatEvent::PointsSpent(_)) {
            return Ok(());
        }
        let stream = ChatStreamId::parse(&envelope.aggregate_id)
            .map_err(|error| HandlerError::permanent(anyhow::anyhow!("`{}` {error}", envelope.aggregate_id)))?;
        let metadata = settlement::metadata("points-settler", &envelope)?;
        let at = envelope.metadata.occurred_at;
        match event {
            ChatEvent::PointsSent(sent) => {
                points_settlement::credit_transfer(&self.bus, &stream, sent, at, &metadata).await.map_err(verdict)
            }
            ChatEvent::PointsSpent(spent) => {
                // The process that took the price decides its use, however
                // slowly, unless it can no longer.
                let decided =
                    || async { points_settlement::use_decided(&self.bus, &stream, spent).await.map_err(verdict) };
                settlement::until_the_writer_is_done(&self.pool, &envelope, decided).await?;
                let metadata = settlement::metadata("points-settler", &envelope)?;
                points_settlement::settle_spend(&self.bus, &stream, spent, at, &metadata).await.map_err(verdict)
            }
            _ => Ok(()),
        }
    }
}
