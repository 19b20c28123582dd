//! The process's one `LISTEN wavestack_live`, fanned out per org to that
//! org's sockets.
//!
//! `NOTIFY` reaches only a session that is listening at that moment: what is
//! notified before the first `LISTEN`, or while the listener reconnects, is
//! gone. So a socket is told it is subscribed only once the hub listens
//! ([`LiveHub::listening`]), and after each reconnect every socket is sent a
//! `resync` to read its state afresh ([`LiveEvent::is_resync`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use wavestack_projections::live::LIVE_CHANNEL;

/// Changes kept per org for its sockets that are momentarily behind; one
/// further behind than this is too slow and is dropped.
const BUFFER: usize = 1024;

/// One change, ready to send to the sockets of its org subscribed to its channel.
#[derive(Debug)]
pub struct LiveEvent {
    pub org: String,
    /// What changed: `leaderboard`, `chat`, `clip`, …
    pub kind: String,
    /// `None`: news to that channel on every platform.
    pub platform: Option<String>,
    /// `None` for changes not tied to a channel.
    pub channel: Option<String>,
    /// The message as sent to clients (without the org).
    pub message: String,
}

impl LiveEvent {
    /// Changes may have been missed: every socket of `org`, whatever its
    /// channels, reads its state afresh.
    fn resync(org: &str) -> Self {
        Self {
            org: org.to_owned(),
            kind: RESYNC_KIND.to_owned(),
            platform: None,
            channel: None,
            message: RESYNC.to_owned(),
        }
    }

    /// Whether this is a nudge to read afresh rather than one change.
    pub fn is_resync(&self) -> bool {
        self.kind == RESYNC_KIND
    }
}

/// The nudge sent after the listener reconnected.
const RESYNC_KIND: &str = "resync";
const RESYNC: &str = r#"{"type":"resync"}"#;

/// One broadcast channel per org: one org's volume fills only its own
/// buffer, so it cannot make another org's sockets lag (or be dropped as
/// too slow), and no socket ever sees, even to filter out, another org's
/// changes.
#[derive(Debug)]
pub struct LiveHub {
    orgs: Mutex<HashMap<String, broadcast::Sender<Arc<LiveEvent>>>>,
    /// How many times `LISTEN` has taken effect; 0 until the first.
    listens: watch::Sender<u64>,
}

#[derive(Deserialize)]
struct Notification {
    r#type: String,
    org: String,
    #[serde(default)]
    platform: Option<String>,
    channel: Option<String>,
    changes: serde_json::Value,
}

impl LiveHub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { orgs: Mutex::new(HashMap::new()), listens: watch::channel(0).0 })
    }

    /// Resolves once the hub listens, so that nothing notified after is
    /// missed: a socket says "subscribed" only after this.
    pub async fn listening(&self) {
        let mut listens = self.listens.subscribe();
        // The sender lives as long as `self`: this cannot fail while borrowed.
        let _ = listens.wait_for(|&n| n > 0).await;
    }

    /// `LISTEN` took effect. After a reconnect, what was notified meanwhile
    /// is lost: every org's sockets are told to read afresh.
    fn listens_again(&self) {
        let mut reconnected = false;
        self.listens.send_modify(|n| {
            reconnected = *n > 0;
            *n += 1;
        });
        if reconnected {
            let orgs: Vec<String> = self.lock().keys().cloned().collect();
            for org in orgs {
                self.publish(LiveEvent::resync(&org));
            }
        }
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
        self.listens_again();
        loop {
            let notification = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                // Not `recv()`: it reconnects silently, and what was notified
                // meanwhile would be lost without a word to the sockets.
                received = listener.try_recv() => match received? {
                    Some(notification) => notification,
                    None => anyhow::bail!("the listening connection was lost"),
                },
            };
            match serde_json::from_str::<Notification>(notification.payload()) {
                Ok(n) => {
                    let message = serde_json::json!({
                        "type": n.r#type, "platform": n.platform, "channel": n.channel, "changes": n.changes,
                    });
                    self.publish(LiveEvent {
                        org: n.org,
                        kind: n.r#type,
                        platform: n.platform,
                        channel: n.channel,
                        message: message.to_string(),
                    });
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
        LiveEvent {
            org: org.into(),
            kind: "leaderboard".into(),
            platform: None,
            channel: Some("shroud".into()),
            message: format!("{{\"n\":{n}}}"),
        }
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

    #[tokio::test]
    async fn sockets_wait_for_the_first_listen_and_read_afresh_after_a_reconnect() {
        let hub = LiveHub::new();
        let mut watching = hub.subscribe("acme");
        let early = tokio::time::timeout(std::time::Duration::from_millis(50), hub.listening()).await;
        assert!(early.is_err(), "not listening yet: a socket must not say subscribed");

        hub.listens_again();
        hub.listening().await;
        assert!(watching.try_recv().is_err(), "the first listen misses nothing: no nudge");

        hub.listens_again();
        let nudge = watching.try_recv().expect("after a reconnect every socket is nudged");
        assert!(nudge.is_resync());
        assert_eq!((nudge.org.as_str(), nudge.message.as_str()), ("acme", RESYNC));
    }

    #[test]
    fn an_org_nobody_watches_is_forgotten() {
        let hub = LiveHub::new();
        drop(hub.subscribe("gone"));
        hub.publish(event("gone", 1));
        assert!(hub.lock().is_empty());
    }
}
