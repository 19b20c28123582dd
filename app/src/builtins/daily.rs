//! `!daily`: the channel's daily bonus, once per UTC day.

use wavestack_domain::chat::{ChatEvent, PointsRefusal, PointsRequest};
use wavestack_domain::chat_command::RefusalReason;

use super::asked::refused_request;
use super::{Answered, Asked};

pub(super) fn points_request() -> Option<PointsRequest> {
    Some(PointsRequest::Daily)
}

pub(super) async fn answer(asked: &Asked<'_>, events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let who = asked.who();
    let claimed = events.iter().find_map(|e| match e {
        ChatEvent::DailyBonusClaimed(d) => Some((d.points, d.balance)),
        _ => None,
    });
    Ok(match (claimed, refused_request(events)) {
        (Some((points, balance)), _) => {
            Answered::answer(format!("@{who}, here are your {points} daily points; you have {balance}"))
        }
        (None, Some(r)) if r.reason == PointsRefusal::DailyOff => Answered::refuse(
            RefusalReason::Invalid,
            "the daily bonus is off",
            Some("The daily bonus is off in this channel".into()),
        ),
        (None, _) => Answered::refuse(
            RefusalReason::Cooldown,
            "claimed today",
            Some(format!("@{who}, you have had today's bonus; come back tomorrow (UTC)")),
        ),
    })
}
