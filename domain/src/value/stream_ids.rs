//! Aggregate ids, built and parsed here and nowhere else. Every part is an
//! id whose alphabet excludes `/`, so the parts never run into each other,
//! and the org comes first: another tenant's id names a stream that does
//! not exist for you.

use std::fmt;
use std::ops::Deref;

use super::{
    Account, ChannelId, ChatPlatform, ClipId, GiveawayId, OrgId, PlatformUserId, PollId, PublicationId, ValueError,
};

/// A viewer's chat stream: `org/platform/channel/user`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatStreamId {
    id: String,
    org: OrgId,
    platform: ChatPlatform,
    channel: ChannelId,
    user: PlatformUserId,
}

impl ChatStreamId {
    pub fn new(org: &OrgId, platform: ChatPlatform, channel: &ChannelId, user: &PlatformUserId) -> Self {
        Self {
            id: format!("{org}/{platform}/{channel}/{user}"),
            org: org.clone(),
            platform,
            channel: channel.clone(),
            user: user.clone(),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let mut parts = raw.splitn(4, '/');
        let (Some(org), Some(platform), Some(channel), Some(user)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ValueError::Invalid("is not a chat stream id (org/platform/channel/user)"));
        };
        Ok(Self::new(
            &OrgId::parse(org)?,
            ChatPlatform::parse(platform)?,
            &ChannelId::parse(channel)?,
            &PlatformUserId::parse(user)?,
        ))
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    pub fn platform(&self) -> ChatPlatform {
        self.platform
    }

    pub fn channel(&self) -> &ChannelId {
        &self.channel
    }

    pub fn user(&self) -> &PlatformUserId {
        &self.user
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

/// A channel's broadcast (its stream going online and offline, and what
/// its audience gives): `org/platform/channel#broadcast`. Not the settings'
/// `org/platform/channel`: an aggregate id names one stream across the
/// whole log (consumers deduplicate on it and the sequence), and `#` is in
/// no id's alphabet, so no chat or command stream can be named so either.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BroadcastStreamId {
    id: String,
    org: OrgId,
    platform: ChatPlatform,
    channel: ChannelId,
}

impl BroadcastStreamId {
    const SUFFIX: &'static str = "#broadcast";

    pub fn new(org: &OrgId, platform: ChatPlatform, channel: &ChannelId) -> Self {
        Self {
            id: format!("{org}/{platform}/{channel}{}", Self::SUFFIX),
            org: org.clone(),
            platform,
            channel: channel.clone(),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let channel = raw
            .strip_suffix(Self::SUFFIX)
            .ok_or(ValueError::Invalid("is not a broadcast stream id (org/platform/channel#broadcast)"))?;
        Self::of_channel_stream(channel)
    }

    /// The broadcast of the channel whose settings stream is `raw`
    /// (`org/platform/channel`).
    pub fn of_channel_stream(raw: &str) -> Result<Self, ValueError> {
        let mut parts = raw.splitn(3, '/');
        let (Some(org), Some(platform), Some(channel)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ValueError::Invalid("is not a channel stream id (org/platform/channel)"));
        };
        Ok(Self::new(&OrgId::parse(org)?, ChatPlatform::parse(platform)?, &ChannelId::parse(channel)?))
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    pub fn platform(&self) -> ChatPlatform {
        self.platform
    }

    pub fn channel(&self) -> &ChannelId {
        &self.channel
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

/// What the gateways carried out in a channel (its deliveries):
/// `org/platform/channel#deliveries`, a stream of its own for the reason
/// the broadcast has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryStreamId {
    id: String,
}

impl DeliveryStreamId {
    pub fn new(org: &OrgId, platform: ChatPlatform, channel: &ChannelId) -> Self {
        Self { id: format!("{org}/{platform}/{channel}#deliveries") }
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

/// A channel's settings: `org/platform/channel`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelStreamId {
    id: String,
}

impl ChannelStreamId {
    pub fn new(org: &OrgId, platform: ChatPlatform, channel: &ChannelId) -> Self {
        Self { id: format!("{org}/{platform}/{channel}") }
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

/// One command's uses in a channel: `org/platform/channel/key`, the key
/// being a custom command's name or `builtin.<name>` (`Resolved::use_key`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandUseStreamId {
    id: String,
}

impl CommandUseStreamId {
    pub fn new(org: &OrgId, platform: ChatPlatform, channel: &ChannelId, key: &str) -> Self {
        Self { id: format!("{org}/{platform}/{channel}/{key}") }
    }

    /// Where a channel's use streams start: `org/platform/channel/`.
    pub fn channel_prefix(org: &OrgId, platform: ChatPlatform, channel: &ChannelId) -> String {
        format!("{org}/{platform}/{channel}/")
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

/// `org/<uuid>` streams: a clip's, a publication's.
macro_rules! scoped_stream_id {
    ($(#[$doc:meta])* $name:ident, $id:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            id: String,
            org: OrgId,
            inner: $id,
        }

        impl $name {
            pub fn new(org: &OrgId, inner: $id) -> Self {
                Self { id: format!("{org}/{inner}"), org: org.clone(), inner }
            }

            pub fn parse(raw: &str) -> Result<Self, ValueError> {
                let Some((org, inner)) = raw.split_once('/') else {
                    return Err(ValueError::Invalid(concat!("is not a ", stringify!($name), " (org/uuid)")));
                };
                Ok(Self::new(&OrgId::parse(org)?, $id::parse(inner)?))
            }

            pub fn org(&self) -> &OrgId {
                &self.org
            }

            pub fn id(&self) -> $id {
                self.inner
            }

            pub fn as_str(&self) -> &str {
                &self.id
            }
        }
    };
}

scoped_stream_id!(
    /// A clip's stream: `org/<clip id>`.
    ClipStreamId,
    ClipId
);
scoped_stream_id!(
    /// A publication's stream: `org/<publication id>`.
    PublicationStreamId,
    PublicationId
);
scoped_stream_id!(
    /// A giveaway's stream: `org/<giveaway id>`.
    GiveawayStreamId,
    GiveawayId
);
scoped_stream_id!(
    /// A poll's stream: `org/<poll id>`.
    PollStreamId,
    PollId
);

/// One account's identity stream: `org/platform:user`. It says which
/// person the account belongs to and, for the account a person is rooted
/// at, the person's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityStreamId {
    id: String,
    org: OrgId,
    account: Account,
}

impl IdentityStreamId {
    pub fn new(org: &OrgId, account: &Account) -> Self {
        Self { id: format!("{org}/{account}"), org: org.clone(), account: account.clone() }
    }

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let Some((org, account)) = raw.split_once('/') else {
            return Err(ValueError::Invalid("is not an identity stream id (org/platform:user)"));
        };
        Ok(Self::new(&OrgId::parse(org)?, &Account::parse(account)?))
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

macro_rules! as_text {
    ($($name:ident),*) => {$(
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.id
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.id
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.id
            }
        }
    )*};
}

as_text!(
    BroadcastStreamId,
    DeliveryStreamId,
    ChatStreamId,
    ClipStreamId,
    PublicationStreamId,
    ChannelStreamId,
    CommandUseStreamId,
    GiveawayStreamId,
    PollStreamId,
    IdentityStreamId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_stream_id_round_trips_and_refuses_what_is_not_one() {
        let id = ChatStreamId::new(
            &OrgId::parse("acme").unwrap(),
            ChatPlatform::Twitch,
            &ChannelId::parse("shroud").unwrap(),
            &PlatformUserId::parse("ada").unwrap(),
        );
        assert_eq!(id.as_str(), "acme/twitch/shroud/ada");
        assert_eq!(ChatStreamId::parse("acme/twitch/shroud/ada").unwrap(), id);
        assert!(ChatStreamId::parse("junk").is_err());
        assert!(ChatStreamId::parse("acme/myspace/shroud/ada").is_err());
        assert!(ChatStreamId::parse("acme/twitch/shroud/a/b").is_err(), "a user id has no `/`");
    }

    #[test]
    fn a_broadcast_stream_id_round_trips_and_refuses_what_is_not_one() {
        let id = BroadcastStreamId::new(
            &OrgId::parse("acme").unwrap(),
            ChatPlatform::Twitch,
            &ChannelId::parse("shroud").unwrap(),
        );
        assert_eq!(id.as_str(), "acme/twitch/shroud#broadcast");
        assert_eq!(BroadcastStreamId::parse("acme/twitch/shroud#broadcast").unwrap(), id);
        assert_eq!(BroadcastStreamId::of_channel_stream("acme/twitch/shroud").unwrap(), id);
        assert!(BroadcastStreamId::parse("acme/twitch/shroud").is_err(), "the settings' id is another stream's");
        assert!(BroadcastStreamId::parse("acme/twitch#broadcast").is_err());
        assert!(BroadcastStreamId::parse("acme/twitch/shroud/ada#broadcast").is_err(), "a channel has no `/`");
        assert!(ChatStreamId::parse("acme/twitch/shroud/x#broadcast").is_err(), "no viewer is named so");
    }

    #[test]
    fn clip_and_publication_stream_ids_round_trip() {
        let org = OrgId::parse("acme").unwrap();
        let clip = ClipId::new_random();
        let id = ClipStreamId::new(&org, clip);
        assert_eq!(id.as_str(), format!("acme/{clip}"));
        assert_eq!(ClipStreamId::parse(&id).unwrap().id(), clip);
        assert!(PublicationStreamId::parse("acme/not-a-uuid").is_err());
        assert!(PublicationStreamId::parse("no-slash").is_err());
    }
}
