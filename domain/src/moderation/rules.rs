//! A channel's filters compiled, and the check a message meets: each
//! enabled filter that does not exempt the viewer, in `FilterKind` order,
//! the first violation winning. Pure and bounded: every step is linear in
//! the (at most 500-character) message or in the viewer's kept history.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::fold::{digest, fold, invisible, words};
use super::links::{allowed_by, hosts};
use super::settings::{Escalation, FilterKind, FilterRule, FilterSettings, ModerationSettings};
use super::terms::TermMatcher;
use crate::value::{Timestamp, UserLevel};

/// How many of a viewer's recent messages their stream keeps for the
/// flood and same-message filters.
pub const REMEMBERED_RECENT: usize = 100;

/// A message the viewer sent, as the filters remember it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentMessage {
    pub at: Timestamp,
    /// `fold::digest` of its text.
    pub digest: u64,
}

/// The message being decided.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub text: &'a str,
    pub level: UserLevel,
    /// Emotes the platform reported in the message (Twitch's `emotes` tag),
    /// besides the emoji in its text.
    pub emotes: u32,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub filter: FilterKind,
    /// What was found: the matched term, the percentage, the count.
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// Clean because the viewer's permit covers this link: the permit is used.
    Permitted {
        link: String,
    },
    Violation(Violation),
}

/// The channel's moderation settings and their compiled matchers. Two are
/// equal when their settings are.
#[derive(Debug, Clone, Default)]
pub struct ModerationRules {
    settings: Arc<ModerationSettings>,
    terms: Option<Arc<TermMatcher>>,
}

impl PartialEq for ModerationRules {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
    }
}

impl Eq for ModerationRules {}

impl ModerationRules {
    pub fn compile(settings: &ModerationSettings) -> Self {
        let terms = match &settings.filter(FilterKind::BannedTerms) {
            FilterSettings { enabled: true, rule: FilterRule::BannedTerms { terms, patterns }, .. } => {
                Some(Arc::new(TermMatcher::new(terms, patterns)))
            }
            _ => None,
        };
        Self { settings: Arc::new(settings.clone()), terms }
    }

    pub fn settings(&self) -> &ModerationSettings {
        &self.settings
    }

    pub fn escalation(&self) -> &Escalation {
        self.settings.escalation()
    }

    pub fn check(&self, m: &Incoming<'_>, recent: &VecDeque<RecentMessage>, permit: bool) -> Verdict {
        if m.level >= UserLevel::Moderator {
            return Verdict::Clean;
        }
        let folded = fold(m.text);
        let mut permitted = None;
        for filter in self.settings.filters() {
            if !filter.enabled || filter.exempts(m.level) {
                continue;
            }
            let found = match &filter.rule {
                FilterRule::BannedTerms { .. } => self.terms.as_ref().and_then(|t| t.find(&folded)),
                FilterRule::Links { allowed_domains } => {
                    let banned = hosts(&folded).into_iter().find(|h| !allowed_domains.iter().any(|d| allowed_by(h, d)));
                    match banned {
                        Some(link) if permit => {
                            permitted = Some(link);
                            None
                        }
                        Some(link) => Some(format!("link {link:?}")),
                        None => None,
                    }
                }
                FilterRule::Flood { max_messages, per_seconds } => {
                    let since = m.at.as_datetime() - time::Duration::seconds(i64::from(*per_seconds));
                    let window = recent.iter().filter(|r| r.at.as_datetime() > since && r.at <= m.at).count();
                    let count = window + 1;
                    (count > *max_messages as usize)
                        .then(|| format!("{count} messages in {per_seconds} s (most {max_messages})"))
                }
                FilterRule::Length { max_length } => {
                    let length = m.text.chars().count();
                    (length > *max_length as usize).then(|| format!("{length} characters (most {max_length})"))
                }
                FilterRule::Caps { min_length, max_percent } => caps(m.text, *min_length, *max_percent),
                FilterRule::Symbols { min_length, max_percent } => symbols(m.text, *min_length, *max_percent),
                FilterRule::Repetition { max_char_run, max_word_repeats, same_message_seconds } => {
                    repetition(&folded, *max_char_run, *max_word_repeats).or_else(|| {
                        same_again(m, recent, *same_message_seconds)
                            .then(|| format!("the same message again within {same_message_seconds} s"))
                    })
                }
                FilterRule::Emotes { max_emotes, max_mentions } => {
                    let emotes = m.text.chars().filter(|c| is_emoji(*c)).count() + m.emotes as usize;
                    let mentions = mentions(m.text);
                    if emotes > *max_emotes as usize {
                        Some(format!("{emotes} emotes (most {max_emotes})"))
                    } else if mentions > *max_mentions as usize {
                        Some(format!("{mentions} mentions (most {max_mentions})"))
                    } else {
                        None
                    }
                }
            };
            if let Some(evidence) = found {
                return Verdict::Violation(Violation { filter: filter.kind(), evidence });
            }
        }
        match permitted {
            Some(link) => Verdict::Permitted { link },
            None => Verdict::Clean,
        }
    }
}

