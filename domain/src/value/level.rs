//! Who may do what in a channel: user levels, and the names of commands.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::ValueError;
use super::newtype::string_newtype;
use super::platform::{closed_enum, Role};

closed_enum!(
    /// A viewer's standing for commands, lowest first: everyone <
    /// subscriber < vip < regular < moderator < broadcaster. The order of
    /// the variants is the order of the levels (`Ord`).
    UserLevel {
        Everyone => "everyone",
        Subscriber => "subscriber",
        Vip => "vip",
        Regular => "regular",
        Moderator => "moderator",
        Broadcaster => "broadcaster",
    }
);

impl UserLevel {
    /// The level of a message's author: the platform's role, raised to
    /// `regular` when the channel lists them as one.
    pub fn of(role: Role, listed_regular: bool) -> Self {
        let from_role = match role {
            Role::Viewer => UserLevel::Everyone,
            Role::Subscriber => UserLevel::Subscriber,
            Role::Vip => UserLevel::Vip,
            Role::Moderator => UserLevel::Moderator,
            Role::Broadcaster => UserLevel::Broadcaster,
        };
        if listed_regular {
            from_role.max(UserLevel::Regular)
        } else {
            from_role
        }
    }

    /// Moderators and the broadcaster skip cooldowns, as on Nightbot.
    pub fn skips_cooldowns(self) -> bool {
        self >= UserLevel::Moderator
    }

    /// Nightbot's `-ul=` names as well as ours (`owner` is the broadcaster).
    pub fn parse_nightbot(raw: &str) -> Result<Self, ValueError> {
        match raw.to_ascii_lowercase().as_str() {
            "owner" => Ok(UserLevel::Broadcaster),
            "mod" => Ok(UserLevel::Moderator),
            "sub" => Ok(UserLevel::Subscriber),
            // Nightbot's documented names (docs.nightbot.tv, !commands):
            // owner, moderator, twitch_vip, regular, subscriber, everyone.
            "twitch_vip" => Ok(UserLevel::Vip),
            other => Self::parse(other),
        }
    }
}

/// A command's name: `!` and 1 to 32 ASCII letters, digits or `_`. Kept
/// lowercased without the `!`, which is how chat invokes it (`!Hello` and
/// `!hello` are one command).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommandName(String);

impl CommandName {
    pub const MAX_LEN: usize = 32;

    /// Takes `!name` or `name`.
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
        let raw = raw.into();
        let bare = raw.strip_prefix('!').unwrap_or(&raw);
        if bare.is_empty() {
            return Err(ValueError::Invalid("must be `!` followed by 1 to 32 letters, digits or `_`"));
        }
        if bare.chars().count() > Self::MAX_LEN {
            return Err(ValueError::TooLong { max: Self::MAX_LEN });
        }
        if !bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ValueError::Invalid("must be `!` followed by 1 to 32 letters, digits or `_`"));
        }
        Ok(Self(bare.to_ascii_lowercase()))
    }

    /// Without the `!`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CommandName {
    type Error = ValueError;
    fn try_from(raw: String) -> Result<Self, ValueError> {
        Self::parse(raw)
    }
}

impl From<CommandName> for String {
    fn from(value: CommandName) -> String {
        value.0
    }
}

