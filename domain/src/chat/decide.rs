use super::command::{ChatCommand, ModerateViewer, PointsRequest, ReceiveChatMessage, ReceivePoints, RewardSupport};
use super::error::ChatError;
use super::event::*;
use super::state::ChatState;
use crate::aggregate::Decider;
use crate::moderation::{
    ActionKind, Cause, Incoming, ModeratorAction, Verdict, DEFAULT_PERMIT_SECONDS, MAX_PERMIT_SECONDS, MAX_SECONDS,
};
use crate::value::{MessageId, Timestamp, UserLevel};

impl Decider for ChatState {
    type Command = ChatCommand;
    type Event = ChatEvent;
    type Error = ChatError;
    /// The points policy comes with each message: it is the channel's.
    type Policy = ();

    fn decide(&self, command: ChatCommand, _: &()) -> Result<Vec<ChatEvent>, ChatError> {
        match command {
            ChatCommand::ReceiveChatMessage(message) => receive(self, message),
            ChatCommand::ReceivePoints(credit) => Ok(receive_points(self, credit)?.into_iter().collect()),
            ChatCommand::RewardSupport(reward) => Ok(reward_support(self, reward).into_iter().collect()),
            ChatCommand::RefundSpend { message_id, points } => Ok(vec![refund(self, message_id, points)]),
            ChatCommand::Moderate(action) => Ok(moderate_viewer(self, action)?.into_iter().collect()),
            ChatCommand::RefundEntry { giveaway_id } => Ok(self
                .paid_for(giveaway_id)
                .map(|points| {
                    ChatEvent::EntryRefunded(EntryRefunded {
                        giveaway_id,
                        points,
                        balance: self.balance.saturating_add(points),
                    })
                })
                .into_iter()
                .collect()),
        }
    }

    fn evolve(&mut self, event: &ChatEvent) {
        ChatState::evolve(self, event);
    }

    fn once_key(event: &ChatEvent) -> Option<String> {
        match event {
            ChatEvent::PointsReceived(e) => Some(format!("transfer:{}", e.transfer_id)),
            ChatEvent::PointsRefunded(e) => Some(format!("refund:{}", e.message_id)),
            ChatEvent::SupportRewarded(e) => Some(format!("support:{}", e.event_id)),
            _ => None,
        }
    }
}

