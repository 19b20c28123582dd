use apache_avro::types::Value;
use wavestack_domain::channel::{
    AlertSettings, BuiltinConfigured, ChannelEvent, CommandDefinition, PlatformConnection, ResponseTemplate,
};
use wavestack_domain::moderation::{ActionKind, Escalation, FilterRule, FilterSettings, Penalty};
use wavestack_domain::value::*;

use super::{closed_enum, small};
use crate::error::CodecError;
use crate::fields::{branch, long, nullable, record, string, symbol_of, Fields};

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
        ChannelEvent::FilterConfigured(filter) => (8, filter_to_avro(filter)),
        ChannelEvent::EscalationChanged(e) => (
            9,
            record([
                (
                    "ladder",
                    Value::Array(
                        e.ladder
                            .iter()
                            .map(|p| {
                                record([
                                    ("action", closed_enum(ActionKind::ALL, p.action, p.action.as_str())),
                                    ("seconds", long(u64::from(p.seconds))),
                                ])
                            })
                            .collect(),
                    ),
                ),
                ("strike_expiry_seconds", long(u64::from(e.strike_expiry_seconds))),
            ]),
        ),
        ChannelEvent::GiveawayStarted { giveaway_id, keyword } => {
            (10, record([("giveaway_id", Value::Uuid(giveaway_id.as_uuid())), ("keyword", string(keyword.as_str()))]))
        }
        ChannelEvent::GiveawayEnded { giveaway_id } => {
            (11, record([("giveaway_id", Value::Uuid(giveaway_id.as_uuid()))]))
        }
        ChannelEvent::PollStarted { poll_id } => (12, record([("poll_id", Value::Uuid(poll_id.as_uuid()))])),
        ChannelEvent::PollEnded { poll_id } => (13, record([("poll_id", Value::Uuid(poll_id.as_uuid()))])),
        ChannelEvent::PlatformConnected(c) => (
            14,
            record([
                ("platform_channel_id", string(c.platform_channel_id.as_str())),
                ("bot_user_id", string(c.bot_user_id.as_str())),
                ("bot_login", string(c.bot_login.as_str())),
                ("scopes", strings(&c.scopes)),
            ]),
        ),
        ChannelEvent::PlatformDisconnected { reason } => (15, record([("reason", string(reason.as_str()))])),
        ChannelEvent::SupportPolicyChanged(p) => (
            16,
            record([
                ("per_follow", long(p.per_follow)),
                ("per_sub_tier1", long(p.per_sub_tier1)),
                ("per_sub_tier2", long(p.per_sub_tier2)),
                ("per_sub_tier3", long(p.per_sub_tier3)),
                ("per_100_bits", long(p.per_100_bits)),
                ("per_raid_viewer", long(p.per_raid_viewer)),
            ]),
        ),
        ChannelEvent::AlertConfigured(a) => (
            17,
            record([
                ("kind", string(a.kind.as_str())),
                ("template", string(a.template.as_str())),
                ("enabled", Value::Boolean(a.enabled)),
            ]),
        ),
    };
    Value::Union(index, Box::new(value))
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| string(s.as_str())).collect())
}

fn filter_to_avro(filter: &FilterSettings) -> Value {
    let n = |v: u32| long(u64::from(v));
    let (index, rule) = match &filter.rule {
        FilterRule::Caps { min_length, max_percent } => {
            (0, record([("min_length", n(*min_length)), ("max_percent", n(*max_percent))]))
        }
        FilterRule::Links { allowed_domains } => (1, record([("allowed_domains", strings(allowed_domains))])),
        FilterRule::BannedTerms { terms, patterns } => {
            (2, record([("terms", strings(terms)), ("patterns", strings(patterns))]))
        }
        FilterRule::Symbols { min_length, max_percent } => {
            (3, record([("min_length", n(*min_length)), ("max_percent", n(*max_percent))]))
        }
        FilterRule::Repetition { max_char_run, max_word_repeats, same_message_seconds } => (
            4,
            record([
                ("max_char_run", n(*max_char_run)),
                ("max_word_repeats", n(*max_word_repeats)),
                ("same_message_seconds", n(*same_message_seconds)),
            ]),
        ),
        FilterRule::Emotes { max_emotes, max_mentions } => {
            (5, record([("max_emotes", n(*max_emotes)), ("max_mentions", n(*max_mentions))]))
        }
        FilterRule::Length { max_length } => (6, record([("max_length", n(*max_length))])),
        FilterRule::Flood { max_messages, per_seconds } => {
            (7, record([("max_messages", n(*max_messages)), ("per_seconds", n(*per_seconds))]))
        }
    };
    record([
        ("enabled", Value::Boolean(filter.enabled)),
        ("exempt", Value::Array(filter.exempt.iter().map(|l| closed_enum(UserLevel::ALL, *l, l.as_str())).collect())),
        ("rule", Value::Union(index, Box::new(rule))),
    ])
}

