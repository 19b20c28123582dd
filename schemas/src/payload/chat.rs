use apache_avro::types::Value;
use wavestack_domain::chat::*;
use wavestack_domain::moderation::{ActionKind, Cause, ModeratorAction};
use wavestack_domain::value::*;

use super::{closed_enum, small};
use crate::error::CodecError;
use crate::fields::{branch, long, nullable, record, string, timestamp, Fields};

pub(crate) fn to_avro(event: &ChatEvent) -> Value {
    let (index, value) = match event {
        ChatEvent::ChatMessageReceived(e) => (
            0,
            record([
                ("platform", closed_enum(ChatPlatform::ALL, e.platform, e.platform.as_str())),
                ("channel", string(e.channel.as_str())),
                ("user_id", string(e.user_id.as_str())),
                ("message_id", string(e.message_id.as_str())),
                ("author", string(e.author.as_str())),
                ("role", closed_enum(Role::ALL, e.role, e.role.as_str())),
                ("text", string(e.text.as_str())),
                ("sent_at", timestamp(e.sent_at)),
            ]),
        ),
        ChatEvent::PointsAwarded(e) => (
            1,
            record([("points", long(e.points)), ("balance", long(e.balance)), ("awarded_at", timestamp(e.awarded_at))]),
        ),
        ChatEvent::ChatCommandInvoked(e) => (
            2,
            record([
                ("message_id", string(e.message_id.as_str())),
                ("name", string(e.name.as_str())),
                ("args", string(e.args.as_str())),
                ("invoked_at", timestamp(e.invoked_at)),
            ]),
        ),
        ChatEvent::PointsSpent(e) => (
            3,
            record([
                ("message_id", string(e.message_id.as_str())),
                ("command", string(e.command.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
            ]),
        ),
        ChatEvent::PointsSent(e) => (
            4,
            record([
                ("transfer_id", Value::Uuid(e.transfer_id)),
                ("message_id", string(e.message_id.as_str())),
                ("to_user_id", string(e.to_user_id.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
            ]),
        ),
        ChatEvent::PointsReceived(e) => (
            5,
            record([
                ("transfer_id", Value::Uuid(e.transfer_id)),
                ("from_user_id", string(e.from_user_id.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
            ]),
        ),
        ChatEvent::PointsRefunded(e) => (
            6,
            record([
                ("message_id", string(e.message_id.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
            ]),
        ),
        ChatEvent::DailyBonusClaimed(e) => (
            7,
            record([
                ("message_id", string(e.message_id.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
                ("claimed_at", timestamp(e.claimed_at)),
            ]),
        ),
        ChatEvent::PointsRequestRefused(e) => (
            8,
            record([
                ("message_id", string(e.message_id.as_str())),
                ("reason", closed_enum(PointsRefusal::ALL, e.reason, e.reason.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
            ]),
        ),
        ChatEvent::MessageModerated(e) => (
            9,
            record([
                ("message_id", string(e.message_id.as_str())),
                ("author", string(e.author.as_str())),
                ("text", string(e.text.as_str())),
                ("cause", closed_enum(Cause::ALL, e.cause, e.cause.as_str())),
                ("evidence", string(e.evidence.as_str())),
                ("strikes", long(u64::from(e.strikes))),
                ("action", closed_enum(ActionKind::ALL, e.action, e.action.as_str())),
                ("seconds", long(u64::from(e.seconds))),
                ("reply", string(e.reply.as_str())),
                ("strike_expires_at", nullable(e.strike_expires_at.map(timestamp))),
                ("decided_at", timestamp(e.decided_at)),
            ]),
        ),
        ChatEvent::ModeratorActed(e) => (
            10,
            record([
                ("action", closed_enum(ModeratorAction::ALL, e.action, e.action.as_str())),
                ("seconds", long(u64::from(e.seconds))),
                ("reason", string(e.reason.as_str())),
                ("by", string(e.by.as_str())),
                ("message_id", nullable(e.message_id.as_ref().map(|m| string(m.as_str())))),
                ("at", timestamp(e.at)),
                ("strikes_cleared", long(u64::from(e.strikes_cleared))),
            ]),
        ),
        ChatEvent::PermitUsed(e) => {
            (11, record([("message_id", string(e.message_id.as_str())), ("link", string(e.link.as_str()))]))
        }
        ChatEvent::EntryPaid(e) => (
            12,
            record([
                ("giveaway_id", Value::Uuid(e.giveaway_id.as_uuid())),
                ("message_id", string(e.message_id.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
            ]),
        ),
        ChatEvent::EntryRefunded(e) => (
            13,
            record([
                ("giveaway_id", Value::Uuid(e.giveaway_id.as_uuid())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
            ]),
        ),
        ChatEvent::SupportRewarded(e) => (
            14,
            record([
                ("event_id", string(e.event_id.as_str())),
                ("kind", string(e.kind.as_str())),
                ("points", long(e.points)),
                ("balance", long(e.balance)),
                ("rewarded_at", timestamp(e.rewarded_at)),
            ]),
        ),
    };
    Value::Union(index, Box::new(value))
}

pub(crate) fn from_avro(payload: Value) -> Result<ChatEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    Ok(match index {
        0 => ChatEvent::ChatMessageReceived(ChatMessageReceived {
            platform: f.symbol_parsed("platform", ChatPlatform::parse)?,
            channel: f.parsed("channel", ChannelId::parse)?,
            user_id: f.parsed("user_id", PlatformUserId::parse)?,
            message_id: f.parsed("message_id", MessageId::parse)?,
            author: f.parsed("author", DisplayName::parse)?,
            role: f.symbol_parsed("role", Role::parse)?,
            text: f.parsed("text", ChatText::parse)?,
            sent_at: f.timestamp("sent_at")?,
        }),
        1 => ChatEvent::PointsAwarded(PointsAwarded {
            points: f.long("points")?,
            balance: f.long("balance")?,
            awarded_at: f.timestamp("awarded_at")?,
        }),
        2 => ChatEvent::ChatCommandInvoked(ChatCommandInvoked {
            message_id: f.parsed("message_id", MessageId::parse)?,
            name: f.string("name")?,
            args: f.string("args")?,
            invoked_at: f.timestamp("invoked_at")?,
        }),
        3 => ChatEvent::PointsSpent(PointsSpent {
            message_id: f.parsed("message_id", MessageId::parse)?,
            command: f.parsed("command", CommandName::parse)?,
            points: f.long("points")?,
            balance: f.long("balance")?,
        }),
        4 => ChatEvent::PointsSent(PointsSent {
            transfer_id: f.uuid("transfer_id")?,
            message_id: f.parsed("message_id", MessageId::parse)?,
            to_user_id: f.parsed("to_user_id", PlatformUserId::parse)?,
            points: f.long("points")?,
            balance: f.long("balance")?,
        }),
        5 => ChatEvent::PointsReceived(PointsReceived {
            transfer_id: f.uuid("transfer_id")?,
            from_user_id: f.parsed("from_user_id", PlatformUserId::parse)?,
            points: f.long("points")?,
            balance: f.long("balance")?,
        }),
        6 => ChatEvent::PointsRefunded(PointsRefunded {
            message_id: f.parsed("message_id", MessageId::parse)?,
            points: f.long("points")?,
            balance: f.long("balance")?,
        }),
        7 => ChatEvent::DailyBonusClaimed(DailyBonusClaimed {
            message_id: f.parsed("message_id", MessageId::parse)?,
            points: f.long("points")?,
            balance: f.long("balance")?,
            claimed_at: f.timestamp("claimed_at")?,
        }),
        8 => ChatEvent::PointsRequestRefused(PointsRequestRefused {
            message_id: f.parsed("message_id", MessageId::parse)?,
            reason: f.symbol_parsed("reason", PointsRefusal::parse)?,
            points: f.long("points")?,
            balance: f.long("balance")?,
        }),
        9 => ChatEvent::MessageModerated(MessageModerated {
            message_id: f.parsed("message_id", MessageId::parse)?,
            author: f.parsed("author", DisplayName::parse)?,
            text: f.parsed("text", ChatText::parse)?,
            cause: f.symbol_parsed("cause", Cause::parse)?,
            evidence: f.string("evidence")?,
            strikes: small(&mut f, "strikes")?,
            action: f.symbol_parsed("action", ActionKind::parse)?,
            seconds: small(&mut f, "seconds")?,
            reply: f.string("reply")?,
            strike_expires_at: f.optional_timestamp("strike_expires_at")?,
            decided_at: f.timestamp("decided_at")?,
        }),
        10 => ChatEvent::ModeratorActed(ModeratorActed {
            action: f.symbol_parsed("action", ModeratorAction::parse)?,
            seconds: small(&mut f, "seconds")?,
            reason: f.string("reason")?,
            by: f.parsed("by", ActorId::parse)?,
            message_id: f
                .optional_string("message_id")?
                .map(MessageId::parse)
                .transpose()
                .map_err(|error| CodecError::Value { field: "message_id", error })?,
            at: f.timestamp("at")?,
            strikes_cleared: small(&mut f, "strikes_cleared")?,
        }),
        11 => ChatEvent::PermitUsed(PermitUsed {
            message_id: f.parsed("message_id", MessageId::parse)?,
            link: f.string("link")?,
        }),
        12 => ChatEvent::EntryPaid(EntryPaid {
            giveaway_id: GiveawayId::from_uuid(f.uuid("giveaway_id")?),
            message_id: f.parsed("message_id", MessageId::parse)?,
            points: f.long("points")?,
            balance: f.long("balance")?,
        }),
        13 => ChatEvent::EntryRefunded(EntryRefunded {
            giveaway_id: GiveawayId::from_uuid(f.uuid("giveaway_id")?),
            points: f.long("points")?,
            balance: f.long("balance")?,
        }),
        14 => ChatEvent::SupportRewarded(SupportRewarded {
            event_id: f.parsed("event_id", PlatformEventId::parse)?,
            kind: f.parsed("kind", |raw: String| SupportKind::parse(&raw))?,
            points: f.long("points")?,
            balance: f.long("balance")?,
            rewarded_at: f.timestamp("rewarded_at")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known chat event" }),
    })
}
