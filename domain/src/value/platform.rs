use serde::{Deserialize, Serialize};

use super::error::ValueError;

macro_rules! closed_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const ALLOWED: &'static str = concat!($($text, " "),+);

            pub fn parse(raw: &str) -> Result<Self, ValueError> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ValueError::UnknownVariant { allowed: Self::ALLOWED.trim_end() }),
                }
            }

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use closed_enum;

closed_enum!(
    /// Where a chat message came from.
    ChatPlatform {
        Twitch => "twitch",
        Discord => "discord",
        Slack => "slack",
        Youtube => "youtube",
    }
);

closed_enum!(
    /// The author's standing in the channel, as the platform reports it.
    Role {
        Viewer => "viewer",
        Subscriber => "subscriber",
        Vip => "vip",
        Moderator => "moderator",
        Broadcaster => "broadcaster",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_variants_list_what_is_allowed() {
        assert_eq!(ChatPlatform::parse("twitch"), Ok(ChatPlatform::Twitch));
        assert_eq!(
            ChatPlatform::parse("myspace"),
            Err(ValueError::UnknownVariant { allowed: "twitch discord slack youtube" })
        );
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(*role));
        }
    }
}