fn percent(part: usize, whole: usize) -> usize {
    (part * 100).checked_div(whole).unwrap_or(0)
}

/// Checked from `min_length` letters: digits and spaces neither shout
/// nor count (`OK 12345678` is not shouting).
fn caps(text: &str, min_length: u32, max_percent: u32) -> Option<String> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters < min_length as usize {
        return None;
    }
    let capitals = text.chars().filter(|c| c.is_uppercase()).count();
    let share = percent(capitals, letters);
    (share > max_percent as usize).then(|| format!("{share}% capitals (most {max_percent}%)"))
}

fn symbols(text: &str, min_length: u32, max_percent: u32) -> Option<String> {
    let length = text.chars().count();
    if length < min_length as usize {
        return None;
    }
    let visible: Vec<char> = text.chars().filter(|c| !c.is_whitespace() && !invisible(*c)).collect();
    let symbols = visible.iter().filter(|c| !c.is_alphanumeric() && !is_emoji(**c)).count();
    let share = percent(symbols, visible.len());
    (share > max_percent as usize).then(|| format!("{share}% symbols (most {max_percent}%)"))
}

fn repetition(folded: &str, max_char_run: u32, max_word_repeats: u32) -> Option<String> {
    let (mut run, mut longest, mut previous, mut repeated) = (0usize, 0usize, None, ' ');
    for c in folded.chars().filter(|c| !c.is_whitespace()) {
        run = if previous == Some(c) { run + 1 } else { 1 };
        previous = Some(c);
        if run > longest {
            longest = run;
            repeated = c;
        }
    }
    if longest > max_char_run as usize {
        return Some(format!("{repeated:?} {longest} times in a row (most {max_char_run})"));
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for word in words(folded) {
        *counts.entry(word).or_default() += 1;
    }
    let (word, count) = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))?;
    (count > max_word_repeats as usize).then(|| format!("{word:?} {count} times (most {max_word_repeats})"))
}

fn same_again(m: &Incoming<'_>, recent: &VecDeque<RecentMessage>, seconds: u32) -> bool {
    if seconds == 0 {
        return false;
    }
    let since = m.at.as_datetime() - time::Duration::seconds(i64::from(seconds));
    let this = digest(m.text);
    recent.iter().any(|r| r.digest == this && r.at.as_datetime() > since && r.at <= m.at)
}

fn mentions(text: &str) -> usize {
    let mut count = 0;
    let mut previous = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '@'
            && !previous.is_alphanumeric()
            && chars.peek().is_some_and(|next| next.is_alphanumeric() || *next == '_')
        {
            count += 1;
        }
        previous = c;
    }
    count
}

/// Pictographic emoji: the blocks that hold them.
pub fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x3030 | 0x303D | 0x3297 | 0x3299)
}
