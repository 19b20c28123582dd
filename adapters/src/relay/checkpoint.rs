use anyhow::Context;
use sqlx::PgConnection;

/// The last relayed event's place in relay order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Checkpoint {
    pub transaction_id: i64,
    pub position: i64,
}

impl Checkpoint {
    /// Just past this event in relay order.
    pub fn after(event: &super::OutboxEvent) -> Self {
        Self { transaction_id: event.transaction_id, position: event.position }
    }

    pub(crate) async fn load(conn: &mut PgConnection, relay: &str) -> anyhow::Result<Self> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT transaction_id::text::bigint, position FROM relay_checkpoints WHERE relay = $1")
                .bind(relay)
                .fetch_optional(conn)
                .await
                .context("loading the relay checkpoint")?;
        match row {
            None => Ok(Self::default()),
            Some((transaction_id, position)) => Ok(Self { transaction_id, position }),
        }
    }

    pub(crate) async fn save(&self, conn: &mut PgConnection, relay: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO relay_checkpoints (relay, transaction_id, position, updated_at)
             VALUES ($1, $2::bigint::text::xid8, $3, now())
             ON CONFLICT (relay) DO UPDATE
                SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()",
        )
        .bind(relay)
        .bind(self.transaction_id)
        .bind(self.position)
        .execute(conn)
        .await
        .context("saving the relay checkpoint")?;
        Ok(())
    }
}