fn receive(state: &ChatState, m: ReceiveChatMessage) -> Result<Vec<ChatEvent>, ChatError> {
    if state.viewer.as_ref().is_some_and(|v| *v != m.viewer) {
        return Err(ChatError::ViewerMismatch);
    }
    if state.has_seen(&m.message_id) {
        return Ok(vec![]);
    }
    // Moderation first: a moderated message earns nothing and runs nothing.
    let moderation = moderate(state, &m);
    let mut events = vec![ChatEvent::ChatMessageReceived(ChatMessageReceived {
        platform: m.viewer.platform,
        channel: m.viewer.channel.clone(),
        user_id: m.viewer.user_id.clone(),
        message_id: m.message_id.clone(),
        author: m.author,
        role: m.role,
        text: m.text,
        sent_at: m.sent_at,
    })];
    match moderation {
        Moderation::Moderated(event) => {
            events.push(ChatEvent::MessageModerated(event));
            return Ok(events);
        }
        Moderation::Permitted(link) => {
            events.push(ChatEvent::PermitUsed(PermitUsed { message_id: m.message_id.clone(), link }));
        }
        Moderation::Clean => {}
    }
    if let Some(invocation) = m.invocation {
        events.push(ChatEvent::ChatCommandInvoked(ChatCommandInvoked {
            message_id: m.message_id.clone(),
            name: invocation.name,
            args: invocation.args,
            invoked_at: m.sent_at,
        }));
    }
    let mut balance = state.balance;
    let award = m.points.award_for(m.role);
    if award > 0 && state.cooldown_over(m.sent_at, m.points.cooldown_seconds) {
        balance = balance.saturating_add(award);
        events.push(ChatEvent::PointsAwarded(PointsAwarded { points: award, balance, awarded_at: m.sent_at }));
    }
    let refused = |reason, points, balance| {
        ChatEvent::PointsRequestRefused(PointsRequestRefused {
            message_id: m.message_id.clone(),
            reason,
            points,
            balance,
        })
    };
    match m.points_request {
        None => {}
        Some(PointsRequest::Spend { command, cost }) => events.push(if cost > balance {
            refused(PointsRefusal::Insufficient, cost, balance)
        } else {
            ChatEvent::PointsSpent(PointsSpent {
                message_id: m.message_id.clone(),
                command,
                points: cost,
                balance: balance - cost,
            })
        }),
        Some(PointsRequest::Give { to, points }) => events.push(if to == m.viewer.user_id {
            refused(PointsRefusal::SelfTransfer, points, balance)
        } else if points == 0 || points > balance {
            refused(PointsRefusal::Insufficient, points, balance)
        } else {
            ChatEvent::PointsSent(PointsSent {
                transfer_id: transfer_id(&m.viewer, &m.message_id),
                message_id: m.message_id.clone(),
                to_user_id: to,
                points,
                balance: balance - points,
            })
        }),
        Some(PointsRequest::Enter { giveaway, cost }) => events.push(if state.paid_for(giveaway).is_some() {
            refused(PointsRefusal::AlreadyPaid, cost, balance)
        } else if cost > balance {
            refused(PointsRefusal::Insufficient, cost, balance)
        } else {
            ChatEvent::EntryPaid(EntryPaid {
                giveaway_id: giveaway,
                message_id: m.message_id.clone(),
                points: cost,
                balance: balance - cost,
            })
        }),
        Some(PointsRequest::Daily) => {
            let bonus = m.points.daily_bonus;
            events.push(if bonus == 0 {
                refused(PointsRefusal::DailyOff, 0, balance)
            } else if state.last_daily_at.is_some_and(|last| same_utc_day(last, m.sent_at) || last > m.sent_at) {
                refused(PointsRefusal::DailyClaimed, bonus, balance)
            } else {
                ChatEvent::DailyBonusClaimed(DailyBonusClaimed {
                    message_id: m.message_id.clone(),
                    points: bonus,
                    balance: balance.saturating_add(bonus),
                    claimed_at: m.sent_at,
                })
            });
        }
    }
    Ok(events)
}

enum Moderation {
    Clean,
    Permitted(String),
    Moderated(MessageModerated),
}

/// The viewer's standing, then the channel's filters; a violation is a
/// strike, and the strike's rung of the ladder is the action.
fn moderate(state: &ChatState, m: &ReceiveChatMessage) -> Moderation {
    if m.level >= UserLevel::Moderator {
        return Moderation::Clean;
    }
    let standing = |cause, evidence: String| {
        Moderation::Moderated(MessageModerated {
            message_id: m.message_id.clone(),
            author: m.author.clone(),
            text: m.text.clone(),
            cause,
            evidence,
            strikes: state.strikes_at(m.sent_at),
            action: ActionKind::Delete,
            seconds: 0,
            reply: String::new(),
            strike_expires_at: None,
            decided_at: m.sent_at,
        })
    };
    if state.banned {
        return standing(Cause::Banned, "banned until unbanned".into());
    }
    if let Some(until) = state.timed_out_at(m.sent_at) {
        return standing(Cause::TimedOut, format!("timed out until {until}"));
    }
    let incoming = Incoming { text: m.text.as_str(), level: m.level, emotes: m.emotes, at: m.sent_at };
    let violation = match m.moderation.check(&incoming, &state.recent, state.permit_at(m.sent_at)) {
        Verdict::Clean => return Moderation::Clean,
        Verdict::Permitted { link } => return Moderation::Permitted(link),
        Verdict::Violation(violation) => violation,
    };
    let escalation = m.moderation.escalation();
    let strikes = state.strikes_at(m.sent_at) + 1;
    let step = escalation.step(strikes);
    let cause = Cause::from(violation.filter);
    let reply = match step.action {
        ActionKind::Delete => format!("@{}, {} (warning)", m.author, cause.warning()),
        _ => String::new(),
    };
    Moderation::Moderated(MessageModerated {
        message_id: m.message_id.clone(),
        author: m.author.clone(),
        text: m.text.clone(),
        cause,
        evidence: violation.evidence,
        strikes,
        action: step.action,
        seconds: step.seconds,
        reply,
        strike_expires_at: Some(m.sent_at.plus(time::Duration::seconds(i64::from(escalation.strike_expiry_seconds)))),
        decided_at: m.sent_at,
    })
}

