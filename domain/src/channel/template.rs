//! A command's response: text with `$(variables)`, parsed when the command
//! is defined so that a mistake is refused then, with its position, and
//! never when a viewer runs the command.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest response source, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 500;
/// `$(random a-b)` bounds: wide enough for dice and percentages, small
/// enough that the arithmetic cannot overflow.
const RANDOM_LIMIT: i64 = 1_000_000_000;

/// A parsed response. Serialized as its source text; deserializing parses
/// it again, so a stored template is always a valid one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResponseTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Variable),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variable {
    User,
    ToUser,
    Query,
    Arg(usize),
    Count,
    Points,
    Channel,
    Uptime,
    Random { low: i64, high: i64 },
}

/// Why a template was refused; `position` counts characters from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("`$(` at character {position} is never closed with `)`")]
    Unclosed { position: usize },
    #[error("unknown variable `$({name})` at character {position}")]
    UnknownVariable { position: usize, name: String },
    #[error("`$(random a-b)` at character {position} needs whole numbers a ≤ b within ±{RANDOM_LIMIT}")]
    BadRandom { position: usize },
}

impl TemplateError {
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::TooLong { .. } => "too_long",
            TemplateError::Unclosed { .. } => "template_unclosed",
            TemplateError::UnknownVariable { .. } => "template_unknown_variable",
            TemplateError::BadRandom { .. } => "template_bad_random",
        }
    }
}

/// What a response is rendered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderContext<'a> {
    /// Who invoked the command (display name).
    pub user: &'a str,
    /// Everything after the command's name.
    pub query: &'a str,
    /// The command's use count, this use included.
    pub count: u64,
    /// The invoker's balance.
    pub points: u64,
    pub channel: &'a str,
    /// Seeds `$(random a-b)`; derived from the message id, so a replay
    /// renders the same text.
    pub seed: u64,
    /// How long the stream has been live at the message, for `$(uptime)`;
    /// none while it is offline.
    pub uptime: Option<time::Duration>,
}

impl ResponseTemplate {
    pub fn parse(raw: impl Into<String>) -> Result<Self, TemplateError> {
        let source: String = raw.into();
        if source.chars().count() > MAX_TEMPLATE_CHARS {
            return Err(TemplateError::TooLong { max: MAX_TEMPLATE_CHARS });
        }
        let chars: Vec<char> = source.chars().collect();
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '$' && chars.get(i + 1) == Some(&'(') {
                let close =
                    chars[i + 2..].iter().position(|c| *c == ')').ok_or(TemplateError::Unclosed { position: i })?;
                let inner: String = chars[i + 2..i + 2 + close].iter().collect();
                let variable = variable(inner.trim(), i)?;
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var(variable));
                i += close + 3;
            } else {
                text.push(chars[i]);
                i += 1;
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self { source, parts })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn is_empty(&self) -> bool {
        self.source.trim().is_empty()
    }

    /// Whether it has any `$(…)` to fill in.
    pub fn has_variables(&self) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Var(_)))
    }

    /// Whether it shows a command's use count or the invoker's balance:
    /// what only the command that answers knows.
    pub fn shows_count_or_points(&self) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Var(Variable::Count | Variable::Points)))
    }

    /// Whether it shows how long the stream has been live: only then is
    /// the channel's broadcast read.
    pub fn shows_uptime(&self) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Var(Variable::Uptime)))
    }

    pub fn render(&self, context: &RenderContext<'_>) -> String {
        let args: Vec<&str> = context.query.split_whitespace().collect();
        let mut random = SplitMix64(context.seed);
        let mut out = String::with_capacity(self.source.len() + 32);
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(Variable::User) => out.push_str(context.user),
                Part::Var(Variable::ToUser) => {
                    out.push_str(args.first().map(|a| a.trim_start_matches('@')).unwrap_or(context.user))
                }
                Part::Var(Variable::Query) => out.push_str(context.query),
                Part::Var(Variable::Arg(n)) => out.push_str(args.get(n - 1).copied().unwrap_or("")),
                Part::Var(Variable::Count) => out.push_str(&context.count.to_string()),
                Part::Var(Variable::Points) => out.push_str(&context.points.to_string()),
                Part::Var(Variable::Channel) => out.push_str(context.channel),
                Part::Var(Variable::Uptime) => out.push_str(&uptime_text(context.uptime)),
                Part::Var(Variable::Random { low, high }) => {
                    let span = (high - low) as u64 + 1;
                    let value = low + (random.next() % span) as i64;
                    out.push_str(&value.to_string());
                }
            }
        }
        out
    }
}

/// `2h 5m`, `12m 3s`, `40s`; `offline` when the stream is not live.
fn uptime_text(uptime: Option<time::Duration>) -> String {
    let Some(uptime) = uptime else { return "offline".to_owned() };
    let seconds = uptime.whole_seconds().max(0);
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m"),
    }
}

