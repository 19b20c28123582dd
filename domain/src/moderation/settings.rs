//! What a channel configures: each filter's thresholds and exemptions, and
//! the escalation ladder. Values only; `rules` compiles them for checking.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::links::is_domain;
use super::terms::{check_patterns_together, compile_pattern, fold_term};
use crate::value::{closed_enum, UserLevel};

closed_enum!(
    /// The filters a channel can turn on, in the order a message meets them.
    FilterKind {
        BannedTerms => "banned_terms",
        Links => "links",
        Flood => "flood",
        Length => "length",
        Caps => "caps",
        Symbols => "symbols",
        Repetition => "repetition",
        Emotes => "emotes",
    }
);

closed_enum!(
    /// What a moderation decision does on the platform.
    ActionKind {
        Delete => "delete",
        Timeout => "timeout",
        Ban => "ban",
        Unban => "unban",
    }
);

/// Most banned terms, regular expressions and allowed domains a channel keeps.
pub const MAX_TERMS: usize = 500;
pub const MAX_PATTERNS: usize = 50;
pub const MAX_ALLOWED_DOMAINS: usize = 200;
/// Longest banned term or pattern, in characters.
pub const MAX_TERM_CHARS: usize = 100;
pub const MAX_PATTERN_CHARS: usize = 500;
/// Longest timeout, window or strike life: two weeks (Twitch's longest timeout).
pub const MAX_SECONDS: u32 = 1_209_600;
/// Longest ladder of penalties.
pub const MAX_LADDER: usize = 10;
/// Most messages the flood filter counts: the history a viewer keeps.
pub const MAX_FLOOD_MESSAGES: u32 = 99;

/// One filter's rule and thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "filter", rename_all = "snake_case")]
pub enum FilterRule {
    /// More than `max_percent` capitals among the letters of a message
    /// with at least `min_length` letters.
    Caps { min_length: u32, max_percent: u32 },
    /// Any URL-like text whose host is not on the allowlist (subdomains
    /// included), unless the viewer holds a permit.
    Links { allowed_domains: Vec<String> },
    /// Words and phrases (case- and accent-insensitive, on word boundaries)
    /// and regular expressions (over the same folded text).
    BannedTerms { terms: Vec<String>, patterns: Vec<String> },
    /// More than `max_percent` symbols among the non-space characters of a
    /// message of at least `min_length` characters.
    Symbols { min_length: u32, max_percent: u32 },
    /// A character repeated more than `max_char_run` times in a row, a word
    /// more than `max_word_repeats` times, or the viewer's same message
    /// again within `same_message_seconds` (0: off).
    Repetition { max_char_run: u32, max_word_repeats: u32, same_message_seconds: u32 },
    /// More than `max_emotes` emotes (emoji, plus those the platform
    /// reported) or `max_mentions` `@mentions` in one message.
    Emotes { max_emotes: u32, max_mentions: u32 },
    /// More than `max_length` characters.
    Length { max_length: u32 },
    /// More than `max_messages` messages from one viewer within `per_seconds`.
    Flood { max_messages: u32, per_seconds: u32 },
}

impl FilterRule {
    pub fn kind(&self) -> FilterKind {
        match self {
            FilterRule::Caps { .. } => FilterKind::Caps,
            FilterRule::Links { .. } => FilterKind::Links,
            FilterRule::BannedTerms { .. } => FilterKind::BannedTerms,
            FilterRule::Symbols { .. } => FilterKind::Symbols,
            FilterRule::Repetition { .. } => FilterKind::Repetition,
            FilterRule::Emotes { .. } => FilterKind::Emotes,
            FilterRule::Length { .. } => FilterKind::Length,
            FilterRule::Flood { .. } => FilterKind::Flood,
        }
    }

    /// The thresholds a filter starts with (docs/streamers.md lists them).
    pub fn default_for(kind: FilterKind) -> Self {
        match kind {
            FilterKind::Caps => FilterRule::Caps { min_length: 8, max_percent: 70 },
            FilterKind::Links => FilterRule::Links { allowed_domains: Vec::new() },
            FilterKind::BannedTerms => FilterRule::BannedTerms { terms: Vec::new(), patterns: Vec::new() },
            FilterKind::Symbols => FilterRule::Symbols { min_length: 10, max_percent: 50 },
            FilterKind::Repetition => {
                FilterRule::Repetition { max_char_run: 10, max_word_repeats: 5, same_message_seconds: 30 }
            }
            FilterKind::Emotes => FilterRule::Emotes { max_emotes: 10, max_mentions: 5 },
            FilterKind::Length => FilterRule::Length { max_length: 300 },
            FilterKind::Flood => FilterRule::Flood { max_messages: 5, per_seconds: 10 },
        }
    }
}

