//! `!give @viewer N`: points from the author to another viewer of the
//! channel, debited with the message and credited by the settlement.

use wavestack_domain::chat::{ChatEvent, PointsRefusal, PointsRequest};
use wavestack_domain::chat_command::RefusalReason;

use super::asked::refused_request;
use super::{Answered, Asked};
use crate::lookup;

const USAGE: &str = "usage: !give @viewer points";

/// The request on the giver's points, or what to say.
pub(super) async fn points_request(asked: &Asked<'_>) -> Result<PointsRequest, String> {
    let m = asked.message;
    let mut words = asked.resolved.args.split_whitespace();
    let (Some(name), Some(amount), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!("@{}, {USAGE}", m.author));
    };
    let points = match amount.parse::<u64>() {
        Ok(points) if points > 0 => points,
        _ => return Err(format!("@{}, the points to give must be a whole number above 0", m.author)),
    };
    if name.trim_start_matches('@').eq_ignore_ascii_case(m.author.as_str()) {
        // Refused by the viewer's stream, with its reason.
        return Ok(PointsRequest::Give { to: m.viewer.user_id.clone(), points });
    }
    let org = &asked.metadata.org;
    match lookup::viewer_named(asked.app, org, m.viewer.platform, &m.viewer.channel, name).await {
        Ok(Some(to)) => Ok(PointsRequest::Give { to, points }),
        Ok(None) => Err(format!("@{}, nobody called {} has chatted here yet", m.author, name.trim_start_matches('@'))),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "looking up a !give's receiver");
            Err(format!("@{}, I cannot look that viewer up right now; try again", m.author))
        }
    }
}

pub(super) async fn answer(asked: &Asked<'_>, events: &[ChatEvent]) -> anyhow::Result<Answered> {
    let who = asked.who();
    let sent = events.iter().find_map(|e| match e {
        ChatEvent::PointsSent(s) => Some((s.points, s.balance)),
        _ => None,
    });
    Ok(match (sent, refused_request(events)) {
        (Some((points, balance)), _) => {
            let to = asked.resolved.args.split_whitespace().next().unwrap_or("").trim_start_matches('@');
            Answered::answer(format!("{who} gave {points} points to {to} ({who} has {balance} left)"))
        }
        (None, Some(r)) if r.reason == PointsRefusal::SelfTransfer => Answered::refuse(
            RefusalReason::Invalid,
            "a gift to oneself",
            Some(format!("@{who}, you cannot give points to yourself")),
        ),
        (None, Some(r)) => Answered::refuse(
            RefusalReason::Cost,
            "not enough points",
            Some(format!("@{who}, you have {} points; you cannot give {}", r.balance, r.points)),
        ),
        (None, None) => Answered::refuse(RefusalReason::Invalid, "nothing to give", Some(format!("@{who}, {USAGE}"))),
    })
}
