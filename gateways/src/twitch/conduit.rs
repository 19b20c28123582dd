//! EventSub over a conduit (dev.twitch.tv, "Getting Events Using
//! Conduits"): Twitch's own load balancing for large chat integrations,
//! with WebSocket shards, so no process needs to be reachable from the
//! internet.
//!
//! - The deployment has one conduit, found (Get Conduits) or made (Create
//!   Conduits) with the app token, and sized to the configured shard count.
//! - Each shard is leased by one process (`wavestack.conduit-shard:`), and
//!   the shards are spread evenly over the live processes: a process holds
//!   at most its share (the shard count over the live holders, rounded up)
//!   and lets go of any beyond it, so that a new process gets some and a
//!   dead one's are taken over at the next look. A leased shard is a
//!   WebSocket session of its process, assigned with Update Conduit Shards.
//! - Twitch spreads every channel's notifications over the shards, so any
//!   process may hear any channel: the shard stores each delivery in the
//!   platform inbox, and the process holding the channel's lease hears it
//!   there, as with webhooks ([`super::inbox`]).
//! - The channels' subscriptions are made by their holders, with the app
//!   token, over the conduit.
//!
//! A shard's session lost, or a process killed, leaves its shard disabled
//! until it is assigned again: Twitch then sends that shard's share to the
//! other shards ("if the target shard did not receive the notification,
//! Twitch will retry with one other shard"), so a dead process costs at
//! most the notifications in flight on its sessions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;
use wavestack_adapters::leases::Leases;
use wavestack_adapters::platform_inbox::{Delivery, Doorbells, PlatformInbox};

use super::frames::Notification;
use super::helix::{BotCredentials, Helix};
use super::inbox::{addressed, Inboxed};
use super::socket::{self, Role};
use crate::{ChannelState, TokenSource};

/// How often the shards are looked at again (and a dead process's taken).
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// The lease namespace (and the name of the leases' connection).
const LEASES: &str = "wavestack.conduit-shard:";
/// A delivery the inbox cannot take is tried again this many times: the
/// WebSocket has no redelivery.
const STORE_TRIES: u32 = 5;

/// The conduit transport of a deployment.
#[derive(Debug, Clone)]
pub struct ConduitTransport {
    /// Shards of the deployment's conduit (1 to 20,000): how far the
    /// hearing spreads over processes.
    pub shard_count: u32,
    /// The application's token: conduits and their subscriptions are the
    /// application's.
    pub app_token: Arc<dyn TokenSource>,
    pub inbox: PlatformInbox,
    pub doorbells: Doorbells,
    /// The conduit's id, once found or made.
    conduit: watch::Sender<Option<String>>,
}

impl ConduitTransport {
    pub fn new(shard_count: u32, app_token: Arc<dyn TokenSource>, inbox: PlatformInbox, doorbells: Doorbells) -> Self {
        Self { shard_count, app_token, inbox, doorbells, conduit: watch::Sender::new(None) }
    }

    /// The subscriptions' transport once the conduit is known; `None` if
    /// stopped first.
    pub(crate) async fn subscriptions(&self, stop: &CancellationToken) -> Option<Inboxed<'_>> {
        let mut known = self.conduit.subscribe();
        let conduit_id = tokio::select! {
            _ = stop.cancelled() => return None,
            known = known.wait_for(Option::is_some) => known.ok()?.clone()?,
        };
        Some(Inboxed {
            inbox: &self.inbox,
            doorbells: &self.doorbells,
            app_token: self.app_token.clone(),
            transport: json!({ "method": "conduit", "conduit_id": conduit_id }),
        })
    }
}

