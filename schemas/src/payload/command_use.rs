use apache_avro::types::Value;
use wavestack_domain::chat_command::{CommandAnswered, CommandRefused, CommandUseEvent, Invoker, RefusalReason};
use wavestack_domain::value::*;

use super::closed_enum;
use crate::error::CodecError;
use crate::fields::{branch, long, nullable, record, string, timestamp, Fields};

pub(crate) fn to_avro(event: &CommandUseEvent) -> Value {
    let (index, value) = match event {
        CommandUseEvent::CommandAnswered(e) => (
            0,
            record([
                ("invoker", invoker(&e.invoker)),
                ("command", string(e.command.as_str())),
                ("reply", string(e.reply.as_str())),
                ("count", long(e.count)),
                ("cost", long(e.cost)),
                ("settings_version", long(e.settings_version)),
                ("answered_at", timestamp(e.answered_at)),
            ]),
        ),
        CommandUseEvent::CommandRefused(e) => (
            1,
            record([
                ("invoker", invoker(&e.invoker)),
                ("command", string(e.command.as_str())),
                ("reason", closed_enum(RefusalReason::ALL, e.reason, e.reason.as_str())),
                ("detail", string(e.detail.as_str())),
                ("reply", nullable(e.reply.clone().map(Value::String))),
                ("settings_version", long(e.settings_version)),
                ("refused_at", timestamp(e.refused_at)),
            ]),
        ),
    };
    Value::Union(index, Box::new(value))
}

fn invoker(i: &Invoker) -> Value {
    record([
        ("message_id", string(i.message_id.as_str())),
        ("platform", closed_enum(ChatPlatform::ALL, i.platform, i.platform.as_str())),
        ("channel", string(i.channel.as_str())),
        ("user_id", string(i.user_id.as_str())),
        ("author", string(i.author.as_str())),
    ])
}

fn invoker_of(value: Value) -> Result<Invoker, CodecError> {
    let mut f = Fields::of(value, "invoker")?;
    Ok(Invoker {
        message_id: f.parsed("message_id", MessageId::parse)?,
        platform: f.symbol_parsed("platform", ChatPlatform::parse)?,
        channel: f.parsed("channel", ChannelId::parse)?,
        user_id: f.parsed("user_id", PlatformUserId::parse)?,
        author: f.parsed("author", DisplayName::parse)?,
    })
}

pub(crate) fn from_avro(payload: Value) -> Result<CommandUseEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    Ok(match index {
        0 => CommandUseEvent::CommandAnswered(CommandAnswered {
            invoker: invoker_of(f.take("invoker")?)?,
            command: f.parsed("command", CommandName::parse)?,
            reply: f.string("reply")?,
            count: f.long("count")?,
            cost: f.long("cost")?,
            settings_version: f.long("settings_version")?,
            answered_at: f.timestamp("answered_at")?,
        }),
        1 => CommandUseEvent::CommandRefused(CommandRefused {
            invoker: invoker_of(f.take("invoker")?)?,
            command: f.parsed("command", CommandName::parse)?,
            reason: f.symbol_parsed("reason", RefusalReason::parse)?,
            detail: f.string("detail")?,
            reply: f.optional_string("reply")?,
            settings_version: f.long("settings_version")?,
            refused_at: f.timestamp("refused_at")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known command use event" }),
    })
}
