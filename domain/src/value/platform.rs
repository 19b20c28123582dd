#[cfg(test)]
use super::error::ValueError;

macro_rules! closed_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const ALLOWED: &'static str = concat!($($text, " "),+);

            pub fn parse(raw: &str) -> Result<Self, $crate::value::ValueError> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::value::ValueError::UnknownVariant { allowed: Self::ALLOWED.trim_end() }),
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

        /// Its text, as everywhere else (the API, Avro, the read models).
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        /// Its text; or, for events stored before the text was used here,
        /// the variant's name in lower case (`usercooldown`).
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::ALL
                    .iter()
                    .find(|v| v.as_str() == raw || v.as_str().replace('_', "") == raw)
                    .copied()
                    .ok_or_else(|| serde::de::Error::unknown_variant(&raw, &[$($text),+]))
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

closed_enum!(
    /// What a person may do on an org's dashboard: owners everything
    /// (roles included), moderators run the channels, viewers read.
    MemberRole {
        Owner => "owner",
        Moderator => "moderator",
        Viewer => "viewer",
    }
);

impl MemberRole {
    /// Whether this role may do what `least` may: owner ⊇ moderator ⊇ viewer.
    pub fn at_least(self, least: MemberRole) -> bool {
        let rank = |role| match role {
            MemberRole::Viewer => 0,
            MemberRole::Moderator => 1,
            MemberRole::Owner => 2,
        };
        rank(self) >= rank(least)
    }
}

impl ChatPlatform {
    /// The longest message the platform's chat takes, in characters.
    pub fn message_limit(self) -> usize {
        match self {
            ChatPlatform::Twitch => 500,
            ChatPlatform::Discord => 2_000,
            ChatPlatform::Slack => 4_000,
            ChatPlatform::Youtube => 200,
        }
    }

    /// `text` as the platform can post it: cut with an ellipsis when longer.
    pub fn fit_message(self, text: &str) -> String {
        let limit = self.message_limit();
        if text.chars().count() <= limit {
            return text.to_owned();
        }
        let mut cut: String = text.chars().take(limit - 1).collect();
        cut.push('…');
        cut
    }
}

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
        assert_eq!(ChatPlatform::Twitch.fit_message(&"a".repeat(500)).chars().count(), 500);
        let cut = ChatPlatform::Twitch.fit_message(&"é".repeat(501));
        assert_eq!((cut.chars().count(), cut.ends_with('…')), (500, true));
        assert_eq!(ChatPlatform::Discord.fit_message(&"b".repeat(2_001)).chars().count(), 2_000);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(*role));
        }
    }
}
