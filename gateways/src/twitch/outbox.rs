//! What the bot says and does in one channel, carried to Twitch in the
//! order it was decided, one call at a time, within chat's send limit
//! (dev.twitch.tv "Rate limits": 20 messages per 30 s for a bot, 100 when
//! it is the channel's moderator or broadcaster).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wavestack_app::chat::{Action, Reply, Whisper};
use wavestack_domain::value::ChatPlatform;

use super::helix::{Helix, HelixError};

/// One thing to carry out on the platform.
#[derive(Debug, Clone)]
pub(crate) enum Outbound {
    Reply(Reply),
    Action(Action),
    /// Something only its viewer should read (a link code).
    Whisper(Whisper),
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
        let done = tokio::select! {
            _ = stop.cancelled() => return,
            done = carry_out(helix, broadcaster_id, &limit, &next) => done,
        };
        match done {
            Ok(what) => tracing::debug!(what, "delivered to Twitch"),
            Err(error) => tracing::warn!(error = %error, item = ?next, "Twitch refused a delivery"),
        }
    }
}

async fn carry_out(
    helix: &Helix,
    broadcaster_id: &str,
    limit: &DefaultDirectRateLimiter,
    item: &Outbound,
) -> Result<&'static str, HelixError> {
    match item {
        Outbound::Reply(reply) => {
            limit.until_ready().await;
            let text = ChatPlatform::Twitch.fit_message(&reply.text);
            let parent = Some(reply.in_reply_to.as_str()).filter(|id| !id.is_empty());
            let sent = helix.send_chat_message(broadcaster_id, &text, parent).await?;
            if sent.is_sent {
                tracing::debug!(message_id = sent.message_id, "a reply posted");
                Ok("a reply")
            } else {
                let (code, message) = sent.drop_reason.map(|d| (d.code, d.message)).unwrap_or_default();
                Err(HelixError::Refused { status: 200, message: format!("dropped ({code}): {message}") })
            }
        }
        Outbound::Whisper(whisper) => {
            // Never cut: a cut link code is worse than none.
            if whisper.text.chars().count() > LONGEST_FIRST_WHISPER {
                return Err(HelixError::Refused { status: 0, message: "a whisper past 500 characters".into() });
            }
            helix.send_whisper(&whisper.to_user_id, &whisper.text).await?;
            Ok("a whisper")
        }
        Outbound::Action(action) => {
            let message = action.message_id.as_deref();
            match action.action.as_str() {
                "delete" => {
                    let message = message.ok_or_else(|| HelixError::Refused {
                        status: 0,
                        message: "a delete without a message id".into(),
                    })?;
                    helix.delete_chat_message(broadcaster_id, message).await?;
                    Ok("a delete")
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
                    Ok(if duration.is_some() { "a timeout" } else { "a ban" })
                }
                "unban" => {
                    helix.unban(broadcaster_id, &action.user_id).await?;
                    Ok("an unban")
                }
                other => Err(HelixError::Refused { status: 0, message: format!("no Twitch call for `{other}`") }),
            }
        }
    }
}
