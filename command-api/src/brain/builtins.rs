//! The built-in commands, and managing commands from chat: what each asks
//! of the viewer's points and what the bot says.

use wavestack_adapters::command_bus::CommandError;
use wavestack_domain::channel::nightbot::{parse_manage, ManageRequest};
use wavestack_domain::channel::{ChannelCommand, Resolved, Target};
use wavestack_domain::chat::{ChatEvent, PointsRefusal, PointsRequest, ReceiveChatMessage};
use wavestack_domain::chat_command::{Prepared, RefusalReason};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, Builtin, ChannelStreamId, UserLevel};

use super::lookup;
use crate::state::AppState;

const GIVE_USAGE: &str = "usage: !give @viewer points";

/// `!give @viewer N`: the request on the giver's points, or what to say.
pub(super) async fn gift(
    state: &AppState,
    metadata: &EventMetadata,
    m: &ReceiveChatMessage,
    args: &str,
) -> Result<PointsRequest, String> {
    let mut words = args.split_whitespace();
    let (Some(name), Some(amount), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!("@{}, {GIVE_USAGE}", m.author));
    };
    let points = match amount.parse::<u64>() {
        Ok(points) if points > 0 => points,
        _ => return Err(format!("@{}, the points to give must be a whole number above 0", m.author)),
    };
    if name.trim_start_matches('@').eq_ignore_ascii_case(m.author.as_str()) {
        // Refused by the viewer's stream, with its reason.
        return Ok(PointsRequest::Give { to: m.viewer.user_id.clone(), points });
    }
    let found = lookup::viewer_named(&state.pool, &metadata.org, m.viewer.platform, &m.viewer.channel, name).await;
    match found {
        Ok(Some(to)) => Ok(PointsRequest::Give { to, points }),
        Ok(None) => Err(format!("@{}, nobody called {} has chatted here yet", m.author, name.trim_start_matches('@'))),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "looking up a !give's receiver");
            Err(format!("@{}, I cannot look that viewer up right now; try again", m.author))
        }
    }
}

