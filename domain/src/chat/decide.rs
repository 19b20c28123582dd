use super::command::{ChatCommand, ReceiveChatMessage};
use super::error::ChatError;
use super::event::{ChatCommandInvoked, ChatEvent, ChatMessageReceived, PointsAwarded};
use super::invocation::parse_invocation;
use super::state::{ChatState, PointsPolicy};
use crate::aggregate::Decider;

impl Decider for ChatState {
    type Command = ChatCommand;
    type Event = ChatEvent;
    type Error = ChatError;
    type Policy = PointsPolicy;

    fn decide(&self, command: ChatCommand, policy: &PointsPolicy) -> Result<Vec<ChatEvent>, ChatError> {
        match command {
            ChatCommand::ReceiveChatMessage(message) => receive(self, message, policy),
        }
    }

    fn evolve(&mut self, event: &ChatEvent) {
        ChatState::evolve(self, event);
    }
}

fn receive(state: &ChatState, m: ReceiveChatMessage, policy: &PointsPolicy) -> Result<Vec<ChatEvent>, ChatError> {
    if state.viewer.as_ref().is_some_and(|v| *v != m.viewer) {
        return Err(ChatError::ViewerMismatch);
    }
    if state.has_seen(&m.message_id) {
        return Ok(vec![]);
    }
    let mut events = Vec::with_capacity(3);
    if let Some(invocation) = parse_invocation(m.text.as_str()) {
        events.push(ChatEvent::ChatCommandInvoked(ChatCommandInvoked {
            message_id: m.message_id.clone(),
            name: invocation.name,
            args: invocation.args,
            invoked_at: m.sent_at,
        }));
    }
    if policy.points_per_award > 0 && state.cooldown_over(m.sent_at, policy.cooldown) {
        events.push(ChatEvent::PointsAwarded(PointsAwarded {
            points: policy.points_per_award,
            balance: state.balance.saturating_add(policy.points_per_award),
            awarded_at: m.sent_at,
        }));
    }
    events.insert(
        0,
        ChatEvent::ChatMessageReceived(ChatMessageReceived {
            platform: m.viewer.platform,
            channel: m.viewer.channel,
            user_id: m.viewer.user_id,
            message_id: m.message_id,
            author: m.author,
            role: m.role,
            text: m.text,
            sent_at: m.sent_at,
        }),
    );
    Ok(events)
}
