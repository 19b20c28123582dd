//! What the bot says and does in one channel, carried to Twitch in the
//! order it was decided, one call at a time, within chat's send limit
//! (dev.twitch.tv "Rate limits": 20 messages per 30 s for a bot, 100 when
//! it is the channel's moderator or broadcaster).
//!
//! Each item is a delivery of the channel (`app::deliveries`): recorded as
//! started before Twitch is called, and settled with Twitch's answer after.
//! An item started before (by a process that died carrying it) is not
//! carried out again; the next carrier records it as of unknown fate.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wavestack_app::chat::{Action, Reply, Whisper};
use wavestack_app::deliveries::Delivery;
use wavestack_domain::delivery::{DeliveryKind, Outcome};
use wavestack_domain::value::{ChannelId, ChatPlatform, MessageId, PlatformUserId};

use super::helix::{Helix, HelixError};
use crate::Brain;

/// A start is written this many times before the item is given up
/// (unsent, logged): nothing is carried out unrecorded.
const RECORD_TRIES: u32 = 5;

/// One thing to carry out on the platform, named by the decision it comes
/// from (`app::deliveries::delivery_id`).
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub(crate) id: String,
    pub(crate) item: Item,
}

#[derive(Debug, Clone)]
pub(crate) enum Item {
    Reply(Reply),
    Action(Action),
    /// Something only its viewer should read (a link code).
    Whisper(Whisper),
}

impl Outbound {
    fn delivery(&self) -> Delivery {
        let message = |id: &str| MessageId::parse(id).ok();
        let (kind, message_id, user_id, text) = match &self.item {
            Item::Reply(reply) => (DeliveryKind::Reply, message(&reply.in_reply_to), None, reply.text.clone()),
            Item::Action(action) => (
                DeliveryKind::parse(&action.action).unwrap_or(DeliveryKind::Delete),
                action.message_id.as_deref().and_then(message),
                PlatformUserId::parse(action.user_id.as_str()).ok(),
                action.reason.clone(),
            ),
            // What a whisper says (a link code) stays out of the log.
            Item::Whisper(whisper) => {
                (DeliveryKind::Whisper, None, PlatformUserId::parse(whisper.to_user_id.as_str()).ok(), String::new())
            }
        };
        Delivery { id: self.id.clone(), kind, message_id, user_id, text }
    }
}

/// Twitch's longest whisper to someone the bot has not whispered before.
const LONGEST_FIRST_WHISPER: usize = 500;

/// Chat's send limit, as a bucket: `burst` at once, refilled evenly over 30 s.
pub(crate) fn send_limit(bot_is_moderator: bool) -> DefaultDirectRateLimiter {
    let burst: u32 = if bot_is_moderator { 100 } else { 20 };
    let period = Duration::from_secs(30) / burst;
    let quota = Quota::with_period(period).expect("a non-zero period").allow_burst(NonZeroU32::new(burst).unwrap());
    RateLimiter::direct(quota)
}

/// Carries out `outbox` in order until it closes or `stop` is cancelled.
pub(crate) async fn deliver(
    helix: &Helix,
    brain: &Brain,
    channel: &ChannelId,
    broadcaster_id: &str,
    limit: DefaultDirectRateLimiter,
    mut outbox: mpsc::Receiver<Outbound>,
    stop: &CancellationToken,
) {
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return,
            next = outbox.recv() => next,
        };
        let Some(next) = next else { return };
        match started(brain, channel, &next, stop).await {
            Some(true) => {}
            Some(false) => {
                tracing::info!(delivery = next.id, "a delivery started before is not carried out again");
                continue;
            }
            None if stop.is_cancelled() => return,
            None => {
                tracing::error!(delivery = next.id, "a delivery could not be recorded; not carried out");
                continue;
            }
        }
        // Stopped while Twitch is being called: the delivery stays
        // unsettled, and the channel's next carrier records its fate unknown.
        let done = tokio::select! {
            _ = stop.cancelled() => return,
            done = carry_out(helix, broadcaster_id, &limit, &next.item) => done,
        };
        let outcome = match done {
            Ok(platform_id) => Outcome::Executed { platform_id },
            Err(HelixError::NoAnswer(why)) => {
                tracing::warn!(delivery = next.id, why, "Twitch did not answer; the delivery's fate is unknown");
                Outcome::Unknown
            }
            Err(error) => {
                tracing::warn!(delivery = next.id, error = %error, "Twitch refused a delivery");
                let (status, answer) = error.status_and_answer();
                Outcome::Failed { status, answer }
            }
        };
        brain.settle_delivery(channel, &next.id, outcome);
    }
}

/// Records the delivery as started, trying again while the store cannot
/// take it; whether it is new, or `None` if it never was recorded (or
/// `stop`).
async fn started(brain: &Brain, channel: &ChannelId, next: &Outbound, stop: &CancellationToken) -> Option<bool> {
    let mut wait = Duration::from_millis(50);
    for attempt in 1..=RECORD_TRIES {
        match brain.start_delivery(channel, next.delivery()).await {
            Ok(new) => return Some(new),
            Err(error) => tracing::warn!(error = %error, attempt, "recording a delivery failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(wait) => {}
        }
        wait *= 2;
    }
    None
}

/// Carries out one item: Twitch's id of what it made (a sent message's),
/// when it gives one.
async fn carry_out(
    helix: &Helix,
    broadcaster_id: &str,
    limit: &DefaultDirectRateLimiter,
    item: &Item,
) -> Result<Option<String>, HelixError> {
    match item {
        Item::Reply(reply) => {
            limit.until_ready().await;
            let text = ChatPlatform::Twitch.fit_message(&reply.text);
            let parent = Some(reply.in_reply_to.as_str()).filter(|id| !id.is_empty());
            let sent = helix.send_chat_message(broadcaster_id, &text, parent).await?;
            if sent.is_sent {
                Ok(Some(sent.message_id))
            } else {
                let (code, message) = sent.drop_reason.map(|d| (d.code, d.message)).unwrap_or_default();
                Err(HelixError::Refused { status: 200, message: format!("dropped ({code}): {message}") })
            }
        }
        Item::Whisper(whisper) => {
            // Never cut: a cut link code is worse than none.
            if whisper.text.chars().count() > LONGEST_FIRST_WHISPER {
                return Err(HelixError::Refused { status: 0, message: "a whisper past 500 characters".into() });
            }
            helix.send_whisper(&whisper.to_user_id, &whisper.text).await?;
            Ok(None)
        }
        Item::Action(action) => {
            let message = action.message_id.as_deref();
            match action.action.as_str() {
                "delete" => {
                    let message = message.ok_or_else(|| HelixError::Refused {
                        status: 0,
                        message: "a delete without a message id".into(),
                    })?;
                    helix.delete_chat_message(broadcaster_id, message).await?;
                    Ok(None)
                }
                // The message that earned a timeout or a ban goes too, so
                // the channel sees it removed at once whatever Twitch clears.
                "timeout" | "ban" => {
                    if let Some(message) = message {
                        if let Err(error) = helix.delete_chat_message(broadcaster_id, message).await {
                            tracing::info!(error = %error, "the message of a timeout or ban could not be deleted");
                        }
                    }
                    let duration = (action.action == "timeout").then_some(action.seconds.max(1));
                    helix.ban(broadcaster_id, &action.user_id, duration, &action.reason).await?;
                    Ok(None)
                }
                "unban" => {
                    helix.unban(broadcaster_id, &action.user_id).await?;
                    Ok(None)
                }
                other => Err(HelixError::Refused { status: 0, message: format!("no Twitch call for `{other}`") }),
            }
        }
    }
}
