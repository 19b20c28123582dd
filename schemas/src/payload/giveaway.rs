use apache_avro::types::Value;
use wavestack_domain::giveaway::*;
use wavestack_domain::value::*;

use super::{accounts, closed_enum, parsed_strings};
use crate::error::CodecError;
use crate::fields::{branch, int, long, nullable, record, string, timestamp, Fields};

pub(crate) fn to_avro(event: &GiveawayEvent) -> Value {
    let (index, value) = match event {
        GiveawayEvent::GiveawayOpened(e) => (
            0,
            record([
                ("giveaway_id", Value::Uuid(e.giveaway_id.as_uuid())),
                ("title", string(e.title.as_str())),
                ("channels", Value::Array(e.channels.iter().map(|c| string(c.to_string())).collect())),
                ("keyword", string(e.rules.keyword.as_str())),
                ("cost", long(e.rules.cost)),
                ("min_level", closed_enum(UserLevel::ALL, e.rules.min_level, e.rules.min_level.as_str())),
                ("subscriber_luck", int(e.rules.subscriber_luck)),
                ("closes_at", nullable(e.rules.closes_at.map(timestamp))),
                ("commitment", string(e.commitment.as_str())),
                ("opened_at", timestamp(e.opened_at)),
            ]),
        ),
        GiveawayEvent::EntryAccepted(e) => (
            1,
            record([
                ("person", string(e.person.to_string())),
                ("account", string(e.account.to_string())),
                ("channel", string(e.channel.to_string())),
                ("author", string(e.author.as_str())),
                ("message_id", string(e.message_id.as_str())),
                ("weight", int(e.weight)),
                ("paid", long(e.paid)),
                ("entered_at", timestamp(e.entered_at)),
            ]),
        ),
        GiveawayEvent::EntryAbandoned(e) => (
            2,
            record([
                ("message_id", string(e.message_id.as_str())),
                ("account", string(e.account.to_string())),
                ("at", timestamp(e.at)),
            ]),
        ),
        GiveawayEvent::GiveawayClosed(e) => {
            (3, record([("entries", long(u64::from(e.entries))), ("closed_at", timestamp(e.closed_at))]))
        }
        GiveawayEvent::WinnersDrawn(e) => (
            4,
            record([
                ("round", int(e.round)),
                ("seed", string(e.seed.as_str())),
                ("replaces", nullable(e.replaces.as_ref().map(|a| string(a.to_string())))),
                (
                    "winners",
                    Value::Array(
                        e.winners
                            .iter()
                            .map(|w| {
                                record([
                                    ("entry", long(u64::from(w.entry))),
                                    ("person", string(w.person.to_string())),
                                    ("account", string(w.account.to_string())),
                                    ("author", string(w.author.as_str())),
                                ])
                            })
                            .collect(),
                    ),
                ),
                ("drawn_at", timestamp(e.drawn_at)),
                ("next_commitment", nullable(e.next_commitment.as_deref().map(string))),
            ]),
        ),
        GiveawayEvent::GiveawayCancelled(e) => {
            (5, record([("refunds", long(u64::from(e.refunds))), ("cancelled_at", timestamp(e.cancelled_at))]))
        }
    };
    Value::Union(index, Box::new(value))
}

fn small_long(f: &mut Fields, field: &'static str) -> Result<u32, CodecError> {
    u32::try_from(f.long(field)?).map_err(|_| CodecError::Shape { field, expected: "a whole number within a u32" })
}

pub(crate) fn from_avro(payload: Value) -> Result<GiveawayEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    let account = |f: &mut Fields, field| f.parsed(field, |raw: String| Account::parse(&raw));
    Ok(match index {
        0 => GiveawayEvent::GiveawayOpened(GiveawayOpened {
            giveaway_id: GiveawayId::from_uuid(f.uuid("giveaway_id")?),
            title: f.string("title")?,
            channels: parsed_strings(f.array("channels")?, "channels", |raw| ChannelRef::parse(&raw))?,
            rules: GiveawayRules {
                keyword: f.parsed("keyword", CommandName::parse)?,
                cost: f.long("cost")?,
                min_level: f.symbol_parsed("min_level", UserLevel::parse)?,
                subscriber_luck: f.int("subscriber_luck")?,
                closes_at: f.optional_timestamp("closes_at")?,
            },
            commitment: f.string("commitment")?,
            opened_at: f.timestamp("opened_at")?,
        }),
        1 => GiveawayEvent::EntryAccepted(EntryAccepted {
            person: account(&mut f, "person")?,
            account: account(&mut f, "account")?,
            channel: f.parsed("channel", |raw: String| ChannelRef::parse(&raw))?,
            author: f.parsed("author", DisplayName::parse)?,
            message_id: f.parsed("message_id", MessageId::parse)?,
            weight: f.int("weight")?,
            paid: f.long("paid")?,
            entered_at: f.timestamp("entered_at")?,
        }),
        2 => GiveawayEvent::EntryAbandoned(EntryAbandoned {
            message_id: f.parsed("message_id", MessageId::parse)?,
            account: account(&mut f, "account")?,
            at: f.timestamp("at")?,
        }),
        3 => GiveawayEvent::GiveawayClosed(GiveawayClosed {
            entries: small_long(&mut f, "entries")?,
            closed_at: f.timestamp("closed_at")?,
        }),
        4 => GiveawayEvent::WinnersDrawn(WinnersDrawn {
            round: f.int("round")?,
            seed: f.string("seed")?,
            replaces: accounts(f.optional_string("replaces")?.into_iter().map(Value::String).collect(), "replaces")?
                .into_iter()
                .next(),
            winners: f
                .array("winners")?
                .into_iter()
                .map(|w| {
                    let mut w = Fields::of(w, "winners")?;
                    Ok(Winner {
                        entry: small_long(&mut w, "entry")?,
                        person: account(&mut w, "person")?,
                        account: account(&mut w, "account")?,
                        author: w.parsed("author", DisplayName::parse)?,
                    })
                })
                .collect::<Result<_, CodecError>>()?,
            drawn_at: f.timestamp("drawn_at")?,
            next_commitment: f.optional_string("next_commitment")?,
        }),
        5 => GiveawayEvent::GiveawayCancelled(GiveawayCancelled {
            refunds: small_long(&mut f, "refunds")?,
            cancelled_at: f.timestamp("cancelled_at")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known giveaway event" }),
    })
}
