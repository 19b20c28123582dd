//! The built-in commands every channel has, as a registry: each is one
//! file here behind the same signature, `answer(&Asked, events)`, which
//! says what the command's stream is asked to decide (or nothing to
//! record) and what the gateway should do or whisper. A built-in that
//! takes points before the message is written also has a
//! `points_request(&Asked)`.
//!
//! Adding one: a variant of [`Builtin`] (its name and level), a file here,
//! its line in [`answer`] (and in [`points_request`] if it takes points),
//! and a test. CONTRIBUTING.md walks through it.

mod asked;
mod clip;
mod commands;
pub(crate) mod custom;
mod daily;
mod give;
mod giveaway;
mod join;
mod leaderboard;
mod link;
mod moderate;
mod points;
mod poll;
mod unlink;
mod verify;
mod vote;

pub(crate) use asked::{Answered, Asked};

use wavestack_domain::chat::{ChatEvent, PointsRequest};
use wavestack_domain::chat_command::RefusalReason;
use wavestack_domain::moderation::ModeratorAction;
use wavestack_domain::value::Builtin;

/// What the built-in takes from the viewer's points with the message
/// itself (so that both are one write); `Err` is the reply to arguments
/// that could not be understood.
pub(crate) async fn points_request(builtin: Builtin, asked: &Asked<'_>) -> Result<Option<PointsRequest>, String> {
    match builtin {
        Builtin::Daily => Ok(daily::points_request()),
        Builtin::Give => give::points_request(asked).await.map(Some),
        Builtin::Join => Ok(join::points_request(asked).await),
        _ => Ok(None),
    }
}

/// What the built-in makes of a message that was written with `events`.
pub(crate) async fn answer(builtin: Builtin, asked: &Asked<'_>, events: &[ChatEvent]) -> anyhow::Result<Answered> {
    if asked.level < asked.resolved.min_level {
        return Ok(Answered::refuse(RefusalReason::Level, "needs moderator", None));
    }
    match builtin {
        Builtin::Points => points::answer(asked, events).await,
        Builtin::Give => give::answer(asked, events).await,
        Builtin::Daily => daily::answer(asked, events).await,
        Builtin::Leaderboard => leaderboard::answer(asked, events).await,
        Builtin::Commands => commands::answer(asked, events).await,
        Builtin::Clip => clip::answer(asked, events).await,
        Builtin::Permit => moderate::answer(ModeratorAction::Permit, asked).await,
        Builtin::Timeout => moderate::answer(ModeratorAction::Timeout, asked).await,
        Builtin::Ban => moderate::answer(ModeratorAction::Ban, asked).await,
        Builtin::Unban => moderate::answer(ModeratorAction::Unban, asked).await,
        Builtin::Pardon => moderate::answer(ModeratorAction::Pardon, asked).await,
        Builtin::Join => join::answer(asked, events).await,
        Builtin::Giveaway => giveaway::answer(asked, events).await,
        Builtin::Poll => poll::answer(asked, events).await,
        Builtin::Vote => vote::answer(asked, events).await,
        Builtin::Link => link::answer(asked, events).await,
        Builtin::Verify => verify::answer(asked, events).await,
        Builtin::Unlink => unlink::answer(asked, events).await,
    }
}
