//! Which publication targets are due: the queue projection's due targets
//! (`wavestack_projections::queue::due_targets`), less those this
//! publisher set aside for good (`publisher_dead_letters`, its own table).

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
pub(crate) use wavestack_projections::queue::DueTarget;

pub(crate) async fn due_targets(
    pool: &PgPool,
    schema: &str,
    lease: Duration,
    limit: i64,
) -> anyhow::Result<Vec<DueTarget>> {
    // Few: a target lands here only when it cannot be handled at all.
    let set_aside: Vec<(String, String)> =
        sqlx::query_as("SELECT publication_stream, platform FROM publisher_dead_letters")
            .fetch_all(pool)
            .await
            .context("reading the publisher's dead letters")?;
    wavestack_projections::queue::due_targets(pool, schema, lease, limit, &set_aside).await
}
