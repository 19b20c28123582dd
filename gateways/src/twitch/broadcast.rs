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

/// Chat's own notices of subs, resubs and gifts: what a bot account reads
/// without the broadcaster's authorization. Subscribed only when the
/// dedicated sub types are not (they say more, and both would record the
/// same sub twice under two ids).
const CHAT_NOTIFICATION: &str = "channel.chat.notification";

/// The stream event subscriptions the channel's token can hold.
pub(crate) fn wanted(channel: &TwitchChannel) -> Vec<Wanted> {
    let mut wanted = dedicated(channel);
    let reads_chat = channel.scopes.iter().any(|held| held == "user:read:chat");
    if reads_chat && !wanted.iter().any(|w| w.kind == "channel.subscribe") {
        wanted.push(Wanted {
            kind: CHAT_NOTIFICATION,
            version: "1",
            condition: json!({ "broadcaster_user_id": channel.broadcaster_id, "user_id": channel.bot.user_id }),
        });
    }
    wanted
}

fn dedicated(channel: &TwitchChannel) -> Vec<Wanted> {
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
    note.subscription_type == CHAT_NOTIFICATION || TYPES.iter().any(|(kind, ..)| *kind == note.subscription_type)
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

/// `channel.chat.notification`: the notice and the one object of its type.
#[derive(Debug, Deserialize)]
struct Notice {
    notice_type: String,
    chatter_user_id: Option<String>,
    chatter_user_name: Option<String>,
    chatter_is_anonymous: bool,
    message: ResubMessage,
    sub: Option<NoticeSub>,
    resub: Option<NoticeResub>,
    sub_gift: Option<NoticeSubGift>,
    community_sub_gift: Option<NoticeCommunityGift>,
}

#[derive(Debug, Deserialize)]
struct NoticeSub {
    sub_tier: String,
}

#[derive(Debug, Deserialize)]
struct NoticeResub {
    cumulative_months: u32,
    sub_tier: String,
}

#[derive(Debug, Deserialize)]
struct NoticeSubGift {
    sub_tier: String,
    /// Set when the gift is one of a community gift, which its own
    /// notice (`community_sub_gift`) counts whole.
    community_gift_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NoticeCommunityGift {
    total: u32,
    sub_tier: String,
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
        // A notice that gives nothing is not recorded at all.
        CHAT_NOTIFICATION => notice(note)?,
        _ => return None,
    };
    Some(what.and_then(|what| {
        let event_id = PlatformEventId::parse(note.message_id.clone()).map_err(|e| format!("message_id: {e}"))?;
        let at =
            note.sent_at.as_deref().and_then(|at| Timestamp::parse_rfc3339(at).ok()).unwrap_or_else(crate::brain::now);
        Ok(Happening { event_id, what, at })
    }))
}

/// What a chat notice records: subs, resubs and gifts; `None` for the
/// notices that give nothing (announcements, raids, which `channel.raid`
/// reports, upgrades of a sub already paid for, and the like), and for the
/// single gifts of a community gift (counted in the community gift).
fn notice(note: &Notification) -> Option<Result<What, String>> {
    let notice: Notice = match serde_json::from_value(note.event.clone()) {
        Ok(notice) => notice,
        Err(e) => return Some(Err(format!("a channel.chat.notification that could not be read: {e}"))),
    };
    let chatter = || match (&notice.chatter_user_id, &notice.chatter_user_name) {
        (Some(id), Some(name)) if !notice.chatter_is_anonymous => {
            supporter(User { user_id: id.clone(), user_name: name.clone() }).map(Some)
        }
        _ => Ok(None),
    };
    let named = || chatter()?.ok_or_else(|| format!("a {} notice names no chatter", notice.notice_type));
    let what =
        match (notice.notice_type.as_str(), &notice.sub, &notice.resub, &notice.sub_gift, &notice.community_sub_gift) {
            ("sub", Some(sub), ..) => {
                named().and_then(|by| Ok(What::Sub { by, tier: tier(&sub.sub_tier)?, gifted: false }))
            }
            ("resub", _, Some(resub), ..) => named().and_then(|by| {
                Ok(What::Resub {
                    by,
                    tier: tier(&resub.sub_tier)?,
                    months: resub.cumulative_months,
                    message: fit(notice.message.text.clone()),
                })
            }),
            ("sub_gift", _, _, Some(gift), _) if gift.community_gift_id.is_none() => {
                chatter().and_then(|by| Ok(What::Gift { by, tier: tier(&gift.sub_tier)?, count: 1 }))
            }
            ("community_sub_gift", .., Some(gift)) => {
                chatter().and_then(|by| Ok(What::Gift { by, tier: tier(&gift.sub_tier)?, count: gift.total }))
            }
            ("sub" | "resub" | "community_sub_gift", ..) => {
                Err(format!("a {} notice without its `{}` object", notice.notice_type, notice.notice_type))
            }
            _ => return None,
        };
    Some(what)
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

    /// The docs' `channel.chat.notification` example, made a notice of
    /// `kind` with its object (the docs' example is an announcement).
    fn chat_notice(kind: &str, object: Value) -> Notification {
        let mut frame: Value =
            serde_json::from_str(include_str!("../../fixtures/twitch/channel.chat.notification.notification.json"))
                .unwrap();
        let event = &mut frame["payload"]["event"];
        event["notice_type"] = json!(kind);
        event["announcement"] = Value::Null;
        event[kind] = object;
        note(&frame.to_string())
    }

    #[test]
    fn chat_notices_of_subs_resubs_and_gifts_are_read_and_the_rest_left_out() {
        let chatter = || Supporter {
            user_id: PlatformUserId::parse("444").unwrap(),
            name: DisplayName::parse("Cool_Chatter").unwrap(),
        };
        let docs_example = note(include_str!("../../fixtures/twitch/channel.chat.notification.notification.json"));
        assert!(is_stream_event(&docs_example));
        assert!(happening(&docs_example).is_none(), "an announcement gives nothing");
        let read = |n: Notification| happening(&n).expect("recorded").expect("readable").what;
        let sub = chat_notice("sub", json!({"sub_tier": "2000", "is_prime": false, "duration_months": 1}));
        assert_eq!(read(sub), What::Sub { by: chatter(), tier: SubTier::Two, gifted: false });
        let resub = chat_notice(
            "resub",
            json!({"cumulative_months": 9, "duration_months": 9, "streak_months": null, "sub_tier": "1000",
                   "is_prime": false, "is_gift": false, "gifter_is_anonymous": null, "gifter_user_id": null,
                   "gifter_user_name": null, "gifter_user_login": null}),
        );
        assert_eq!(
            read(resub),
            What::Resub { by: chatter(), tier: SubTier::One, months: 9, message: "chat-msg".into() }
        );
        let single = json!({"duration_months": 1, "cumulative_total": 11, "recipient_user_id": "108600558",
                            "recipient_user_name": "JmsTV", "recipient_user_login": "jmstv", "sub_tier": "1000",
                            "community_gift_id": null});
        assert_eq!(
            read(chat_notice("sub_gift", single.clone())),
            What::Gift { by: Some(chatter()), tier: SubTier::One, count: 1 }
        );
        let mut of_community = single;
        of_community["community_gift_id"] = json!("12345");
        assert!(happening(&chat_notice("sub_gift", of_community)).is_none(), "counted in its community gift");
        let community = json!({"id": "12345", "total": 5, "sub_tier": "3000", "cumulative_total": 20});
        assert_eq!(
            read(chat_notice("community_sub_gift", community)),
            What::Gift { by: Some(chatter()), tier: SubTier::Three, count: 5 }
        );
        let raid =
            json!({"user_id": "1", "user_name": "R", "user_login": "r", "viewer_count": 3, "profile_image_url": ""});
        assert!(happening(&chat_notice("raid", raid)).is_none(), "channel.raid reports raids");
        let broken = chat_notice("sub", Value::Null);
        assert!(happening(&broken).unwrap().is_err(), "a sub notice without its object is an error, logged");
    }

    #[test]
    fn chat_is_not_a_stream_event() {
        let chat = note(include_str!("../../fixtures/twitch/channel.chat.message.notification.json"));
        assert!(happening(&chat).is_none());
        assert!(!is_stream_event(&chat));
    }
}
