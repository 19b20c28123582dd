use time::Duration;

use super::command::{AbandonUse, CommandUse, Prepared, UseCommand};
use super::event::{CommandAnswered, CommandRefused, CommandUseEvent, RefusalReason};
use super::state::CommandUseState;
use super::CommandUseError;
use crate::aggregate::Decider;
use crate::channel::{seed_of, RenderContext};
use crate::value::{MessageId, Timestamp};

impl Decider for CommandUseState {
    type Command = CommandUse;
    type Event = CommandUseEvent;
    type Error = CommandUseError;
    type Policy = ();

    fn decide(&self, command: CommandUse, _: &()) -> Result<Vec<CommandUseEvent>, CommandUseError> {
        match command {
            CommandUse::Decide(use_) => {
                if self.decision_of(&use_.invoker.message_id).is_some() {
                    return Ok(vec![]);
                }
                Ok(vec![self.decide_use(use_)])
            }
            CommandUse::Abandon(AbandonUse { invoker, command, at }) => {
                if self.decision_of(&invoker.message_id).is_some() {
                    return Ok(vec![]);
                }
                Ok(vec![CommandUseEvent::CommandRefused(CommandRefused {
                    invoker,
                    command,
                    reason: RefusalReason::Interrupted,
                    detail: "the use was interrupted before it was decided; its points are refunded".into(),
                    reply: None,
                    settings_version: 0,
                    refused_at: at,
                })])
            }
        }
    }

    fn evolve(&mut self, event: &CommandUseEvent) {
        CommandUseState::evolve(self, event);
    }

    /// A use is decided once: answered, refused or abandoned, whichever
    /// the store took first, however long ago.
    fn once_key(event: &CommandUseEvent) -> Option<String> {
        Some(decision_key(&event.invoker().message_id))
    }
}

/// The once key of the decision on a message's use: what a settlement
/// looks up when the stream's memory of its decisions let it go.
pub fn decision_key(message: &MessageId) -> String {
    format!("use:{message}")
}

impl CommandUseState {
    fn decide_use(&self, u: UseCommand) -> CommandUseEvent {
        let refuse = |reason, detail: String, reply: Option<String>| {
            CommandUseEvent::CommandRefused(CommandRefused {
                invoker: u.invoker.clone(),
                command: u.command.clone(),
                reason,
                detail,
                reply: reply.map(|r| u.invoker.platform.fit_message(&r)),
                settings_version: u.settings_version,
                refused_at: u.at,
            })
        };
        let answer = |reply: &str, count: u64, cost: u64| {
            CommandUseEvent::CommandAnswered(CommandAnswered {
                invoker: u.invoker.clone(),
                command: u.command.clone(),
                reply: u.invoker.platform.fit_message(reply),
                count,
                cost,
                settings_version: u.settings_version,
                answered_at: u.at,
            })
        };
        match &u.prepared {
            Prepared::Refuse { reason, detail, reply } => refuse(*reason, detail.clone(), reply.clone()),
            Prepared::Answer { reply } => answer(reply, self.count + 1, 0),
            Prepared::Render {
                template,
                args,
                min_level,
                cooldown_seconds,
                user_cooldown_seconds,
                points,
                cost,
                live_since,
            } => {
                if u.level < *min_level {
                    return refuse(RefusalReason::Level, format!("needs {min_level}, has {}", u.level), None);
                }
                if !u.level.skips_cooldowns() {
                    if let Some(left) = remaining(self.last_answer_at, *cooldown_seconds, u.at) {
                        return refuse(RefusalReason::Cooldown, format!("{left} s of the cooldown left"), None);
                    }
                    let mine = self.last_answer_by_viewer.get(&u.invoker.user_id).copied();
                    if let Some(left) = remaining(mine, *user_cooldown_seconds, u.at) {
                        return refuse(
                            RefusalReason::UserCooldown,
                            format!("{left} s of this viewer's cooldown left"),
                            None,
                        );
                    }
                }
                let count = self.count + 1;
                let text = template.render(&RenderContext {
                    user: u.invoker.author.as_str(),
                    query: args,
                    count,
                    points: *points,
                    channel: u.invoker.channel.as_str(),
                    seed: seed_of(u.invoker.message_id.as_str()),
                    uptime: live_since.map(|since| u.at.as_datetime() - since.as_datetime()),
                });
                answer(&text, count, *cost)
            }
        }
    }
}

/// Whole seconds of a cooldown left at `at`, if it is still running. A
/// message stamped before the last answer (a late backlog) is within it.
fn remaining(last: Option<Timestamp>, cooldown_seconds: u32, at: Timestamp) -> Option<i64> {
    let last = last?;
    if cooldown_seconds == 0 {
        return None;
    }
    let elapsed = at.as_datetime() - last.as_datetime();
    let cooldown = Duration::seconds(i64::from(cooldown_seconds));
    (elapsed < cooldown).then(|| (cooldown - elapsed).whole_seconds().max(1))
}