/// What the command's stream is asked to decide, from the message's
/// events; `None` for a command that records no use (`!clip`, whose
/// worker answers by clipping).
pub(super) async fn prepare(
    state: &AppState,
    metadata: &EventMetadata,
    m: &ReceiveChatMessage,
    resolved: &Resolved,
    level: UserLevel,
    unusable: Option<String>,
    events: &[ChatEvent],
) -> anyhow::Result<Option<Prepared>> {
    let who = &m.author;
    let balance = || events.iter().rev().find_map(|e| e.balance_change().map(|(_, balance)| balance));
    let refusal = || {
        events.iter().find_map(|e| match e {
            ChatEvent::PointsRequestRefused(r) => Some(r.clone()),
            _ => None,
        })
    };
    let answer = |reply: String| Ok(Some(Prepared::Answer { reply }));
    let refuse = |reason, detail: &str, reply: Option<String>| {
        Ok(Some(Prepared::Refuse { reason, detail: detail.to_owned(), reply }))
    };
    if let Some(reply) = unusable {
        return refuse(RefusalReason::Invalid, "arguments not understood", Some(reply));
    }
    let chat_stream = m.viewer.stream_id(&metadata.org);
    let builtin = match &resolved.target {
        Target::Custom(d) => {
            if let Some(short) = refusal() {
                let reply = format!("@{who}, {} costs {} points; you have {}", resolved.invoked, d.cost, short.balance);
                return refuse(RefusalReason::Cost, "not enough points", Some(reply));
            }
            let points = match balance() {
                Some(balance) => balance,
                None if d.response.as_str().contains("$(points)") => state.bus.chat.load(&chat_stream).await?.balance(),
                None => 0,
            };
            let cost = events
                .iter()
                .find_map(|e| match e {
                    ChatEvent::PointsSpent(s) => Some(s.points),
                    _ => None,
                })
                .unwrap_or(0);
            return Ok(Some(Prepared::Render {
                template: d.response.clone(),
                args: resolved.args.clone(),
                min_level: resolved.min_level,
                cooldown_seconds: d.cooldown_seconds,
                user_cooldown_seconds: d.user_cooldown_seconds,
                points,
                cost,
            }));
        }
        Target::Builtin(builtin) => *builtin,
    };
    match builtin {
        Builtin::Clip => Ok(None),
        Builtin::Points => {
            let target = resolved.args.split_whitespace().next();
            match target {
                Some(name) if level >= UserLevel::Moderator => {
                    let found =
                        lookup::viewer_named(&state.pool, &metadata.org, m.viewer.platform, &m.viewer.channel, name)
                            .await?;
                    let name = name.trim_start_matches('@');
                    match found {
                        Some(user) => {
                            let viewer = wavestack_domain::chat::Viewer { user_id: user, ..m.viewer.clone() };
                            let points = state.bus.chat.load(&viewer.stream_id(&metadata.org)).await?.balance();
                            answer(format!("{name} has {points} points"))
                        }
                        None => refuse(
                            RefusalReason::Invalid,
                            "unknown viewer",
                            Some(format!("@{who}, nobody called {name} has chatted here yet")),
                        ),
                    }
                }
                _ => {
                    let points = match balance() {
                        Some(balance) => balance,
                        None => state.bus.chat.load(&chat_stream).await?.balance(),
                    };
                    answer(format!("@{who}, you have {points} points"))
                }
            }
        }
        Builtin::Give => match (events.iter().find_map(sent), refusal()) {
            (Some((to_points, balance)), _) => {
                let to = resolved.args.split_whitespace().next().unwrap_or("").trim_start_matches('@');
                answer(format!("{who} gave {to_points} points to {to} ({who} has {balance} left)"))
            }
            (None, Some(r)) if r.reason == PointsRefusal::SelfTransfer => refuse(
                RefusalReason::Invalid,
                "a gift to oneself",
                Some(format!("@{who}, you cannot give points to yourself")),
            ),
            (None, Some(r)) => refuse(
                RefusalReason::Cost,
                "not enough points",
                Some(format!("@{who}, you have {} points; you cannot give {}", r.balance, r.points)),
            ),
            (None, None) => refuse(RefusalReason::Invalid, "nothing to give", Some(format!("@{who}, {GIVE_USAGE}"))),
        },
        Builtin::Daily => match (events.iter().find_map(daily), refusal()) {
            (Some((points, balance)), _) => {
                answer(format!("@{who}, here are your {points} daily points; you have {balance}"))
            }
            (None, Some(r)) if r.reason == PointsRefusal::DailyOff => refuse(
                RefusalReason::Invalid,
                "the daily bonus is off",
                Some("The daily bonus is off in this channel".into()),
            ),
            (None, _) => refuse(
                RefusalReason::Cooldown,
                "claimed today",
                Some(format!("@{who}, you have had today's bonus; come back tomorrow (UTC)")),
            ),
        },
        Builtin::Leaderboard => {
            let top = lookup::top_five(&state.pool, &metadata.org, &m.viewer.channel).await?;
            if top.is_empty() {
                return answer("Nobody has any points yet".into());
            }
            let ranks: Vec<String> = top
                .iter()
                .map(|e| format!("{}. {} ({})", e.rank, e.author.as_deref().unwrap_or(&e.user_id), e.points))
                .collect();
            answer(format!("Top {}: {}", ranks.len(), ranks.join(", ")))
        }
        Builtin::Commands => manage(state, metadata, m, resolved, level).await,
        // Moderators' commands are answered by `moderators`, before this.
        Builtin::Permit | Builtin::Timeout | Builtin::Ban | Builtin::Unban | Builtin::Pardon => Ok(None),
        // The community's are answered by `community::chat`, before this.
        Builtin::Join
        | Builtin::Giveaway
        | Builtin::Poll
        | Builtin::Vote
        | Builtin::Link
        | Builtin::Verify
        | Builtin::Unlink => Ok(None),
    }
}

