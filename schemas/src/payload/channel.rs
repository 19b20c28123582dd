use apache_avro::types::Value;
use wavestack_domain::channel::{BuiltinConfigured, ChannelEvent, CommandDefinition, ResponseTemplate};
use wavestack_domain::value::*;

use super::closed_enum;
use crate::error::CodecError;
use crate::fields::{branch, long, nullable, record, string, Fields};

pub(crate) fn to_avro(event: &ChannelEvent) -> Value {
    let (index, value) = match event {
        ChannelEvent::CommandAdded(d) => (0, record([("definition", definition(d))])),
        ChannelEvent::CommandEdited(d) => (1, record([("definition", definition(d))])),
        ChannelEvent::CommandDeleted { name } => (2, record([("name", string(name.as_str()))])),
        ChannelEvent::PointsPolicyChanged(p) => (
            3,
            record([
                ("points_per_message", long(p.points_per_message)),
                ("cooldown_seconds", long(u64::from(p.cooldown_seconds))),
                ("daily_bonus", long(p.daily_bonus)),
                ("subscriber_percent", long(u64::from(p.subscriber_percent))),
            ]),
        ),
        ChannelEvent::PrefixChanged { prefix } => (4, record([("prefix", string(prefix.as_str()))])),
        ChannelEvent::RegularAdded { user_id } => (5, record([("user_id", string(user_id.as_str()))])),
        ChannelEvent::RegularRemoved { user_id } => (6, record([("user_id", string(user_id.as_str()))])),
        ChannelEvent::BuiltinConfigured(c) => (
            7,
            record([
                ("builtin", closed_enum(Builtin::ALL, c.builtin, c.builtin.as_str())),
                ("name", string(c.name.as_str())),
                ("enabled", Value::Boolean(c.enabled)),
            ]),
        ),
    };
    Value::Union(index, Box::new(value))
}

fn definition(d: &CommandDefinition) -> Value {
    record([
        ("name", string(d.name.as_str())),
        ("response", string(d.response.as_str())),
        ("alias_of", nullable(d.alias_of.as_ref().map(|a| string(a.as_str())))),
        ("min_level", closed_enum(UserLevel::ALL, d.min_level, d.min_level.as_str())),
        ("cooldown_seconds", long(u64::from(d.cooldown_seconds))),
        ("user_cooldown_seconds", long(u64::from(d.user_cooldown_seconds))),
        ("cost", long(d.cost)),
        ("enabled", Value::Boolean(d.enabled)),
    ])
}

/// A `long` field that the domain holds as a `u32` (seconds, a percentage).
fn small(f: &mut Fields, field: &'static str) -> Result<u32, CodecError> {
    u32::try_from(f.long(field)?).map_err(|_| CodecError::Shape { field, expected: "a whole number within a u32" })
}

fn definition_of(value: Value) -> Result<CommandDefinition, CodecError> {
    let mut f = Fields::of(value, "definition")?;
    Ok(CommandDefinition {
        name: f.parsed("name", CommandName::parse)?,
        response: ResponseTemplate::parse(f.string("response")?)
            .map_err(|_| CodecError::Shape { field: "response", expected: "a valid response template" })?,
        alias_of: f
            .optional_string("alias_of")?
            .map(CommandName::parse)
            .transpose()
            .map_err(|error| CodecError::Value { field: "alias_of", error })?,
        min_level: f.symbol_parsed("min_level", UserLevel::parse)?,
        cooldown_seconds: small(&mut f, "cooldown_seconds")?,
        user_cooldown_seconds: small(&mut f, "user_cooldown_seconds")?,
        cost: f.long("cost")?,
        enabled: f.boolean("enabled")?,
    })
}

pub(crate) fn from_avro(payload: Value) -> Result<ChannelEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    Ok(match index {
        0 => ChannelEvent::CommandAdded(definition_of(f.take("definition")?)?),
        1 => ChannelEvent::CommandEdited(definition_of(f.take("definition")?)?),
        2 => ChannelEvent::CommandDeleted { name: f.parsed("name", CommandName::parse)? },
        3 => ChannelEvent::PointsPolicyChanged(PointsPolicy {
            points_per_message: f.long("points_per_message")?,
            cooldown_seconds: small(&mut f, "cooldown_seconds")?,
            daily_bonus: f.long("daily_bonus")?,
            subscriber_percent: small(&mut f, "subscriber_percent")?,
        }),
        4 => ChannelEvent::PrefixChanged { prefix: f.parsed("prefix", CommandPrefix::parse)? },
        5 => ChannelEvent::RegularAdded { user_id: f.parsed("user_id", PlatformUserId::parse)? },
        6 => ChannelEvent::RegularRemoved { user_id: f.parsed("user_id", PlatformUserId::parse)? },
        7 => ChannelEvent::BuiltinConfigured(BuiltinConfigured {
            builtin: f.symbol_parsed("builtin", Builtin::parse)?,
            name: f.parsed("name", CommandName::parse)?,
            enabled: f.boolean("enabled")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known channel event" }),
    })
}
