//! The process's one `LISTEN wavestack_live`, fanned out per org to that
//! org's sockets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use wavestack_projections::live::LIVE_CHANNEL;

/// Changes kept per org for its sockets that are momentarily behind; one
/// further behind than this is too slow and is dropped.
const BUFFER: usize = 1024;

/// One change, ready to send to the sockets of its org subscribed to its channel.
#[derive(Debug)]
pub struct LiveEvent {
    pub org: String,
    /// `None` for changes not tied to a channel.
    pub channel: Option<String>,
    /// The message as sent to clients (without the org).
    pub message: String,
}

/// One broadcast channel per org: one org's volume fills only its own
/// buffer, so it cannot make another org's sockets lag (or be dropped as
/// too slow), and no socket ever sees, even to filter out, another org's
/// changes.
#[derive(Debug)]
pub struct LiveHub {
    orgs: Mutex<HashMap<String, broadcast::Sender<Arc<LiveEvent>>>>,
}

#[derive(Deserialize)]
struct Notification {
    r#type: String,
    org: String,
    channel: Option<String>,
    changes: serde_json::Value,
}

impl LiveHub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { orgs: Mutex::new(HashMap::new()) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<Arc<LiveEvent>>>> {
        self.orgs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `org`'s changes from now on.
    pub fn subscribe(&self, org: &str) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.lock().entry(org.to_owned()).or_insert_with(|| broadcast::channel(BUFFER).0).subscribe()
    }

    fn publish(&self, event: LiveEvent) {
        let mut orgs = self.lock();
        let Some(sender) = orgs.get(&event.org) else { return };
        // Nobody of the org watches any more: forget its channel.
        if sender.send(Arc::new(event)).is_err() {
            orgs.retain(|_, sender| sender.receiver_count() > 0);
        }
    }

    /// Listens until cancelled, reconnecting after Postgres failures.
    pub async fn listen(self: Arc<Self>, pool: PgPool, cancel: CancellationToken) -> anyhow::Result<()> {
        while !cancel.is_cancelled() {
            if let Err(error) = self.listen_once(&pool, &cancel).await {
                tracing::warn!(error = format!("{error:#}"), "live listener lost Postgres; reconnecting");
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
        Ok(())
    }

    async fn listen_once(&self, pool: &PgPool, cancel: &CancellationToken) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(LIVE_CHANNEL).await?;
        loop {
            let notification = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                received = listener.recv() => received?,
            };
            match serde_json::from_str::<Notification>(notification.payload()) {
                Ok(n) => {
                    let message = serde_json::json!({ "type": n.r#type, "channel": n.channel, "changes": n.changes });
                    self.publish(LiveEvent { org: n.org, channel: n.channel, message: message.to_string() });
                }
                Err(error) => tracing::warn!(error = %error, "ignoring a malformed live notification"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(org: &str, n: usize) -> LiveEvent {
        LiveEvent { org: org.into(), channel: Some("shroud".into()), message: format!("{{\"n\":{n}}}") }
    }

    #[test]
    fn one_orgs_flood_does_not_make_another_orgs_sockets_lag() {
        let hub = LiveHub::new();
        let mut noisy = hub.subscribe("noisy");
        let mut quiet = hub.subscribe("quiet");
        for n in 0..BUFFER * 3 {
            hub.publish(event("noisy", n));
        }
        hub.publish(event("quiet", 1));
        assert!(
            matches!(noisy.try_recv(), Err(broadcast::error::TryRecvError::Lagged(_))),
            "the flood overflows its own"
        );
        let got = quiet.try_recv().expect("the quiet org's one change, not lagged");
        assert_eq!((got.org.as_str(), got.message.as_str()), ("quiet", "{\"n\":1}"));
        assert!(quiet.try_recv().is_err(), "and nothing of the noisy org");
    }

    #[test]
    fn an_org_nobody_watches_is_forgotten() {
        let hub = LiveHub::new();
        drop(hub.subscribe("gone"));
        hub.publish(event("gone", 1));
        assert!(hub.lock().is_empty());
    }
}
