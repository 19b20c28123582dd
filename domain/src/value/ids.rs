use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{check_length, ValueError};
use super::newtype::string_newtype;

/// Identifiers that travel inside aggregate ids (joined with `/`) and Kafka
/// keys, so their alphabet is closed: ASCII letters, digits and `-_.:@`.
fn check_identifier(raw: &str, max: usize) -> Result<(), ValueError> {
    check_length(raw, 1, max)?;
    if raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@')) {
        Ok(())
    } else {
        Err(ValueError::InvalidCharacters)
    }
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, check = $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
                let raw = raw.into();
                ($check)(raw.as_str(), $max)?;
                Ok(Self(raw))
            }
        }

        string_newtype!($name);
    };
}

fn check_org(raw: &str, max: usize) -> Result<(), ValueError> {
    check_length(raw, 1, max)?;
    if raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_')) {
        Ok(())
    } else {
        Err(ValueError::InvalidCharacters)
    }
}

fn check_username(raw: &str, max: usize) -> Result<(), ValueError> {
    check_length(raw, 2, max)?;
    if raw.chars().count() < 2 {
        return Err(ValueError::Invalid("must be at least 2 characters"));
    }
    if raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')) {
        Ok(())
    } else {
        Err(ValueError::InvalidCharacters)
    }
}

fn check_label(raw: &str, max: usize) -> Result<(), ValueError> {
    check_length(raw, 1, max)?;
    if raw.trim().is_empty() {
        return Err(ValueError::Invalid("must not be blank"));
    }
    if raw.chars().any(char::is_control) {
        return Err(ValueError::InvalidCharacters);
    }
    Ok(())
}

fn check_idempotency_key(raw: &str, max: usize) -> Result<(), ValueError> {
    check_length(raw, 1, max)?;
    if raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(ValueError::InvalidCharacters)
    }
}

identifier!(
    /// A tenant: a streamer, a team or an agency. Lowercase slug.
    OrgId, max = 64, check = check_org
);
identifier!(
    /// A channel on a chat platform (Twitch login, Discord channel snowflake, …).
    ChannelId, max = 128, check = check_identifier
);
identifier!(
    /// The platform's own id for a chat user.
    PlatformUserId, max = 128, check = check_identifier
);
identifier!(
    /// The platform's own id for a chat message; used to drop redeliveries.
    MessageId, max = 128, check = check_identifier
);
identifier!(
    /// The platform's own id for something that happened in a channel (a
    /// follow, a cheer, a stream going online); used to drop redeliveries.
    PlatformEventId, max = 128, check = check_identifier
);
identifier!(
    /// Who issued a command: a service client, a user, a worker.
    ActorId, max = 128, check = check_identifier
);
identifier!(
    /// A person who logs in to an org's dashboard: 2 to 32 lowercase
    /// letters, digits and `-_.`.
    Username, max = 32, check = check_username
);
identifier!(
    /// What people call an overlay key ("OBS main scene"): 1 to 60
    /// characters, no control characters.
    OverlayLabel, max = 60, check = check_label
);
identifier!(
    /// A client-chosen key that makes a create request safe to retry.
    IdempotencyKey, max = 255, check = check_idempotency_key
);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn parse(raw: &str) -> Result<Self, ValueError> {
                Uuid::parse_str(raw)
                    .map(Self)
                    .map_err(|_| ValueError::Invalid("must be a UUID"))
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A clip, chosen by the command API when the clip is requested.
    ClipId
);
uuid_id!(
    /// A publication, derived from the org and idempotency key when one is given.
    PublicationId
);
uuid_id!(
    /// A giveaway, chosen when it opens.
    GiveawayId
);
uuid_id!(
    /// A poll, chosen when it opens.
    PollId
);
uuid_id!(
    /// An overlay key, chosen when it is issued; the key itself is secret.
    OverlayKeyId
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn org_is_a_lowercase_slug() {
        assert!(OrgId::parse("acme-tv_1").is_ok());
        assert_eq!(OrgId::parse("Acme"), Err(ValueError::InvalidCharacters));
        assert_eq!(OrgId::parse(""), Err(ValueError::Empty));
        assert_eq!(OrgId::parse("a".repeat(65)), Err(ValueError::TooLong { max: 64 }));
    }

    #[test]
    fn identifiers_refuse_the_aggregate_id_separator() {
        assert_eq!(ChannelId::parse("a/b"), Err(ValueError::InvalidCharacters));
        assert_eq!(MessageId::parse("a b"), Err(ValueError::InvalidCharacters));
        assert!(MessageId::parse("1700000000.123456").is_ok());
    }

    #[test]
    fn serde_goes_through_parse() {
        let bad: Result<ChannelId, _> = serde_json::from_str("\"no/slash\"");
        assert!(bad.is_err());
        let good: ChannelId = serde_json::from_str("\"shroud\"").unwrap();
        assert_eq!(good.as_str(), "shroud");
    }

    proptest! {
        #[test]
        fn identifier_parse_accepts_exactly_its_alphabet(raw in "\\PC{0,140}") {
            let ok = !raw.is_empty()
                && raw.chars().count() <= 128
                && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b));
            prop_assert_eq!(ChannelId::parse(raw.clone()).is_ok(), ok);
        }
    }
}
