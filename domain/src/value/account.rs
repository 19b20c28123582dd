//! Who a person is on one platform, and where a chat happens: the units
//! identity linking and community features count with.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ChannelId, ChatPlatform, PlatformUserId, ValueError};

/// One platform account: `platform:user` (`twitch:ada`). A person links
/// at most one account per platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Account {
    pub platform: ChatPlatform,
    pub user_id: PlatformUserId,
}

impl Account {
    pub fn new(platform: ChatPlatform, user_id: PlatformUserId) -> Self {
        Self { platform, user_id }
    }

    /// `platform:user`; the user id may itself hold `:`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let Some((platform, user)) = raw.split_once(':') else {
            return Err(ValueError::Invalid("is not an account (platform:user)"));
        };
        Ok(Self::new(ChatPlatform::parse(platform)?, PlatformUserId::parse(user)?))
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.user_id)
    }
}

impl TryFrom<String> for Account {
    type Error = ValueError;
    fn try_from(raw: String) -> Result<Self, ValueError> {
        Self::parse(&raw)
    }
}

impl From<Account> for String {
    fn from(account: Account) -> String {
        account.to_string()
    }
}

/// A channel on a platform: `platform/channel`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelRef {
    pub platform: ChatPlatform,
    pub channel: ChannelId,
}

impl ChannelRef {
    pub fn new(platform: ChatPlatform, channel: ChannelId) -> Self {
        Self { platform, channel }
    }

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let Some((platform, channel)) = raw.split_once('/') else {
            return Err(ValueError::Invalid("is not a channel (platform/channel)"));
        };
        Ok(Self::new(ChatPlatform::parse(platform)?, ChannelId::parse(channel)?))
    }
}

impl fmt::Display for ChannelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.platform, self.channel)
    }
}

impl TryFrom<String> for ChannelRef {
    type Error = ValueError;
    fn try_from(raw: String) -> Result<Self, ValueError> {
        Self::parse(&raw)
    }
}

impl From<ChannelRef> for String {
    fn from(channel: ChannelRef) -> String {
        channel.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_channels_round_trip_through_their_text() {
        let ada = Account::parse("twitch:ada:1").unwrap();
        assert_eq!((ada.platform, ada.user_id.as_str()), (ChatPlatform::Twitch, "ada:1"));
        assert_eq!(ada.to_string(), "twitch:ada:1");
        assert!(Account::parse("ada").is_err());
        assert!(Account::parse("myspace:ada").is_err());
        let channel = ChannelRef::parse("discord/123").unwrap();
        assert_eq!(channel.to_string(), "discord/123");
        assert!(ChannelRef::parse("discord/1/2").is_err());
    }
}