fn variable(inner: &str, position: usize) -> Result<Variable, TemplateError> {
    let unknown = || TemplateError::UnknownVariable { position, name: inner.to_owned() };
    Ok(match inner {
        "user" => Variable::User,
        "touser" => Variable::ToUser,
        "query" => Variable::Query,
        "count" => Variable::Count,
        "points" => Variable::Points,
        "channel" => Variable::Channel,
        "uptime" => Variable::Uptime,
        digit if digit.len() == 1 && matches!(digit.as_bytes()[0], b'1'..=b'9') => {
            Variable::Arg(usize::from(digit.as_bytes()[0] - b'0'))
        }
        random if random.starts_with("random ") => {
            let range = random["random ".len()..].trim();
            let bad = || TemplateError::BadRandom { position };
            // `a-b`, where either bound may itself be negative: split at the
            // first `-` that follows a digit.
            let split = range.char_indices().skip(1).find(|(_, c)| *c == '-').map(|(at, _)| at).ok_or_else(bad)?;
            let low: i64 = range[..split].trim().parse().map_err(|_| bad())?;
            let high: i64 = range[split + 1..].trim().parse().map_err(|_| bad())?;
            if low > high || low.abs() > RANDOM_LIMIT || high.abs() > RANDOM_LIMIT {
                return Err(bad());
            }
            Variable::Random { low, high }
        }
        _ => return Err(unknown()),
    })
}

impl TryFrom<String> for ResponseTemplate {
    type Error = TemplateError;
    fn try_from(raw: String) -> Result<Self, TemplateError> {
        Self::parse(raw)
    }
}

impl From<ResponseTemplate> for String {
    fn from(value: ResponseTemplate) -> String {
        value.source
    }
}

impl fmt::Display for ResponseTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// The seed of a message's random numbers: FNV-1a over its id, a function
/// fixed here (std's hashers may change between Rust releases, and a replay
/// must render the same text years later).
pub fn seed_of(message_id: &str) -> u64 {
    message_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Vigna's SplitMix64: small, fixed, and good enough for dice.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn context<'a>(query: &'a str, seed: u64) -> RenderContext<'a> {
        RenderContext { user: "Ada", query, count: 7, points: 120, channel: "shroud", seed, uptime: None }
    }

    #[test]
    fn uptime_shows_how_long_the_stream_has_been_live_or_that_it_is_offline() {
        let template = ResponseTemplate::parse("live for $(uptime)").unwrap();
        assert!(template.shows_uptime());
        assert!(!ResponseTemplate::parse("$(user)").unwrap().shows_uptime());
        let at = |seconds| RenderContext { uptime: Some(time::Duration::seconds(seconds)), ..context("", 1) };
        assert_eq!(template.render(&context("", 1)), "live for offline");
        assert_eq!(template.render(&at(42)), "live for 42s");
        assert_eq!(template.render(&at(12 * 60 + 3)), "live for 12m 3s");
        assert_eq!(template.render(&at(2 * 3600 + 5 * 60 + 59)), "live for 2h 5m");
        assert_eq!(template.render(&at(-5)), "live for 0s", "a message stamped before the start");
    }

    #[test]
    fn renders_every_variable() {
        let t = ResponseTemplate::parse(
            "$(user) hugs $(touser) [$(query)] $(1)/$(2)/$(9) #$(count) $(points) in $(channel)",
        )
        .unwrap();
        assert_eq!(t.render(&context("@Bob tightly", 1)), "Ada hugs Bob [@Bob tightly] @Bob/tightly/ #7 120 in shroud");
        assert_eq!(t.render(&context("", 1)), "Ada hugs Ada [] // #7 120 in shroud");
    }

    #[test]
    fn random_is_in_range_and_the_same_for_the_same_message() {
        let t = ResponseTemplate::parse("rolled $(random 1-6) and $(random -5--1)").unwrap();
        let seed = seed_of("msg-42");
        let first = t.render(&context("", seed));
        assert_eq!(first, t.render(&context("", seed)));
        let numbers: Vec<i64> = first.split(' ').filter_map(|w| w.parse().ok()).collect();
        assert!((1..=6).contains(&numbers[0]) && (-5..=-1).contains(&numbers[1]), "{first}");
    }

    #[test]
    fn mistakes_are_refused_with_their_position() {
        assert_eq!(
            ResponseTemplate::parse("hi $(usr)"),
            Err(TemplateError::UnknownVariable { position: 3, name: "usr".into() })
        );
        assert_eq!(ResponseTemplate::parse("hé $(user"), Err(TemplateError::Unclosed { position: 3 }));
        assert_eq!(ResponseTemplate::parse("$(random 6-1)"), Err(TemplateError::BadRandom { position: 0 }));
        assert_eq!(ResponseTemplate::parse("$(random x)"), Err(TemplateError::BadRandom { position: 0 }));
        assert_eq!(ResponseTemplate::parse("$(0)").unwrap_err().code(), "template_unknown_variable");
        assert_eq!(ResponseTemplate::parse("a".repeat(501)), Err(TemplateError::TooLong { max: 500 }));
        // A `$` that opens nothing is text.
        assert_eq!(ResponseTemplate::parse("costs $5 (cheap)").unwrap().render(&context("", 0)), "costs $5 (cheap)");
    }

    proptest! {
        #[test]
        fn whatever_parses_renders_and_round_trips(source in "\\PC{0,80}") {
            if let Ok(t) = ResponseTemplate::parse(source.clone()) {
                let _ = t.render(&context("a b c", 3));
                prop_assert_eq!(ResponseTemplate::parse(String::from(t.clone())), Ok(t));
            }
        }
    }
}