fn sent(event: &ChatEvent) -> Option<(u64, u64)> {
    match event {
        ChatEvent::PointsSent(s) => Some((s.points, s.balance)),
        _ => None,
    }
}

fn daily(event: &ChatEvent) -> Option<(u64, u64)> {
    match event {
        ChatEvent::DailyBonusClaimed(d) => Some((d.points, d.balance)),
        _ => None,
    }
}

/// `!commands` lists; `!commands add|edit|delete …` manages (moderators
/// and up), each change an event whose actor is the moderator.
async fn manage(
    state: &AppState,
    metadata: &EventMetadata,
    m: &ReceiveChatMessage,
    resolved: &Resolved,
    level: UserLevel,
) -> anyhow::Result<Option<Prepared>> {
    let who = &m.author;
    let stream = ChannelStreamId::new(&metadata.org, m.viewer.platform, &m.viewer.channel);
    let request = match parse_manage(&resolved.args) {
        Ok(request) => request,
        Err(_) if level < UserLevel::Moderator => {
            return Ok(Some(Prepared::Refuse {
                reason: RefusalReason::Level,
                detail: "needs moderator".into(),
                reply: None,
            }))
        }
        Err(error) => {
            return Ok(Some(Prepared::Refuse {
                reason: RefusalReason::Invalid,
                detail: "not understood".into(),
                reply: Some(format!("@{who}, {error}")),
            }))
        }
    };
    let (command, done) = match request {
        ManageRequest::List => {
            let settings = state.bus.channel.load(stream.as_str()).await?;
            let prefix = settings.prefix().as_str().to_owned();
            let mut names: Vec<String> = Builtin::ALL
                .iter()
                .filter(|b| b.min_level() <= level && **b != Builtin::Join)
                .map(|b| settings.builtin(*b))
                .filter(|(_, enabled)| *enabled)
                .map(|(name, _)| format!("{prefix}{}", name.as_str()))
                .collect();
            names.extend(
                settings
                    .commands()
                    .filter(|c| c.enabled && c.min_level <= level)
                    .map(|c| format!("{prefix}{}", c.name.as_str())),
            );
            return Ok(Some(Prepared::Answer { reply: format!("Commands: {}", names.join(", ")) }));
        }
        _ if level < UserLevel::Moderator => {
            return Ok(Some(Prepared::Refuse {
                reason: RefusalReason::Level,
                detail: "needs moderator".into(),
                reply: None,
            }))
        }
        ManageRequest::Add(definition) => {
            let done = format!("@{who}, {} added", definition.name);
            (ChannelCommand::AddCommand(definition), done)
        }
        ManageRequest::Edit(edit) => {
            let done = format!("@{who}, {} edited", edit.name);
            (ChannelCommand::EditCommand(edit), done)
        }
        ManageRequest::Delete(name) => {
            let done = format!("@{who}, {name} deleted");
            (ChannelCommand::DeleteCommand { name }, done)
        }
    };
    // The moderator changed the settings, through the bot.
    let actor = ActorId::parse(format!("{}:{}", m.viewer.platform, m.viewer.user_id))?;
    let by_moderator = EventMetadata { actor, ..metadata.clone() };
    match state.bus.channel.execute(stream.as_str(), command, &by_moderator).await {
        Ok(_) => Ok(Some(Prepared::Answer { reply: done })),
        Err(CommandError::Rejected(refused)) => Ok(Some(Prepared::Refuse {
            reason: RefusalReason::Invalid,
            detail: refused.code().to_owned(),
            reply: Some(format!("@{who}, {refused}")),
        })),
        Err(error) => Err(error.into()),
    }
}
