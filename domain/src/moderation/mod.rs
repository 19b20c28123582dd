//! Keeping chat clean: the filters a channel configures (kept in the
//! channel's settings), the check a message meets (run by the viewer's
//! stream, which holds the history flood and repetition need), and the
//! escalation ladder that turns strikes into deletes, timeouts and bans.

mod fold;
mod links;
mod rules;
mod settings;
mod terms;
#[cfg(test)]
mod tests;

pub use fold::{digest, fold};
pub use links::hosts;
pub use rules::{is_emoji, Incoming, ModerationRules, RecentMessage, Verdict, Violation, REMEMBERED_RECENT};
pub use settings::{
    ActionKind, Escalation, FilterError, FilterKind, FilterRule, FilterSettings, ModerationSettings, Penalty,
    MAX_ALLOWED_DOMAINS, MAX_FLOOD_MESSAGES, MAX_LADDER, MAX_PATTERNS, MAX_PATTERN_CHARS, MAX_SECONDS, MAX_TERMS,
    MAX_TERM_CHARS,
};
pub use terms::{compile_pattern, PATTERNS_SIZE_LIMIT, PATTERN_SIZE_LIMIT};

use crate::value::closed_enum;

closed_enum!(
    /// Why a message was moderated: a filter, or the viewer's standing.
    Cause {
        BannedTerms => "banned_terms",
        Links => "links",
        Flood => "flood",
        Length => "length",
        Caps => "caps",
        Symbols => "symbols",
        Repetition => "repetition",
        Emotes => "emotes",
        Banned => "banned",
        TimedOut => "timed_out",
    }
);

impl From<FilterKind> for Cause {
    fn from(kind: FilterKind) -> Self {
        match kind {
            FilterKind::BannedTerms => Cause::BannedTerms,
            FilterKind::Links => Cause::Links,
            FilterKind::Flood => Cause::Flood,
            FilterKind::Length => Cause::Length,
            FilterKind::Caps => Cause::Caps,
            FilterKind::Symbols => Cause::Symbols,
            FilterKind::Repetition => Cause::Repetition,
            FilterKind::Emotes => Cause::Emotes,
        }
    }
}

impl Cause {
    /// What the bot says with a first-strike delete.
    pub fn warning(self) -> &'static str {
        match self {
            Cause::BannedTerms => "that is not allowed here",
            Cause::Links => "no links without a moderator's !permit",
            Cause::Flood => "slow down",
            Cause::Length => "that message is too long",
            Cause::Caps => "please don't shout",
            Cause::Symbols => "too many symbols",
            Cause::Repetition => "please don't repeat yourself",
            Cause::Emotes => "too many emotes or mentions",
            Cause::Banned => "you are banned",
            Cause::TimedOut => "you are timed out",
        }
    }
}

closed_enum!(
    /// What a moderator does to a viewer, from chat or over HTTP.
    ModeratorAction {
        Timeout => "timeout",
        Ban => "ban",
        Unban => "unban",
        Pardon => "pardon",
        Permit => "permit",
    }
);

impl ModeratorAction {
    /// The platform action a gateway executes, if any (a pardon or a permit
    /// only changes WaveStack's own standing).
    pub fn platform_action(self) -> Option<ActionKind> {
        match self {
            ModeratorAction::Timeout => Some(ActionKind::Timeout),
            ModeratorAction::Ban => Some(ActionKind::Ban),
            ModeratorAction::Unban => Some(ActionKind::Unban),
            ModeratorAction::Pardon | ModeratorAction::Permit => None,
        }
    }
}

/// Default and longest `!permit` window.
pub const DEFAULT_PERMIT_SECONDS: u32 = 60;
pub const MAX_PERMIT_SECONDS: u32 = 3600;
/// Default `!timeout`.
pub const DEFAULT_TIMEOUT_SECONDS: u32 = 600;