/// A filter as a channel keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSettings {
    pub enabled: bool,
    /// Levels this filter skips, among subscriber, vip and regular.
    /// Moderators and the broadcaster are always exempt.
    pub exempt: Vec<UserLevel>,
    pub rule: FilterRule,
}

impl FilterSettings {
    /// Off, with the default thresholds and no exemptions.
    pub fn default_for(kind: FilterKind) -> Self {
        Self { enabled: false, exempt: Vec::new(), rule: FilterRule::default_for(kind) }
    }

    pub fn kind(&self) -> FilterKind {
        self.rule.kind()
    }

    /// Whether a viewer of `level` skips this filter.
    pub fn exempts(&self, level: UserLevel) -> bool {
        level >= UserLevel::Moderator || self.exempt.contains(&level)
    }

    /// The same settings in their canonical form (exemptions sorted, terms
    /// and domains folded and deduplicated), or why they cannot be kept.
    pub fn checked(mut self) -> Result<Self, FilterError> {
        for level in &self.exempt {
            if !matches!(level, UserLevel::Subscriber | UserLevel::Vip | UserLevel::Regular) {
                return Err(FilterError::invalid(
                    "exempt",
                    "only subscriber, vip and regular can be exempted; moderators and the broadcaster always are",
                ));
            }
        }
        self.exempt.sort_unstable();
        self.exempt.dedup();
        match &mut self.rule {
            FilterRule::Caps { min_length, max_percent } | FilterRule::Symbols { min_length, max_percent } => {
                range("min_length", *min_length, 1, 500)?;
                range("max_percent", *max_percent, 1, 100)?;
            }
            FilterRule::Links { allowed_domains } => {
                if allowed_domains.len() > MAX_ALLOWED_DOMAINS {
                    return Err(FilterError::too_many("allowed_domains", MAX_ALLOWED_DOMAINS));
                }
                for domain in allowed_domains.iter_mut() {
                    let folded = domain.trim().trim_end_matches('.').to_lowercase();
                    if !is_domain(&folded) {
                        return Err(FilterError::Invalid {
                            code: "invalid_domain",
                            field: "allowed_domains",
                            message: format!("{domain:?} is not a domain name (like example.com)"),
                        });
                    }
                    *domain = folded;
                }
                allowed_domains.sort();
                allowed_domains.dedup();
            }
            FilterRule::BannedTerms { terms, patterns } => {
                if terms.len() > MAX_TERMS {
                    return Err(FilterError::too_many("terms", MAX_TERMS));
                }
                if patterns.len() > MAX_PATTERNS {
                    return Err(FilterError::too_many("patterns", MAX_PATTERNS));
                }
                for term in terms.iter_mut() {
                    if term.chars().count() > MAX_TERM_CHARS {
                        return Err(FilterError::invalid(
                            "terms",
                            format!("a term is at most {MAX_TERM_CHARS} characters"),
                        ));
                    }
                    let folded = fold_term(term);
                    if folded.is_empty() {
                        return Err(FilterError::Invalid {
                            code: "invalid_term",
                            field: "terms",
                            message: format!("{term:?} has no letters or digits to match"),
                        });
                    }
                    *term = folded;
                }
                terms.sort();
                terms.dedup();
                for pattern in patterns.iter() {
                    if pattern.chars().count() > MAX_PATTERN_CHARS {
                        return Err(FilterError::invalid(
                            "patterns",
                            format!("a pattern is at most {MAX_PATTERN_CHARS} characters"),
                        ));
                    }
                    compile_pattern(pattern).map_err(|reason| FilterError::Invalid {
                        code: "invalid_pattern",
                        field: "patterns",
                        message: format!("{pattern:?}: {reason}"),
                    })?;
                }
                check_patterns_together(patterns).map_err(|message| FilterError::Invalid {
                    code: "patterns_too_large",
                    field: "patterns",
                    message,
                })?;
            }
            FilterRule::Repetition { max_char_run, max_word_repeats, same_message_seconds } => {
                range("max_char_run", *max_char_run, 2, 500)?;
                range("max_word_repeats", *max_word_repeats, 2, 500)?;
                range("same_message_seconds", *same_message_seconds, 0, MAX_SECONDS)?;
            }
            FilterRule::Emotes { max_emotes, max_mentions } => {
                range("max_emotes", *max_emotes, 0, 500)?;
                range("max_mentions", *max_mentions, 0, 500)?;
            }
            FilterRule::Length { max_length } => range("max_length", *max_length, 1, 500)?,
            FilterRule::Flood { max_messages, per_seconds } => {
                range("max_messages", *max_messages, 1, MAX_FLOOD_MESSAGES)?;
                range("per_seconds", *per_seconds, 1, 3600)?;
            }
        }
        Ok(self)
    }
}

