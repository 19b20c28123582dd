//! Webhook deliveries waiting for their channel's gateway (`platform_inbox`,
//! this module's table).
//!
//! A platform pushes each delivery to one process, whichever its load
//! balancer picks; the channel is heard and answered by the process that
//! holds its lease. The receiving process [`PlatformInbox::take`]s the
//! delivery (stored before it answers 2xx, so a process dying after the
//! answer loses nothing), and the lease holder reads its channel's rows in
//! order ([`PlatformInbox::waiting`]) and deletes them once heard
//! ([`PlatformInbox::heard`]). A row heard but not yet deleted when its
//! hearer died is heard again by the next one: hearing is idempotent by
//! message id, and a message recorded before is never answered again.
//!
//! Every take notifies the channel (`LISTEN platform_inbox`): [`Doorbells`]
//! wakes the channel's reader at once instead of having a thousand channels
//! poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The `LISTEN` channel; each notification's payload is `org/platform/channel`.
const CHANNEL: &str = "platform_inbox";

/// One delivery as its platform sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub message_id: String,
    /// The subscription type (`channel.chat.message`), or `revocation`.
    pub kind: String,
    pub sent_at: Option<String>,
    /// The event, or for a revocation the revoked subscription.
    pub body: Value,
}

/// A stored delivery, by its place in the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub seq: i64,
    pub delivery: Delivery,
}

/// The platform channel a delivery is for, and the bot it was subscribed
/// as (when the subscription names one): it is stored for every connection
/// of that channel with that bot.
#[derive(Debug, Clone, Copy)]
pub struct Addressed<'a> {
    pub platform: &'a str,
    pub platform_channel_id: &'a str,
    pub bot_user_id: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct PlatformInbox {
    pool: PgPool,
}

impl PlatformInbox {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Stores `delivery` for each connection it is addressed to, and rings
    /// their doorbells; how many connections it was stored for (none: no
    /// connection wants it, or it was stored before).
    pub async fn take(&self, to: Addressed<'_>, delivery: &Delivery) -> sqlx::Result<u64> {
        // The notifications go out when the insert commits, not before.
        let stored: i64 = sqlx::query_scalar(
            "WITH taken AS (
               INSERT INTO platform_inbox (org, platform, channel, message_id, kind, sent_at, body)
               SELECT org, platform, channel, $4, $5, $6, $7 FROM platform_connections
                WHERE platform = $1 AND platform_channel_id = $2 AND ($3::text IS NULL OR bot_user_id = $3)
               ON CONFLICT (org, platform, channel, message_id) DO NOTHING
               RETURNING org, platform, channel)
             SELECT count(*) FROM (
               SELECT pg_notify('platform_inbox', org || '/' || platform || '/' || channel) FROM taken) rung",
        )
        .bind(to.platform)
        .bind(to.platform_channel_id)
        .bind(to.bot_user_id)
        .bind(&delivery.message_id)
        .bind(&delivery.kind)
        .bind(&delivery.sent_at)
        .bind(&delivery.body)
        .fetch_one(&self.pool)
        .await?;
        Ok(stored as u64)
    }

    /// The channel's oldest waiting deliveries, at most `limit`, leaving
    /// out those in `in_flight` (read before and not yet heard).
    pub async fn waiting(
        &self,
        [org, platform, channel]: [&str; 3],
        in_flight: &[i64],
        limit: i64,
    ) -> sqlx::Result<Vec<Waiting>> {
        let rows: Vec<(i64, String, String, Option<String>, Value)> = sqlx::query_as(
            "SELECT seq, message_id, kind, sent_at, body FROM platform_inbox
              WHERE org = $1 AND platform = $2 AND channel = $3 AND seq <> ALL($4)
              ORDER BY seq LIMIT $5",
        )
        .bind(org)
        .bind(platform)
        .bind(channel)
        .bind(in_flight)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, message_id, kind, sent_at, body)| Waiting {
                seq,
                delivery: Delivery { message_id, kind, sent_at, body },
            })
            .collect())
    }

    /// Forgets deliveries that were heard.
    pub async fn heard(&self, seqs: &[i64]) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM platform_inbox WHERE seq = ANY($1)").bind(seqs).execute(&self.pool).await?;
        Ok(())
    }

    /// How many deliveries wait for the channel.
    pub async fn count(&self, [org, platform, channel]: [&str; 3]) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM platform_inbox WHERE org = $1 AND platform = $2 AND channel = $3")
            .bind(org)
            .bind(platform)
            .bind(channel)
            .fetch_one(&self.pool)
            .await
    }
}

/// One doorbell per channel this process reads, rung by the inbox's
/// notifications. A ring missed (the listening connection was lost) costs
/// only latency: readers look on their own every few seconds too.
#[derive(Debug, Clone, Default)]
pub struct Doorbells {
    bells: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

impl Doorbells {
    /// The doorbell of `org/platform/channel`.
    pub fn of(&self, key: &str) -> Arc<Notify> {
        self.bells.lock().unwrap_or_else(|p| p.into_inner()).entry(key.to_owned()).or_default().clone()
    }

    /// The channel is no longer read here.
    pub fn forget(&self, key: &str) {
        self.bells.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    fn ring(&self, key: &str) {
        if let Some(bell) = self.bells.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            // Stores a permit when no one waits: a ring is never lost
            // between two reads.
            bell.notify_one();
        }
    }

    /// Listens for the inbox's notifications until `stop`, reconnecting
    /// when the connection is lost.
    pub async fn listen(self, pool: PgPool, stop: CancellationToken) {
        let mut retry = Duration::from_millis(200);
        while !stop.is_cancelled() {
            let listening = async {
                let mut listener = PgListener::connect_with(&pool).await?;
                listener.listen(CHANNEL).await?;
                loop {
                    let notification = listener.recv().await?;
                    self.ring(notification.payload());
                }
                #[allow(unreachable_code)]
                Ok::<(), sqlx::Error>(())
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                lost = listening => {
                    if let Err(error) = lost {
                        tracing::warn!(error = %error, "the inbox's doorbells lost their connection; listening again");
                    }
                }
            }
            // Every channel looks once: a ring may have been missed.
            for bell in self.bells.lock().unwrap_or_else(|p| p.into_inner()).values() {
                bell.notify_one();
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(retry) => {}
            }
            retry = (retry * 2).min(Duration::from_secs(10));
        }
    }
}