fn strings_of(f: &mut Fields, field: &'static str) -> Result<Vec<String>, CodecError> {
    f.array(field)?
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            _ => Err(CodecError::Shape { field, expected: "an array of strings" }),
        })
        .collect()
}

fn filter_of(mut f: Fields) -> Result<FilterSettings, CodecError> {
    let enabled = f.boolean("enabled")?;
    let exempt = f
        .array("exempt")?
        .into_iter()
        .map(|v| {
            UserLevel::parse(&symbol_of(v, "exempt")?).map_err(|error| CodecError::Value { field: "exempt", error })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (index, rule) = branch(f.take("rule")?, "rule")?;
    let mut r = Fields::of(rule, "rule")?;
    let rule = match index {
        0 => FilterRule::Caps { min_length: small(&mut r, "min_length")?, max_percent: small(&mut r, "max_percent")? },
        1 => FilterRule::Links { allowed_domains: strings_of(&mut r, "allowed_domains")? },
        2 => FilterRule::BannedTerms { terms: strings_of(&mut r, "terms")?, patterns: strings_of(&mut r, "patterns")? },
        3 => {
            FilterRule::Symbols { min_length: small(&mut r, "min_length")?, max_percent: small(&mut r, "max_percent")? }
        }
        4 => FilterRule::Repetition {
            max_char_run: small(&mut r, "max_char_run")?,
            max_word_repeats: small(&mut r, "max_word_repeats")?,
            same_message_seconds: small(&mut r, "same_message_seconds")?,
        },
        5 => FilterRule::Emotes {
            max_emotes: small(&mut r, "max_emotes")?,
            max_mentions: small(&mut r, "max_mentions")?,
        },
        6 => FilterRule::Length { max_length: small(&mut r, "max_length")? },
        7 => FilterRule::Flood {
            max_messages: small(&mut r, "max_messages")?,
            per_seconds: small(&mut r, "per_seconds")?,
        },
        _ => return Err(CodecError::Shape { field: "rule", expected: "a known filter" }),
    };
    Ok(FilterSettings { enabled, exempt, rule })
}

fn escalation_of(mut f: Fields) -> Result<Escalation, CodecError> {
    let ladder = f
        .array("ladder")?
        .into_iter()
        .map(|step| {
            let mut s = Fields::of(step, "ladder")?;
            Ok(Penalty { action: s.symbol_parsed("action", ActionKind::parse)?, seconds: small(&mut s, "seconds")? })
        })
        .collect::<Result<Vec<_>, CodecError>>()?;
    Ok(Escalation { ladder, strike_expiry_seconds: small(&mut f, "strike_expiry_seconds")? })
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
        8 => ChannelEvent::FilterConfigured(filter_of(f)?),
        9 => ChannelEvent::EscalationChanged(escalation_of(f)?),
        10 => ChannelEvent::GiveawayStarted {
            giveaway_id: GiveawayId::from_uuid(f.uuid("giveaway_id")?),
            keyword: f.parsed("keyword", CommandName::parse)?,
        },
        11 => ChannelEvent::GiveawayEnded { giveaway_id: GiveawayId::from_uuid(f.uuid("giveaway_id")?) },
        12 => ChannelEvent::PollStarted { poll_id: PollId::from_uuid(f.uuid("poll_id")?) },
        13 => ChannelEvent::PollEnded { poll_id: PollId::from_uuid(f.uuid("poll_id")?) },
        14 => ChannelEvent::PlatformConnected(PlatformConnection {
            platform_channel_id: f.parsed("platform_channel_id", PlatformUserId::parse)?,
            bot_user_id: f.parsed("bot_user_id", PlatformUserId::parse)?,
            bot_login: f.string("bot_login")?,
            scopes: strings_of(&mut f, "scopes")?,
        }),
        15 => ChannelEvent::PlatformDisconnected { reason: f.string("reason")? },
        16 => ChannelEvent::SupportPolicyChanged(SupportPolicy {
            per_follow: f.long("per_follow")?,
            per_sub_tier1: f.long("per_sub_tier1")?,
            per_sub_tier2: f.long("per_sub_tier2")?,
            per_sub_tier3: f.long("per_sub_tier3")?,
            per_100_bits: f.long("per_100_bits")?,
            per_raid_viewer: f.long("per_raid_viewer")?,
        }),
        17 => ChannelEvent::AlertConfigured(AlertSettings {
            kind: f.parsed("kind", |raw: String| SupportKind::parse(&raw))?,
            template: f.string("template")?,
            enabled: f.boolean("enabled")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known channel event" }),
    })
}