fn range(field: &'static str, value: u32, min: u32, max: u32) -> Result<(), FilterError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(FilterError::OutOfRange { field, min, max })
    }
}

/// A step of the ladder: what the n-th live strike does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penalty {
    pub action: ActionKind,
    /// For a timeout; 0 otherwise.
    pub seconds: u32,
}

impl Penalty {
    pub const fn delete() -> Self {
        Self { action: ActionKind::Delete, seconds: 0 }
    }
    pub const fn timeout(seconds: u32) -> Self {
        Self { action: ActionKind::Timeout, seconds }
    }
    pub const fn ban() -> Self {
        Self { action: ActionKind::Ban, seconds: 0 }
    }
}

/// How strikes add up: the ladder, and how long a strike counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The first strike takes the first step, and so on; strikes past the
    /// end take the last step again.
    pub ladder: Vec<Penalty>,
    pub strike_expiry_seconds: u32,
}

impl Default for Escalation {
    fn default() -> Self {
        Self {
            ladder: vec![Penalty::delete(), Penalty::timeout(60), Penalty::timeout(600), Penalty::ban()],
            strike_expiry_seconds: 3600,
        }
    }
}

impl Escalation {
    /// What the `strike`-th live strike (from 1) does.
    pub fn step(&self, strike: u32) -> Penalty {
        let index = (strike.max(1) as usize - 1).min(self.ladder.len().saturating_sub(1));
        self.ladder.get(index).copied().unwrap_or(Penalty::delete())
    }

    pub fn checked(self) -> Result<Self, FilterError> {
        if self.ladder.is_empty() || self.ladder.len() > MAX_LADDER {
            return Err(FilterError::invalid("ladder", format!("must hold 1 to {MAX_LADDER} steps")));
        }
        for step in &self.ladder {
            match step.action {
                ActionKind::Timeout => range("ladder.seconds", step.seconds, 1, MAX_SECONDS)?,
                ActionKind::Delete | ActionKind::Ban if step.seconds == 0 => {}
                ActionKind::Delete | ActionKind::Ban => {
                    return Err(FilterError::invalid("ladder.seconds", "only a timeout takes seconds"))
                }
                ActionKind::Unban => {
                    return Err(FilterError::invalid("ladder.action", "must be delete, timeout or ban"))
                }
            }
        }
        range("strike_expiry_seconds", self.strike_expiry_seconds, 1, MAX_SECONDS)?;
        Ok(self)
    }
}

/// Every filter of a channel, each at its settings (defaults when never set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationSettings {
    pub(crate) filters: BTreeMap<FilterKind, FilterSettings>,
    pub(crate) escalation: Escalation,
}

impl ModerationSettings {
    pub fn filter(&self, kind: FilterKind) -> FilterSettings {
        self.filters.get(&kind).cloned().unwrap_or_else(|| FilterSettings::default_for(kind))
    }

    pub fn filters(&self) -> impl Iterator<Item = FilterSettings> + '_ {
        FilterKind::ALL.iter().map(|kind| self.filter(*kind))
    }

    pub fn escalation(&self) -> &Escalation {
        &self.escalation
    }

    pub fn with_filter(mut self, filter: FilterSettings) -> Self {
        self.filters.insert(filter.kind(), filter);
        self
    }

    pub fn with_escalation(mut self, escalation: Escalation) -> Self {
        self.escalation = escalation;
        self
    }
}

/// Why a filter's settings were refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    #[error("{field} must be from {min} to {max}")]
    OutOfRange { field: &'static str, min: u32, max: u32 },
    #[error("{message}")]
    Invalid { code: &'static str, field: &'static str, message: String },
}

impl FilterError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        FilterError::Invalid { code: "invalid", field, message: message.into() }
    }

    fn too_many(field: &'static str, max: usize) -> Self {
        FilterError::Invalid { code: "too_many", field, message: format!("{field} holds at most {max} entries") }
    }

    pub fn code(&self) -> &'static str {
        match self {
            FilterError::OutOfRange { .. } => "out_of_range",
            FilterError::Invalid { code, .. } => code,
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            FilterError::OutOfRange { field, .. } | FilterError::Invalid { field, .. } => field,
        }
    }
}
