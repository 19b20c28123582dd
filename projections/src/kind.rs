//! The read models there are, by name, and the one place that maps a name
//! to its projection: `wavestack up` runs them all, `wavestack replay`
//! rebuilds one, the query API reads each from its live schema.

use std::fmt;
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_schemas::SchemaIds;

use crate::alerts::Alerts;
use crate::analytics::Analytics;
use crate::audit::Audit;
use crate::community::Community;
use crate::leaderboard::Leaderboard;
use crate::moderation::Moderation;
use crate::queue::Queue;
use crate::replay::{replay, ReplayOptions, ReplayReport};
use crate::runtime::{supervise, SchemaName};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProjectionKind {
    Leaderboard,
    Analytics,
    Queue,
    Audit,
    Moderation,
    Community,
    Alerts,
}

/// A name that is no projection's.
#[derive(Debug, thiserror::Error)]
#[error("unknown projection `{0}`; known: leaderboard, analytics, queue, audit, moderation, community, alerts")]
pub struct UnknownProjection(String);

impl ProjectionKind {
    pub const ALL: [Self; 7] =
        [Self::Leaderboard, Self::Analytics, Self::Queue, Self::Audit, Self::Moderation, Self::Community, Self::Alerts];

    /// Names the consumer group, the dead-letter topic and the live schema.
    pub fn name(self) -> &'static str {
        match self {
            Self::Leaderboard => "leaderboard",
            Self::Analytics => "analytics",
            Self::Queue => "queue",
            Self::Audit => "audit",
            Self::Moderation => "moderation",
            Self::Community => "community",
            Self::Alerts => "alerts",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownProjection> {
        Self::ALL.into_iter().find(|kind| kind.name() == raw).ok_or_else(|| UnknownProjection(raw.to_owned()))
    }

    /// The schema the live read model is served from: `projection_<name>`.
    pub fn live_schema(self) -> SchemaName {
        SchemaName::live(self.name())
    }

    /// Runs the live projection until cancelled (restarting it after
    /// failures).
    pub async fn supervise(
        self,
        pool: PgPool,
        kafka: KafkaConfig,
        schema_ids: SchemaIds,
        cancel: CancellationToken,
    ) -> anyhow::Result<()> {
        match self {
            Self::Leaderboard => supervise(pool, kafka, schema_ids, Leaderboard, cancel).await,
            Self::Analytics => supervise(pool, kafka, schema_ids, Analytics, cancel).await,
            Self::Queue => supervise(pool, kafka, schema_ids, Queue, cancel).await,
            Self::Audit => supervise(pool, kafka, schema_ids, Audit, cancel).await,
            Self::Moderation => supervise(pool, kafka, schema_ids, Moderation, cancel).await,
            Self::Community => supervise(pool, kafka, schema_ids, Community, cancel).await,
            Self::Alerts => supervise(pool, kafka, schema_ids, Alerts, cancel).await,
        }
    }

    /// Rebuilds the read model from the log (`replay`).
    pub async fn replay(
        self,
        pool: &PgPool,
        kafka: &KafkaConfig,
        schema_ids: &SchemaIds,
        options: ReplayOptions,
        progress: impl FnMut(u64, u64, Duration),
    ) -> anyhow::Result<ReplayReport> {
        match self {
            Self::Leaderboard => replay(pool, kafka, schema_ids, Leaderboard, options, progress).await,
            Self::Analytics => replay(pool, kafka, schema_ids, Analytics, options, progress).await,
            Self::Queue => replay(pool, kafka, schema_ids, Queue, options, progress).await,
            Self::Audit => replay(pool, kafka, schema_ids, Audit, options, progress).await,
            Self::Moderation => replay(pool, kafka, schema_ids, Moderation, options, progress).await,
            Self::Community => replay(pool, kafka, schema_ids, Community, options, progress).await,
            Self::Alerts => replay(pool, kafka, schema_ids, Alerts, options, progress).await,
        }
    }
}

impl fmt::Display for ProjectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every read model as a component of a running stack, once the topics they
/// read exist (the relay and the projections start together, and either
/// may be first); each projection is supervised on its own, so one failing
/// does not stall the others.
pub async fn run_until_stopped(
    pool: PgPool,
    kafka: KafkaConfig,
    schema_ids: SchemaIds,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    wavestack_adapters::kafka::ensure_aggregate_topics(&kafka).await?;
    let each =
        ProjectionKind::ALL.map(|kind| kind.supervise(pool.clone(), kafka.clone(), schema_ids.clone(), cancel.clone()));
    futures::future::try_join_all(each).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Projection;

    #[test]
    fn each_kind_is_its_projections_name() {
        assert_eq!(Leaderboard.name(), ProjectionKind::Leaderboard.name());
        assert_eq!(Analytics.name(), ProjectionKind::Analytics.name());
        assert_eq!(Queue.name(), ProjectionKind::Queue.name());
        assert_eq!(Audit.name(), ProjectionKind::Audit.name());
        assert_eq!(Moderation.name(), ProjectionKind::Moderation.name());
        assert_eq!(Community.name(), ProjectionKind::Community.name());
        for kind in ProjectionKind::ALL {
            assert_eq!(ProjectionKind::parse(kind.name()).unwrap(), kind);
        }
        assert!(ProjectionKind::parse("leaderbored").is_err());
        assert_eq!(ProjectionKind::Queue.live_schema().as_str(), "projection_queue");
    }
}
