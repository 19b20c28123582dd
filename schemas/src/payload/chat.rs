use apache_avro::types::Value;
use wavestack_domain::chat::{ChatCommandInvoked, ChatEvent, ChatMessageReceived, PointsAwarded};
use wavestack_domain::value::*;

use super::closed_enum;
use crate::error::CodecError;
use crate::fields::{branch, long, record, string, timestamp, Fields};

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
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known chat event" }),
    })
}
