use apache_avro::types::Value;
use wavestack_domain::poll::*;
use wavestack_domain::value::*;

use super::parsed_strings;
use crate::error::CodecError;
use crate::fields::{branch, int, long, nullable, record, string, timestamp, Fields};

pub(crate) fn to_avro(event: &PollEvent) -> Value {
    let (index, value) = match event {
        PollEvent::PollOpened(e) => (
            0,
            record([
                ("poll_id", Value::Uuid(e.poll_id.as_uuid())),
                ("question", string(e.question.as_str())),
                ("options", Value::Array(e.options.iter().map(|o| string(o.as_str())).collect())),
                ("channels", Value::Array(e.channels.iter().map(|c| string(c.to_string())).collect())),
                ("allow_change", Value::Boolean(e.allow_change)),
                ("opened_at", timestamp(e.opened_at)),
                ("closes_at", timestamp(e.closes_at)),
            ]),
        ),
        PollEvent::VoteCast(e) => (
            1,
            record([
                ("person", string(e.person.to_string())),
                ("account", string(e.account.to_string())),
                ("option", int(e.option)),
                ("previous", nullable(e.previous.map(int))),
                ("at", timestamp(e.at)),
            ]),
        ),
        PollEvent::PollClosed(e) => (
            2,
            record([
                ("counts", Value::Array(e.counts.iter().map(|c| long(*c)).collect())),
                ("closed_at", timestamp(e.closed_at)),
            ]),
        ),
        PollEvent::PollCancelled(e) => (3, record([("cancelled_at", timestamp(e.cancelled_at))])),
    };
    Value::Union(index, Box::new(value))
}

pub(crate) fn from_avro(payload: Value) -> Result<PollEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    let account = |f: &mut Fields, field| f.parsed(field, |raw: String| Account::parse(&raw));
    Ok(match index {
        0 => PollEvent::PollOpened(PollOpened {
            poll_id: PollId::from_uuid(f.uuid("poll_id")?),
            question: f.string("question")?,
            options: parsed_strings(f.array("options")?, "options", Ok)?,
            channels: parsed_strings(f.array("channels")?, "channels", |raw| ChannelRef::parse(&raw))?,
            allow_change: f.boolean("allow_change")?,
            opened_at: f.timestamp("opened_at")?,
            closes_at: f.timestamp("closes_at")?,
        }),
        1 => PollEvent::VoteCast(VoteCast {
            person: account(&mut f, "person")?,
            account: account(&mut f, "account")?,
            option: f.int("option")?,
            previous: match f.optional("previous")? {
                None => None,
                Some(Value::Int(n)) => {
                    Some(u32::try_from(n).map_err(|_| CodecError::Shape { field: "previous", expected: "an option" })?)
                }
                Some(_) => return Err(CodecError::Shape { field: "previous", expected: "an int" }),
            },
            at: f.timestamp("at")?,
        }),
        2 => PollEvent::PollClosed(PollClosed {
            counts: f
                .array("counts")?
                .into_iter()
                .map(|c| match c {
                    Value::Long(n) => {
                        u64::try_from(n).map_err(|_| CodecError::Shape { field: "counts", expected: "a count" })
                    }
                    _ => Err(CodecError::Shape { field: "counts", expected: "longs" }),
                })
                .collect::<Result<_, _>>()?,
            closed_at: f.timestamp("closed_at")?,
        }),
        3 => PollEvent::PollCancelled(PollCancelled { cancelled_at: f.timestamp("cancelled_at")? }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known poll event" }),
    })
}
