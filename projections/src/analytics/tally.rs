//! What each event counts for, in which channel and at what time. Pure:
//! the channel of a clip or publication event is looked up by the caller.

use std::collections::HashMap;

use time::OffsetDateTime;
use wavestack_domain::broadcast::{BroadcastEvent, SupportReceived};
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::{CommandUseEvent, RefusalReason};
use wavestack_domain::clip::{self, ClipEvent};
use wavestack_domain::moderation::ActionKind;
use wavestack_domain::publication::PublicationEvent;
use wavestack_domain::value::{Asset, BroadcastStreamId, SupportKind};
use wavestack_schemas::{LogEnvelope, LogEvent};

use crate::chat_stream::viewer_of;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Counter {
    Messages,
    /// Invocations recorded in the viewer's stream (answered or not).
    Commands,
    CommandsAnswered,
    /// Refused: below the command's level.
    CommandsRefusedLevel,
    /// Refused: a global or per-viewer cooldown.
    CommandsRefusedCooldown,
    /// Refused: not enough points.
    CommandsRefusedCost,
    /// Refused otherwise: arguments not understood, an interrupted use.
    CommandsRefusedOther,
    ClipsRequested,
    ClipsRendered,
    /// Final failures only: a retryable one is followed by another attempt.
    ClipsFailed,
    /// One per target of a created publication.
    PublicationsQueued,
    PublicationsPublished,
    /// Targets that gave up (permanent failure or attempts exhausted).
    PublicationsFailed,
    /// Every platform action, by a filter or a moderator …
    ModerationActions,
    /// … split by action.
    ModerationDeletes,
    ModerationTimeouts,
    ModerationBans,
    ModerationUnbans,
    /// Follows.
    Follows,
    /// Subscriptions: new, shared again, and each gifted one.
    Subs,
    /// … of which gifted.
    GiftedSubs,
    /// Bits cheered.
    Bits,
    /// Raids received …
    Raids,
    /// … and the viewers they brought.
    RaidViewers,
}

impl Counter {
    pub(crate) const ALL: [Counter; 24] = [
        Counter::Messages,
        Counter::Commands,
        Counter::CommandsAnswered,
        Counter::CommandsRefusedLevel,
        Counter::CommandsRefusedCooldown,
        Counter::CommandsRefusedCost,
        Counter::CommandsRefusedOther,
        Counter::ClipsRequested,
        Counter::ClipsRendered,
        Counter::ClipsFailed,
        Counter::PublicationsQueued,
        Counter::PublicationsPublished,
        Counter::PublicationsFailed,
        Counter::ModerationActions,
        Counter::ModerationDeletes,
        Counter::ModerationTimeouts,
        Counter::ModerationBans,
        Counter::ModerationUnbans,
        Counter::Follows,
        Counter::Subs,
        Counter::GiftedSubs,
        Counter::Bits,
        Counter::Raids,
        Counter::RaidViewers,
    ];

