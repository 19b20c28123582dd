use super::command::{ChatCommand, PointsRequest, ReceiveChatMessage, ReceivePoints};
use super::error::ChatError;
use super::event::*;
use super::state::ChatState;
use crate::aggregate::Decider;
use crate::value::{MessageId, Timestamp};

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
            ChatCommand::RefundSpend { message_id } => Ok(refund(self, &message_id).into_iter().collect()),
        }
    }

    fn evolve(&mut self, event: &ChatEvent) {
        ChatState::evolve(self, event);
    }
}

fn receive(state: &ChatState, m: ReceiveChatMessage) -> Result<Vec<ChatEvent>, ChatError> {
    if state.viewer.as_ref().is_some_and(|v| *v != m.viewer) {
        return Err(ChatError::ViewerMismatch);
    }
    if state.has_seen(&m.message_id) {
        return Ok(vec![]);
    }
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

fn refund(state: &ChatState, message_id: &MessageId) -> Option<ChatEvent> {
    let points = state.open_spends.iter().find(|(m, _)| m == message_id).map(|(_, points)| *points)?;
    Some(ChatEvent::PointsRefunded(PointsRefunded {
        message_id: message_id.clone(),
        points,
        balance: state.balance.saturating_add(points),
    }))
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