/// Runs this process's share of the conduit's shards until `stop`.
pub(crate) async fn run_shards(
    conduit: ConduitTransport,
    helix: Helix,
    session_url: Url,
    pool: sqlx::PgPool,
    stop: CancellationToken,
) {
    let Some(conduit_id) = find_or_make(&conduit, &helix, &pool, &stop).await else { return };
    conduit.conduit.send_replace(Some(conduit_id.clone()));
    let leases = Leases::new(pool, LEASES);
    let mut running: HashMap<u32, (CancellationToken, JoinHandle<()>)> = HashMap::new();
    loop {
        if !leases.alive().await {
            tracing::warn!("the shards' leases were lost with their connection; stopping the shards");
            stop_all(&mut running).await;
        }
        look(&conduit, &conduit_id, &helix, &session_url, &leases, &mut running, &stop).await;
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
    stop_all(&mut running).await;
    leases.release_all().await;
}

async fn stop_all(running: &mut HashMap<u32, (CancellationToken, JoinHandle<()>)>) {
    for (_, (cancel, handle)) in running.drain() {
        cancel.cancel();
        let _ = handle.await;
    }
}

/// Keeps this process's share of the shards running: lets go of ended ones
/// and of any beyond the share, and takes free ones up to it.
#[allow(clippy::too_many_arguments)]
async fn look(
    conduit: &ConduitTransport,
    conduit_id: &str,
    helix: &Helix,
    session_url: &Url,
    leases: &Leases,
    running: &mut HashMap<u32, (CancellationToken, JoinHandle<()>)>,
    stop: &CancellationToken,
) {
    let holders = match leases.holders().await {
        Ok(holders) => holders,
        Err(error) => return tracing::warn!(error = %format!("{error:#}"), "could not count the shards' holders"),
    };
    let share = conduit.shard_count.div_ceil(holders as u32) as usize;
    let ended: Vec<u32> = running.iter().filter(|(_, (_, handle))| handle.is_finished()).map(|(s, _)| *s).collect();
    let mut surplus: Vec<u32> = running.keys().copied().collect();
    surplus.sort_unstable();
    let surplus: Vec<u32> = surplus.into_iter().skip(share).collect();
    for shard in ended.into_iter().chain(surplus) {
        if let Some((cancel, handle)) = running.remove(&shard) {
            cancel.cancel();
            let _ = handle.await;
        }
        if let Err(error) = leases.release(&lease_name(conduit_id, shard)).await {
            tracing::warn!(error = %format!("{error:#}"), shard, "could not let go of a shard");
        }
    }
    for shard in 0..conduit.shard_count {
        if running.len() >= share {
            break;
        }
        if running.contains_key(&shard) {
            continue;
        }
        match leases.try_take(&lease_name(conduit_id, shard)).await {
            Ok(true) => {
                tracing::info!(shard, "running a conduit shard");
                let cancel = stop.child_token();
                let run = run_shard(
                    conduit.clone(),
                    conduit_id.to_owned(),
                    shard,
                    helix.clone(),
                    session_url.clone(),
                    cancel.clone(),
                );
                running.insert(shard, (cancel, tokio::spawn(run)));
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "could not take a shard"),
        }
    }
}

fn lease_name(conduit_id: &str, shard: u32) -> String {
    format!("{conduit_id}:{shard}")
}

/// The deployment's conduit, made if there is none (one process makes it:
/// the others wait for it), resized to the configured shard count.
async fn find_or_make(
    conduit: &ConduitTransport,
    helix: &Helix,
    pool: &sqlx::PgPool,
    stop: &CancellationToken,
) -> Option<String> {
    let maker = Leases::new(pool.clone(), "wavestack.conduit-maker:");
    let mut retry = Duration::from_millis(200);
    loop {
        let found = match helix.conduit().await {
            Ok(Some((id, shards))) if shards == conduit.shard_count => Ok(id),
            Ok(Some((id, shards))) => {
                tracing::info!(from = shards, to = conduit.shard_count, "resizing the Twitch conduit");
                helix.resize_conduit(&id, conduit.shard_count).await.map(|()| id)
            }
            Ok(None) => match maker.try_take("make").await {
                Ok(true) => {
                    // Looked again under the lease: another process may
                    // have made it since the first look.
                    let made = match helix.conduit().await {
                        Ok(Some((id, _))) => Ok(id),
                        Ok(None) => helix.create_conduit(conduit.shard_count).await,
                        Err(error) => Err(error),
                    };
                    maker.release_all().await;
                    made
                }
                // Another process is making it: look again.
                _ => Err(super::helix::HelixError::NoAnswer("another process is making the conduit".into())),
            },
            Err(error) => Err(error),
        };
        match found {
            Ok(id) => {
                tracing::info!(conduit = id, shards = conduit.shard_count, "the Twitch conduit");
                return Some(id);
            }
            Err(error) => tracing::warn!(error = %error, "could not find or make the Twitch conduit; trying again"),
        }
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(retry) => {}
        }
        retry = (retry * 2).min(Duration::from_secs(30));
    }
}

/// One shard: its WebSocket session, healed as a channel's is, and every
/// delivery on it stored in the inbox for its channel's holder.
async fn run_shard(
    conduit: ConduitTransport,
    conduit_id: String,
    shard: u32,
    helix: Helix,
    session_url: Url,
    stop: CancellationToken,
) {
    let (out, mut notes) = mpsc::channel::<Notification>(super::QUEUE);
    // A shard has no dashboard state; the session's is kept for its logs.
    let (state, _) = watch::channel(ChannelState::Connecting);
    let role = Role::Shard { conduit_id: &conduit_id, shard };
    let hearing = async {
        if let Err(error) = socket::hear(&session_url, &helix, role, out, &state, &stop).await {
            tracing::warn!(error = %error, shard, "a conduit shard stopped");
        }
    };
    let storing = async {
        while let Some(note) = notes.recv().await {
            store(&conduit.inbox, note, &stop).await;
        }
    };
    tokio::join!(hearing, storing);
}

/// Stores one delivery for its channel, trying again while the inbox
/// cannot take it.
async fn store(inbox: &PlatformInbox, note: Notification, stop: &CancellationToken) {
    let Some(to) = addressed(&note.condition) else {
        return tracing::warn!(kind = note.subscription_type, "a conduit delivery names no channel; skipped");
    };
    let delivery = Delivery {
        message_id: note.message_id.clone(),
        kind: note.subscription_type.clone(),
        sent_at: note.sent_at.clone(),
        body: note.event.clone(),
    };
    let mut wait = Duration::from_millis(100);
    for tried in 1..=STORE_TRIES {
        match inbox.take(to, &delivery).await {
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(error = %error, attempt = tried, "could not store a conduit delivery; trying again");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(wait) => {}
                }
                wait *= 2;
            }
        }
    }
    tracing::error!(kind = delivery.kind, "a conduit delivery could not be stored; it is lost");
}

/// Helix as the application, for the conduit's own calls.
pub(crate) fn app_credentials(conduit: &ConduitTransport) -> BotCredentials {
    BotCredentials { user_id: String::new(), token: conduit.app_token.clone() }
}