    /// Also the read model's column name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Counter::Messages => "messages",
            Counter::Commands => "commands",
            Counter::CommandsAnswered => "commands_answered",
            Counter::CommandsRefusedLevel => "commands_refused_level",
            Counter::CommandsRefusedCooldown => "commands_refused_cooldown",
            Counter::CommandsRefusedCost => "commands_refused_cost",
            Counter::CommandsRefusedOther => "commands_refused_other",
            Counter::ClipsRequested => "clips_requested",
            Counter::ClipsRendered => "clips_rendered",
            Counter::ClipsFailed => "clips_failed",
            Counter::PublicationsQueued => "publications_queued",
            Counter::PublicationsPublished => "publications_published",
            Counter::PublicationsFailed => "publications_failed",
            Counter::ModerationActions => "moderation_actions",
            Counter::ModerationDeletes => "moderation_deletes",
            Counter::ModerationTimeouts => "moderation_timeouts",
            Counter::ModerationBans => "moderation_bans",
            Counter::ModerationUnbans => "moderation_unbans",
            Counter::Follows => "follows",
            Counter::Subs => "subs",
            Counter::GiftedSubs => "gifted_subs",
            Counter::Bits => "bits",
            Counter::Raids => "raids",
            Counter::RaidViewers => "raid_viewers",
        }
    }

    pub(crate) fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// Where a fact belongs: a channel, or the clip whose channel it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    Channel(String),
    /// The clip stream id; its channel is known once its request is seen.
    Clip(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fact {
    pub org: String,
    pub place: Place,
    pub counter: Counter,
    pub at: OffsetDateTime,
    pub count: i64,
    /// (platform, user id) of a chat message, for unique chatters.
    pub chatter: Option<(String, String)>,
}

/// Links learned from events: clip stream → channel, publication stream →
/// the clip stream of its asset (`None` for an asset hosted elsewhere).
#[derive(Debug, Default)]
pub(crate) struct Links {
    pub clip_channels: HashMap<String, String>,
    pub publication_clips: HashMap<String, Option<String>>,
}

impl Links {
    /// Records the links the batch itself establishes.
    pub(crate) fn learn(&mut self, events: &[LogEnvelope]) {
        for envelope in events {
            match &envelope.event {
                LogEvent::Clip(ClipEvent::ClipRequested(r)) => {
                    self.clip_channels.insert(envelope.aggregate_id.clone(), r.channel.to_string());
                }
                LogEvent::Publication(PublicationEvent::PublicationCreated(c)) => {
                    let clip = match &c.asset {
                        Asset::Clip(id) => Some(clip::stream_id(&envelope.metadata.org, *id).into()),
                        Asset::Url(_) => None,
                    };
                    self.publication_clips.insert(envelope.aggregate_id.clone(), clip);
                }
                _ => {}
            }
        }
    }
}

/// The facts of one event. A publication event whose publication is
/// unknown, or whose asset is not a clip, counts for no channel.
pub(crate) fn facts_of(envelope: &LogEnvelope, links: &Links) -> anyhow::Result<Vec<Fact>> {
    let org = envelope.metadata.org.to_string();
    let occurred = envelope.metadata.occurred_at.as_datetime();
    let fact = |place: Place, counter: Counter, at: OffsetDateTime, count: i64| Fact {
        org: org.clone(),
        place,
        counter,
        at,
        count,
        chatter: None,
    };
    let own_clip = || Place::Clip(envelope.aggregate_id.clone());
    let publication_clip = || links.publication_clips.get(&envelope.aggregate_id).cloned().flatten().map(Place::Clip);
    Ok(match &envelope.event {
        LogEvent::Chat(ChatEvent::ChatMessageReceived(m)) => vec![Fact {
            chatter: Some((m.platform.to_string(), m.user_id.to_string())),
            ..fact(Place::Channel(m.channel.to_string()), Counter::Messages, m.sent_at.as_datetime(), 1)
        }],
        LogEvent::Chat(ChatEvent::ChatCommandInvoked(c)) => {
            let (_, _, channel, _) = viewer_of(envelope)?;
            vec![fact(Place::Channel(channel), Counter::Commands, c.invoked_at.as_datetime(), 1)]
        }
        LogEvent::CommandUse(CommandUseEvent::CommandAnswered(a)) => vec![fact(
            Place::Channel(a.invoker.channel.to_string()),
            Counter::CommandsAnswered,
            a.answered_at.as_datetime(),
            1,
        )],
        LogEvent::CommandUse(CommandUseEvent::CommandRefused(r)) => {
            let counter = match r.reason {
                RefusalReason::Level => Counter::CommandsRefusedLevel,
                RefusalReason::Cooldown | RefusalReason::UserCooldown => Counter::CommandsRefusedCooldown,
                RefusalReason::Cost => Counter::CommandsRefusedCost,
                RefusalReason::Invalid | RefusalReason::Interrupted => Counter::CommandsRefusedOther,
            };
            vec![fact(Place::Channel(r.invoker.channel.to_string()), counter, r.refused_at.as_datetime(), 1)]
        }
        LogEvent::Chat(ChatEvent::MessageModerated(m)) => {
            let (_, _, channel, _) = viewer_of(envelope)?;
            moderation(&fact, channel, m.action, m.decided_at.as_datetime())
        }
        LogEvent::Chat(ChatEvent::ModeratorActed(a)) => match a.action.platform_action() {
            Some(action) => {
                let (_, _, channel, _) = viewer_of(envelope)?;
                moderation(&fact, channel, action, a.at.as_datetime())
            }
            None => vec![],
        },
        LogEvent::Broadcast(BroadcastEvent::SupportReceived(e)) => {
            let channel = BroadcastStreamId::parse(&envelope.aggregate_id)?.channel().to_string();
            support(&fact, channel, e)
        }
        LogEvent::Broadcast(_) => vec![],
        // Balances are the leaderboard's; settings changes count nothing.
        LogEvent::Chat(_) | LogEvent::Channel(_) => vec![],
        // Community features are counted by their own read model.
        LogEvent::Giveaway(_) | LogEvent::Poll(_) | LogEvent::Identity(_) | LogEvent::Team(_) => vec![],
        // What the gateways carried out is not the channel's activity.
        LogEvent::Delivery(_) => vec![],
        LogEvent::Clip(ClipEvent::ClipRequested(r)) => {
            vec![fact(Place::Channel(r.channel.to_string()), Counter::ClipsRequested, occurred, 1)]
        }
        LogEvent::Clip(ClipEvent::ClipRendered(_)) => vec![fact(own_clip(), Counter::ClipsRendered, occurred, 1)],
        LogEvent::Clip(ClipEvent::ClipRenderingFailed(f)) if !f.retryable => {
            vec![fact(own_clip(), Counter::ClipsFailed, occurred, 1)]
        }
        LogEvent::Clip(_) => vec![],
        LogEvent::Publication(PublicationEvent::PublicationCreated(c)) => publication_clip()
            .map(|place| fact(place, Counter::PublicationsQueued, occurred, c.targets.iter().count() as i64))
            .into_iter()
            .collect(),
        LogEvent::Publication(PublicationEvent::TargetPublished(_)) => publication_clip()
            .map(|place| fact(place, Counter::PublicationsPublished, occurred, 1))
            .into_iter()
            .collect(),
        LogEvent::Publication(PublicationEvent::TargetPublishFailed(f)) if f.gave_up => {
            publication_clip().map(|place| fact(place, Counter::PublicationsFailed, occurred, 1)).into_iter().collect()
        }
        LogEvent::Publication(_) => vec![],
    })
}

/// What one piece of support adds: a gift counts its subs among the subs.
fn support(
    fact: &dyn Fn(Place, Counter, OffsetDateTime, i64) -> Fact,
    channel: String,
    e: &SupportReceived,
) -> Vec<Fact> {
    let amount = i64::try_from(e.amount).unwrap_or(i64::MAX);
    let at = e.at.as_datetime();
    let one = |counter, count| fact(Place::Channel(channel.clone()), counter, at, count);
    match e.kind {
        SupportKind::Follow => vec![one(Counter::Follows, 1)],
        // A gifted sub is counted in its gift, not again on its receiver.
        SupportKind::Sub if e.gifted => vec![],
        SupportKind::Sub | SupportKind::Resub => vec![one(Counter::Subs, 1)],
        SupportKind::Gift => vec![one(Counter::Subs, amount), one(Counter::GiftedSubs, amount)],
        SupportKind::Cheer => vec![one(Counter::Bits, amount)],
        SupportKind::Raid => vec![one(Counter::Raids, 1), one(Counter::RaidViewers, amount)],
        SupportKind::Redemption => vec![],
    }
}

/// A platform action counts once in all, and once under its kind.
fn moderation(
    fact: &dyn Fn(Place, Counter, OffsetDateTime, i64) -> Fact,
    channel: String,
    action: ActionKind,
    at: OffsetDateTime,
) -> Vec<Fact> {
    let kind = match action {
        ActionKind::Delete => Counter::ModerationDeletes,
        ActionKind::Timeout => Counter::ModerationTimeouts,
        ActionKind::Ban => Counter::ModerationBans,
        ActionKind::Unban => Counter::ModerationUnbans,
    };
    vec![
        fact(Place::Channel(channel.clone()), Counter::ModerationActions, at, 1),
        fact(Place::Channel(channel), kind, at, 1),
    ]
}

#[cfg(test)]
mod tests {
    use wavestack_domain::chat_command::{CommandAnswered, CommandRefused, Invoker};
    use wavestack_domain::metadata::EventMetadata;
    use wavestack_domain::value::*;

    use super::*;

    fn envelope(event: CommandUseEvent) -> LogEnvelope {
        let at = Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        LogEnvelope {
            event_id: uuid::Uuid::from_u128(1),
            aggregate_id: "acme/twitch/shroud/hug".into(),
            sequence: 1,
            hash: String::new(),
            metadata: EventMetadata {
                org: OrgId::parse("acme").unwrap(),
                actor: ActorId::parse("svc:test").unwrap(),
                correlation_id: uuid::Uuid::from_u128(2),
                causation_id: None,
                request_id: None,
                occurred_at: at,
            },
            event: LogEvent::CommandUse(event),
        }
    }

    fn invoker() -> Invoker {
        Invoker {
            message_id: MessageId::parse("m1").unwrap(),
            platform: ChatPlatform::Twitch,
            channel: ChannelId::parse("shroud").unwrap(),
            user_id: PlatformUserId::parse("u1").unwrap(),
            author: DisplayName::parse("Ada").unwrap(),
        }
    }

    fn counted(event: CommandUseEvent) -> Vec<(Place, Counter)> {
        facts_of(&envelope(event), &Links::default()).unwrap().into_iter().map(|f| (f.place, f.counter)).collect()
    }

    #[test]
    fn answers_and_refusals_count_by_reason_in_their_channel() {
        let at = Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        let answered = CommandUseEvent::CommandAnswered(CommandAnswered {
            invoker: invoker(),
            command: CommandName::parse("hug").unwrap(),
            reply: "hi".into(),
            count: 1,
            cost: 0,
            settings_version: 1,
            answered_at: at,
        });
        let shroud = || Place::Channel("shroud".into());
        assert_eq!(counted(answered), [(shroud(), Counter::CommandsAnswered)]);
        for (reason, counter) in [
            (RefusalReason::Level, Counter::CommandsRefusedLevel),
            (RefusalReason::Cooldown, Counter::CommandsRefusedCooldown),
            (RefusalReason::UserCooldown, Counter::CommandsRefusedCooldown),
            (RefusalReason::Cost, Counter::CommandsRefusedCost),
            (RefusalReason::Invalid, Counter::CommandsRefusedOther),
            (RefusalReason::Interrupted, Counter::CommandsRefusedOther),
        ] {
            let refused = CommandUseEvent::CommandRefused(CommandRefused {
                invoker: invoker(),
                command: CommandName::parse("hug").unwrap(),
                reason,
                detail: String::new(),
                reply: None,
                settings_version: 1,
                refused_at: at,
            });
            assert_eq!(counted(refused), [(shroud(), counter)], "{reason}");
        }
    }

    #[test]
    fn every_counter_is_a_column_made_and_added_by_tables_sql() {
        let sql = include_str!("tables.sql");
        for counter in Counter::ALL {
            let column = format!("    {} bigint NOT NULL DEFAULT 0,", counter.as_str());
            let added = format!("ADD COLUMN IF NOT EXISTS {} bigint NOT NULL DEFAULT 0", counter.as_str());
            assert!(sql.contains(&column), "rm_channel_analytics lacks {}", counter.as_str());
            assert!(sql.contains(&added), "an older rm_channel_analytics would not gain {}", counter.as_str());
        }
    }
}
