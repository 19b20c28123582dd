//! The channel's stream and what its audience gives, as EventSub reports
//! them (dev.twitch.tv, "EventSub Subscription Types"): follows, subs,
//! resubs, gifts, cheers, raids, channel points redemptions, online and
//! offline, and messages deleted or chat cleared by moderators in Twitch's
//! own chat, each read into the application layer's `Happening`.
//!
//! Which of them a channel subscribes to follows from its token: most need
//! a scope, and subs, cheers and redemptions can only be read with the
//! broadcaster's own authorization. A type the token cannot read is left
//! out (the dashboard shows the missing scope), never a reason to stop
//! hearing chat.

use serde::Deserialize;
use serde_json::{json, Value};
use wavestack_domain::broadcast::{Happening, Supporter, What, MAX_MESSAGE_CHARS};
use wavestack_domain::value::{DisplayName, MessageId, PlatformEventId, PlatformUserId, SubTier, Timestamp};

use super::frames::Notification;
use super::socket::Wanted;
use super::TwitchChannel;

/// Every stream event type: its version, the scope its token needs (none
/// for public events), and whether only the broadcaster may authorize it.
const TYPES: &[(&str, &str, Option<&str>, bool)] = &[
    ("channel.follow", "2", Some("moderator:read:followers"), false),
    ("channel.subscribe", "1", Some("channel:read:subscriptions"), true),
    ("channel.subscription.gift", "1", Some("channel:read:subscriptions"), true),
    ("channel.subscription.message", "1", Some("channel:read:subscriptions"), true),
    ("channel.cheer", "1", Some("bits:read"), true),
    ("channel.raid", "1", None, false),
    ("channel.channel_points_custom_reward_redemption.add", "1", Some("channel:read:redemptions"), true),
    ("stream.online", "1", None, false),
    ("stream.offline", "1", None, false),
    // What moderators remove in Twitch's own chat: read as chat is.
    ("channel.chat.message_delete", "1", Some("user:read:chat"), false),
    ("channel.chat.clear", "1", Some("user:read:chat"), false),
];

/// The stream event subscriptions the channel's token can hold.
pub(crate) fn wanted(channel: &TwitchChannel) -> Vec<Wanted> {
    let broadcaster = channel.broadcaster_id.as_str();
    let is_broadcaster = channel.bot.user_id == channel.broadcaster_id;
    TYPES
        .iter()
        .filter(|(_, _, scope, only_broadcaster)| {
            scope.is_none_or(|s| channel.scopes.iter().any(|held| held == s)) && (!only_broadcaster || is_broadcaster)
        })
        .map(|(kind, version, _, _)| Wanted {
            kind,
            version,
            condition: match *kind {
                "channel.follow" => {
                    json!({ "broadcaster_user_id": broadcaster, "moderator_user_id": channel.bot.user_id })
                }
                "channel.raid" => json!({ "to_broadcaster_user_id": broadcaster }),
                "channel.chat.message_delete" | "channel.chat.clear" => {
                    json!({ "broadcaster_user_id": broadcaster, "user_id": channel.bot.user_id })
                }
                _ => json!({ "broadcaster_user_id": broadcaster }),
            },
        })
        .collect()
}

/// Whether the notification is one of the stream event types.
pub(crate) fn is_stream_event(note: &Notification) -> bool {
    TYPES.iter().any(|(kind, ..)| *kind == note.subscription_type)
}

#[derive(Debug, Deserialize)]
struct User {
    user_id: String,
    user_name: String,
}

