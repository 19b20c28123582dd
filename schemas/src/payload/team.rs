use apache_avro::types::Value;
use wavestack_domain::team::*;
use wavestack_domain::value::*;

use super::closed_enum;
use crate::error::CodecError;
use crate::fields::{branch, record, string, timestamp, Fields};

fn role(r: MemberRole) -> Value {
    closed_enum(MemberRole::ALL, r, r.as_str())
}

pub(crate) fn to_avro(event: &TeamEvent) -> Value {
    let (index, value) = match event {
        TeamEvent::MemberAdded(e) => {
            (0, record([("username", string(e.username.as_str())), ("role", role(e.role)), ("at", timestamp(e.at))]))
        }
        TeamEvent::MemberRoleChanged(e) => (
            1,
            record([
                ("username", string(e.username.as_str())),
                ("role", role(e.role)),
                ("previous", role(e.previous)),
                ("at", timestamp(e.at)),
            ]),
        ),
        TeamEvent::MemberRemoved(e) => {
            (2, record([("username", string(e.username.as_str())), ("at", timestamp(e.at))]))
        }
        TeamEvent::PasswordSet(e) => (3, record([("username", string(e.username.as_str())), ("at", timestamp(e.at))])),
        TeamEvent::OverlayKeyIssued(e) => (
            4,
            record([
                ("key_id", Value::Uuid(e.key_id.as_uuid())),
                ("channel", string(e.channel.to_string())),
                ("label", string(e.label.as_str())),
                ("digest", string(e.digest.as_str())),
                ("at", timestamp(e.at)),
            ]),
        ),
        TeamEvent::OverlayKeyRevoked(e) => {
            (5, record([("key_id", Value::Uuid(e.key_id.as_uuid())), ("at", timestamp(e.at))]))
        }
        TeamEvent::SignInLinked(e) => (
            6,
            record([
                ("username", string(e.username.as_str())),
                ("platform", string(e.platform.as_str())),
                ("user_id", string(e.user_id.as_str())),
                ("login", string(e.login.as_str())),
                ("at", timestamp(e.at)),
            ]),
        ),
        TeamEvent::SignInUnlinked(e) => (
            7,
            record([
                ("username", string(e.username.as_str())),
                ("platform", string(e.platform.as_str())),
                ("at", timestamp(e.at)),
            ]),
        ),
    };
    Value::Union(index, Box::new(value))
}

pub(crate) fn from_avro(payload: Value) -> Result<TeamEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    Ok(match index {
        0 => TeamEvent::MemberAdded(MemberAdded {
            username: f.parsed("username", Username::parse)?,
            role: f.symbol_parsed("role", MemberRole::parse)?,
            at: f.timestamp("at")?,
        }),
        1 => TeamEvent::MemberRoleChanged(MemberRoleChanged {
            username: f.parsed("username", Username::parse)?,
            role: f.symbol_parsed("role", MemberRole::parse)?,
            previous: f.symbol_parsed("previous", MemberRole::parse)?,
            at: f.timestamp("at")?,
        }),
        2 => TeamEvent::MemberRemoved(MemberRemoved {
            username: f.parsed("username", Username::parse)?,
            at: f.timestamp("at")?,
        }),
        3 => TeamEvent::PasswordSet(PasswordSet {
            username: f.parsed("username", Username::parse)?,
            at: f.timestamp("at")?,
        }),
        4 => TeamEvent::OverlayKeyIssued(OverlayKeyIssued {
            key_id: OverlayKeyId::from_uuid(f.uuid("key_id")?),
            channel: f.parsed("channel", |raw: String| ChannelRef::parse(&raw))?,
            label: f.parsed("label", OverlayLabel::parse)?,
            digest: f.string("digest")?,
            at: f.timestamp("at")?,
        }),
        5 => TeamEvent::OverlayKeyRevoked(OverlayKeyRevoked {
            key_id: OverlayKeyId::from_uuid(f.uuid("key_id")?),
            at: f.timestamp("at")?,
        }),
        6 => TeamEvent::SignInLinked(SignInLinked {
            username: f.parsed("username", Username::parse)?,
            platform: f.parsed("platform", |raw: String| ChatPlatform::parse(&raw))?,
            user_id: f.parsed("user_id", PlatformUserId::parse)?,
            login: f.string("login")?,
            at: f.timestamp("at")?,
        }),
        7 => TeamEvent::SignInUnlinked(SignInUnlinked {
            username: f.parsed("username", Username::parse)?,
            platform: f.parsed("platform", |raw: String| ChatPlatform::parse(&raw))?,
            at: f.timestamp("at")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known team event" }),
    })
}