/// `!name`, as chat shows it.
impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "!{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_regulars_are_raised() {
        assert!(UserLevel::Everyone < UserLevel::Subscriber);
        assert!(UserLevel::Vip < UserLevel::Regular && UserLevel::Regular < UserLevel::Moderator);
        assert_eq!(UserLevel::of(Role::Viewer, true), UserLevel::Regular);
        assert_eq!(UserLevel::of(Role::Moderator, true), UserLevel::Moderator);
        assert_eq!(UserLevel::of(Role::Subscriber, false), UserLevel::Subscriber);
        assert_eq!(UserLevel::parse_nightbot("owner"), Ok(UserLevel::Broadcaster));
        assert!(UserLevel::parse_nightbot("admin").is_err());
    }

    #[test]
    fn every_user_level_nightbots_docs_list_is_accepted() {
        let documented = [
            ("owner", UserLevel::Broadcaster),
            ("moderator", UserLevel::Moderator),
            ("twitch_vip", UserLevel::Vip),
            ("regular", UserLevel::Regular),
            ("subscriber", UserLevel::Subscriber),
            ("everyone", UserLevel::Everyone),
        ];
        for (name, level) in documented {
            assert_eq!(UserLevel::parse_nightbot(name), Ok(level), "-ul={name}");
            assert_eq!(UserLevel::parse_nightbot(&name.to_uppercase()), Ok(level), "-ul={name}, any case");
        }
    }

    #[test]
    fn names_are_bang_and_word_characters() {
        assert_eq!(CommandName::parse("!Hello").unwrap().as_str(), "hello");
        assert_eq!(CommandName::parse("hello_2").unwrap().to_string(), "!hello_2");
        for bad in ["!", "", "!a-b", "!é", "!!a", "!a b"] {
            assert!(CommandName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(CommandName::parse(format!("!{}", "a".repeat(33))), Err(ValueError::TooLong { max: 32 }));
    }
}

closed_enum!(
    /// The commands every channel has without defining them. Each can be
    /// renamed or disabled per channel; the variant keeps its meaning.
    Builtin {
        Points => "points",
        Give => "give",
        Daily => "daily",
        Leaderboard => "leaderboard",
        Commands => "commands",
        Clip => "clip",
        Permit => "permit",
        Timeout => "timeout",
        Ban => "ban",
        Unban => "unban",
        Pardon => "pardon",
        Join => "join",
        Giveaway => "giveaway",
        Poll => "poll",
        Vote => "vote",
        Link => "link",
        Verify => "verify",
        Unlink => "unlink",
    }
);

impl Builtin {
    /// The name it answers to until a channel renames it.
    pub fn default_name(self) -> CommandName {
        CommandName(self.as_str().to_owned())
    }

    /// Built-ins of the community features, newer than some channels'
    /// custom commands: a custom command of the same name keeps answering.
    pub fn is_newer(self) -> bool {
        matches!(
            self,
            Builtin::Join
                | Builtin::Giveaway
                | Builtin::Poll
                | Builtin::Vote
                | Builtin::Link
                | Builtin::Verify
                | Builtin::Unlink
        )
    }

    /// Who may use it: everyone, but moderators' own actions (a viewer's
    /// `!commands` does not list those).
    pub fn min_level(self) -> UserLevel {
        match self {
            Builtin::Permit
            | Builtin::Timeout
            | Builtin::Ban
            | Builtin::Unban
            | Builtin::Pardon
            | Builtin::Giveaway
            | Builtin::Poll => UserLevel::Moderator,
            _ => UserLevel::Everyone,
        }
    }
}

/// What starts a command in chat: `!` unless the channel chose another
/// (1 to 3 characters, none a letter, digit or space).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommandPrefix(String);

impl CommandPrefix {
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
        let raw = raw.into();
        let count = raw.chars().count();
        if count == 0 {
            return Err(ValueError::Empty);
        }
        if count > 3 {
            return Err(ValueError::TooLong { max: 3 });
        }
        if raw.chars().any(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_control()) {
            return Err(ValueError::Invalid("must be 1 to 3 symbols, no letters, digits or spaces"));
        }
        Ok(Self(raw))
    }
}

impl Default for CommandPrefix {
    fn default() -> Self {
        Self("!".to_owned())
    }
}

string_newtype!(CommandPrefix);

/// How a channel's viewers earn points. Integers throughout: points are
/// never fractional, and the subscriber bonus is a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsPolicy {
    pub points_per_message: u64,
    /// Minimum platform time between two message awards to one viewer.
    pub cooldown_seconds: u32,
    /// What `!daily` gives, once per UTC day; 0 turns it off.
    pub daily_bonus: u64,
    /// Subscribers earn this percentage of a message award (100: the same).
    pub subscriber_percent: u32,
}

impl PointsPolicy {
    pub const MAX_POINTS: u64 = 1_000_000;
    pub const MAX_COOLDOWN_SECONDS: u32 = 86_400;
    pub const MAX_SUBSCRIBER_PERCENT: u32 = 1_000;

    /// The policy's first out-of-range field, if any.
    pub fn out_of_range(&self) -> Option<(&'static str, ValueError)> {
        let max_points = ValueError::OutOfRange { min: 0, max: Self::MAX_POINTS as i64 };
        if self.points_per_message > Self::MAX_POINTS {
            return Some(("points_per_message", max_points));
        }
        if self.daily_bonus > Self::MAX_POINTS {
            return Some(("daily_bonus", max_points));
        }
        if self.cooldown_seconds > Self::MAX_COOLDOWN_SECONDS {
            return Some((
                "cooldown_seconds",
                ValueError::OutOfRange { min: 0, max: i64::from(Self::MAX_COOLDOWN_SECONDS) },
            ));
        }
        if self.subscriber_percent > Self::MAX_SUBSCRIBER_PERCENT {
            return Some((
                "subscriber_percent",
                ValueError::OutOfRange { min: 0, max: i64::from(Self::MAX_SUBSCRIBER_PERCENT) },
            ));
        }
        None
    }

    /// A message award for an author of this role.
    pub fn award_for(&self, role: Role) -> u64 {
        if role == Role::Subscriber {
            self.points_per_message.saturating_mul(u64::from(self.subscriber_percent)) / 100
        } else {
            self.points_per_message
        }
    }
}

impl Default for PointsPolicy {
    fn default() -> Self {
        Self { points_per_message: 1, cooldown_seconds: 60, daily_bonus: 50, subscriber_percent: 100 }
    }
}