#[derive(Debug, Deserialize)]
struct MaybeUser {
    user_id: Option<String>,
    user_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Sub {
    #[serde(flatten)]
    user: User,
    tier: String,
    is_gift: bool,
}

#[derive(Debug, Deserialize)]
struct Gift {
    #[serde(flatten)]
    user: MaybeUser,
    total: u32,
    tier: String,
    is_anonymous: bool,
}

#[derive(Debug, Deserialize)]
struct Resub {
    #[serde(flatten)]
    user: User,
    tier: String,
    message: ResubMessage,
    cumulative_months: u32,
}

#[derive(Debug, Deserialize)]
struct ResubMessage {
    text: String,
}

#[derive(Debug, Deserialize)]
struct Cheer {
    #[serde(flatten)]
    user: MaybeUser,
    is_anonymous: bool,
    message: String,
    bits: u64,
}

#[derive(Debug, Deserialize)]
struct Raid {
    from_broadcaster_user_id: String,
    from_broadcaster_user_name: String,
    viewers: u64,
}

#[derive(Debug, Deserialize)]
struct Redemption {
    #[serde(flatten)]
    user: User,
    #[serde(default)]
    user_input: String,
    reward: Reward,
}

#[derive(Debug, Deserialize)]
struct Reward {
    title: String,
    cost: u64,
}

#[derive(Debug, Deserialize)]
struct Deleted {
    target_user_id: String,
    message_id: String,
}

#[derive(Debug, Deserialize)]
struct Online {
    started_at: String,
}

/// What a stream event notification records, or why it cannot be read
/// (a log line; the event is skipped). `None` for another type.
pub(crate) fn happening(note: &Notification) -> Option<Result<Happening, String>> {
    let what = match note.subscription_type.as_str() {
        "channel.follow" => read(note, |u: User| Ok(What::Follow { by: supporter(u)? })),
        "channel.subscribe" => {
            read(note, |s: Sub| Ok(What::Sub { by: supporter(s.user)?, tier: tier(&s.tier)?, gifted: s.is_gift }))
        }
        "channel.subscription.gift" => read(note, |g: Gift| {
            let by = if g.is_anonymous { None } else { maybe_supporter(g.user)? };
            Ok(What::Gift { by, tier: tier(&g.tier)?, count: g.total })
        }),
        "channel.subscription.message" => read(note, |r: Resub| {
            Ok(What::Resub {
                by: supporter(r.user)?,
                tier: tier(&r.tier)?,
                months: r.cumulative_months,
                message: fit(r.message.text),
            })
        }),
        "channel.cheer" => read(note, |c: Cheer| {
            let by = if c.is_anonymous { None } else { maybe_supporter(c.user)? };
            Ok(What::Cheer { by, bits: c.bits, message: fit(c.message) })
        }),
        "channel.raid" => read(note, |r: Raid| {
            let by = supporter(User { user_id: r.from_broadcaster_user_id, user_name: r.from_broadcaster_user_name })?;
            Ok(What::Raid { by, viewers: r.viewers })
        }),
        "channel.channel_points_custom_reward_redemption.add" => read(note, |r: Redemption| {
            Ok(What::Redemption {
                by: supporter(r.user)?,
                reward_title: fit(r.reward.title),
                cost: r.reward.cost,
                input: fit(r.user_input),
            })
        }),
        "stream.online" => read(note, |o: Online| {
            let started_at = Timestamp::parse_rfc3339(&o.started_at).map_err(|e| format!("started_at: {e}"))?;
            Ok(What::Online { started_at })
        }),
        "stream.offline" => read(note, |_: Value| Ok(What::Offline)),
        "channel.chat.message_delete" => read(note, |d: Deleted| {
            Ok(What::MessageDeleted {
                message_id: MessageId::parse(d.message_id).map_err(|e| format!("message_id: {e}"))?,
                user_id: PlatformUserId::parse(d.target_user_id).map_err(|e| format!("target_user_id: {e}"))?,
            })
        }),
        "channel.chat.clear" => read(note, |_: Value| Ok(What::ChatCleared)),
        _ => return None,
    };
    Some(what.and_then(|what| {
        let event_id = PlatformEventId::parse(note.message_id.clone()).map_err(|e| format!("message_id: {e}"))?;
        let at =
            note.sent_at.as_deref().and_then(|at| Timestamp::parse_rfc3339(at).ok()).unwrap_or_else(crate::brain::now);
        Ok(Happening { event_id, what, at })
    }))
}

fn read<T: for<'de> Deserialize<'de>>(
    note: &Notification,
    what: impl FnOnce(T) -> Result<What, String>,
) -> Result<What, String> {
    let event: T = serde_json::from_value(note.event.clone())
        .map_err(|e| format!("a {} event that could not be read: {e}", note.subscription_type))?;
    what(event)
}

fn supporter(user: User) -> Result<Supporter, String> {
    Ok(Supporter {
        user_id: PlatformUserId::parse(user.user_id).map_err(|e| format!("user_id: {e}"))?,
        name: DisplayName::parse(user.user_name).map_err(|e| format!("user_name: {e}"))?,
    })
}

fn maybe_supporter(user: MaybeUser) -> Result<Option<Supporter>, String> {
    match (user.user_id, user.user_name) {
        (Some(user_id), Some(user_name)) => supporter(User { user_id, user_name }).map(Some),
        _ => Ok(None),
    }
}

fn tier(raw: &str) -> Result<SubTier, String> {
    SubTier::from_twitch(raw).map_err(|e| format!("tier: {e}"))
}

/// Twitch's texts fit chat's limit already; cut, never refused, should one not.
fn fit(text: String) -> String {
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twitch::frames::{parse, ServerMessage};

    fn note(fixture: &str) -> Notification {
        match parse(fixture).unwrap() {
            ServerMessage::Notification(n) => n,
            other => panic!("{other:?}"),
        }
    }

    fn what(fixture: &str) -> What {
        happening(&note(fixture)).expect("a stream event").expect("readable").what
    }

    #[test]
    fn reads_the_documented_examples() {
        let cool_user = || Supporter {
            user_id: PlatformUserId::parse("1234").unwrap(),
            name: DisplayName::parse("Cool_User").unwrap(),
        };
        let fx = |name| {
            std::fs::read_to_string(format!("{}/fixtures/twitch/{name}.notification.json", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
        };
        assert_eq!(what(&fx("channel.follow")), What::Follow { by: cool_user() });
        assert_eq!(what(&fx("channel.subscribe")), What::Sub { by: cool_user(), tier: SubTier::One, gifted: false });
        assert_eq!(
            what(&fx("channel.subscription.gift")),
            What::Gift { by: Some(cool_user()), tier: SubTier::One, count: 2 }
        );
        assert_eq!(
            what(&fx("channel.subscription.message")),
            What::Resub { by: cool_user(), tier: SubTier::One, months: 15, message: "Love the stream! FevziGG".into() }
        );
        assert_eq!(
            what(&fx("channel.cheer")),
            What::Cheer { by: Some(cool_user()), bits: 1000, message: "pogchamp".into() }
        );
        assert_eq!(what(&fx("channel.raid")), What::Raid { by: cool_user(), viewers: 9001 });
        assert_eq!(
            what(&fx("channel.channel_points_custom_reward_redemption.add")),
            What::Redemption {
                by: Supporter {
                    user_id: PlatformUserId::parse("9001").unwrap(),
                    name: DisplayName::parse("Cooler_User").unwrap()
                },
                reward_title: "title".into(),
                cost: 100,
                input: "pogchamp".into(),
            }
        );
        assert_eq!(
            what(&fx("stream.online")),
            What::Online { started_at: Timestamp::parse_rfc3339("2020-10-11T10:11:12.123Z").unwrap() }
        );
        assert_eq!(what(&fx("stream.offline")), What::Offline);
        assert_eq!(
            what(&fx("channel.chat.message_delete")),
            What::MessageDeleted {
                message_id: MessageId::parse("ab24e0b0-2260-4bac-94e4-05eedd4ecd0e").unwrap(),
                user_id: PlatformUserId::parse("7734").unwrap(),
            }
        );
        assert_eq!(what(&fx("channel.chat.clear")), What::ChatCleared);
        let happened = happening(&note(&fx("channel.cheer"))).unwrap().unwrap();
        assert_eq!(happened.event_id.as_str(), "befa7b53-d79d-478f-86b9-120f112b0404", "the EventSub message id");
    }

    #[test]
    fn an_anonymous_cheer_names_nobody() {
        let mut frame: Value =
            serde_json::from_str(include_str!("../../fixtures/twitch/channel.cheer.notification.json")).unwrap();
        let event = &mut frame["payload"]["event"];
        event["is_anonymous"] = json!(true);
        for field in ["user_id", "user_login", "user_name"] {
            event[field] = Value::Null;
        }
        assert_eq!(what(&frame.to_string()), What::Cheer { by: None, bits: 1000, message: "pogchamp".into() });
    }

    #[test]
    fn chat_is_not_a_stream_event() {
        let chat = note(include_str!("../../fixtures/twitch/channel.chat.message.notification.json"));
        assert!(happening(&chat).is_none());
        assert!(!is_stream_event(&chat));
    }
}