/// A moderator's action; one that would change nothing (banning the
/// banned, pardoning no strikes) records nothing.
fn moderate_viewer(state: &ChatState, a: ModerateViewer) -> Result<Option<ChatEvent>, ChatError> {
    let (min, max) = match a.action {
        ModeratorAction::Timeout => (1, MAX_SECONDS),
        ModeratorAction::Permit => (1, MAX_PERMIT_SECONDS),
        _ => (0, 0),
    };
    if !(min..=max).contains(&a.seconds) {
        return Err(ChatError::OutOfRange { field: "seconds", min, max });
    }
    let strikes = state.strikes_at(a.at);
    let changes = match a.action {
        ModeratorAction::Timeout | ModeratorAction::Permit => true,
        ModeratorAction::Ban => !state.banned,
        ModeratorAction::Unban => state.banned || state.timed_out_at(a.at).is_some() || strikes > 0,
        ModeratorAction::Pardon => strikes > 0,
    };
    if !changes {
        return Ok(None);
    }
    let strikes_cleared = match a.action {
        ModeratorAction::Unban | ModeratorAction::Pardon => strikes,
        _ => 0,
    };
    Ok(Some(ChatEvent::ModeratorActed(ModeratorActed {
        action: a.action,
        seconds: a.seconds,
        reason: a.reason,
        by: a.by,
        message_id: a.message_id,
        at: a.at,
        strikes_cleared,
    })))
}

/// The seconds a moderator's action takes when none are given.
pub fn default_seconds(action: ModeratorAction) -> u32 {
    match action {
        ModeratorAction::Timeout => crate::moderation::DEFAULT_TIMEOUT_SECONDS,
        ModeratorAction::Permit => DEFAULT_PERMIT_SECONDS,
        _ => 0,
    }
}

/// Nothing for a payout of nothing or one already paid; the store's once
/// key refuses a second payment the state has forgotten.
fn reward_support(state: &ChatState, reward: RewardSupport) -> Option<ChatEvent> {
    if reward.points == 0 || state.rewarded_support.contains(&reward.event_id) {
        return None;
    }
    Some(ChatEvent::SupportRewarded(SupportRewarded {
        event_id: reward.event_id,
        kind: reward.kind,
        points: reward.points,
        balance: state.balance.saturating_add(reward.points),
        rewarded_at: reward.at,
    }))
}

fn receive_points(state: &ChatState, credit: ReceivePoints) -> Result<Option<ChatEvent>, ChatError> {
    if state.viewer.as_ref().is_some_and(|v| *v != credit.viewer) {
        return Err(ChatError::ViewerMismatch);
    }
    if state.received_transfers.contains(&credit.transfer_id) {
        return Ok(None);
    }
    Ok(Some(ChatEvent::PointsReceived(PointsReceived {
        transfer_id: credit.transfer_id,
        from_user_id: credit.from,
        points: credit.points,
        balance: state.balance.saturating_add(credit.points),
    })))
}

/// The price of a message given back. A price the stream remembers as
/// open is refunded as it was taken. One it does not remember was either
/// refunded already or taken so long ago that the bounded memory let it
/// go: the refund is written with the caller's price, and the store's once
/// key (`refund:<message>`) refuses it if it was refunded already.
fn refund(state: &ChatState, message_id: MessageId, price: u64) -> ChatEvent {
    let points = state.open_spends.iter().find(|(m, _)| *m == message_id).map_or(price, |(_, points)| *points);
    ChatEvent::PointsRefunded(PointsRefunded { message_id, points, balance: state.balance.saturating_add(points) })
}

/// The same message always names the same transfer, so a redelivered
/// debit is credited once.
pub fn transfer_id(viewer: &super::Viewer, message: &MessageId) -> uuid::Uuid {
    let name = format!("{}/{}/{}/{}", viewer.platform, viewer.channel, viewer.user_id, message);
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes())
}

fn same_utc_day(a: Timestamp, b: Timestamp) -> bool {
    a.as_datetime().date() == b.as_datetime().date()
}
