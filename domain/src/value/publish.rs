use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::error::{check_length, ValueError};
use super::ids::ClipId;
use super::newtype::string_newtype;
use super::platform::closed_enum;

closed_enum!(
    /// A platform a publication can go out to.
    TargetPlatform {
        Youtube => "youtube",
        Tiktok => "tiktok",
        X => "x",
        Instagram => "instagram",
        Facebook => "facebook",
        Linkedin => "linkedin",
        Discord => "discord",
        Webhook => "webhook",
    }
);

/// A non-empty set of target platforms; duplicates in the input collapse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<TargetPlatform>", into = "Vec<TargetPlatform>")]
pub struct Targets(BTreeSet<TargetPlatform>);

impl Targets {
    pub fn parse(targets: impl IntoIterator<Item = TargetPlatform>) -> Result<Self, ValueError> {
        let set: BTreeSet<_> = targets.into_iter().collect();
        if set.is_empty() {
            return Err(ValueError::Empty);
        }
        Ok(Self(set))
    }

    pub fn iter(&self) -> impl Iterator<Item = TargetPlatform> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, target: TargetPlatform) -> bool {
        self.0.contains(&target)
    }
}

impl TryFrom<Vec<TargetPlatform>> for Targets {
    type Error = ValueError;
    fn try_from(raw: Vec<TargetPlatform>) -> Result<Self, ValueError> {
        Self::parse(raw)
    }
}

impl From<Targets> for Vec<TargetPlatform> {
    fn from(value: Targets) -> Self {
        value.0.into_iter().collect()
    }
}

/// One hashtag, stored without its leading `#`: letters, digits and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hashtag(String);

impl Hashtag {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: impl AsRef<str>) -> Result<Self, ValueError> {
        let raw = raw.as_ref();
        let tag = raw.strip_prefix('#').unwrap_or(raw);
        check_length(tag, 1, Self::MAX_LEN)?;
        if tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
            Ok(Self(tag.to_owned()))
        } else {
            Err(ValueError::InvalidCharacters)
        }
    }
}

/// At most 30 hashtags (Instagram's limit, the strictest of the targets).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<Hashtag>", into = "Vec<Hashtag>")]
pub struct Hashtags(Vec<Hashtag>);

impl Hashtags {
    pub const MAX_COUNT: usize = 30;

    pub fn parse(tags: Vec<Hashtag>) -> Result<Self, ValueError> {
        if tags.len() > Self::MAX_COUNT {
            return Err(ValueError::OutOfRange { min: 0, max: Self::MAX_COUNT as i64 });
        }
        Ok(Self(tags))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Hashtag> {
        self.0.iter()
    }
}

impl TryFrom<Vec<Hashtag>> for Hashtags {
    type Error = ValueError;
    fn try_from(raw: Vec<Hashtag>) -> Result<Self, ValueError> {
        Self::parse(raw)
    }
}

impl From<Hashtags> for Vec<Hashtag> {
    fn from(value: Hashtags) -> Self {
        value.0
    }
}

/// What a publication publishes: a clip WaveStack renders, or an asset
/// already hosted elsewhere (an http(s) URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Asset {
    Clip(ClipId),
    Url(AssetUrl),
}

/// An http(s) URL of an asset hosted elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetUrl(String);

impl AssetUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
        let raw = raw.into();
        check_length(&raw, 1, Self::MAX_LEN)?;
        let lower = raw.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or(ValueError::Invalid("must be an http(s) URL"))?;
        if rest.is_empty() || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ValueError::Invalid("must be an http(s) URL"));
        }
        Ok(Self(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_a_non_empty_set() {
        assert_eq!(Targets::parse([]), Err(ValueError::Empty));
        let t = Targets::parse([TargetPlatform::X, TargetPlatform::X, TargetPlatform::Discord]).unwrap();
        assert_eq!(t.iter().count(), 2);
    }

    #[test]
    fn hashtags_drop_the_hash_and_refuse_spaces() {
        assert_eq!(Hashtag::parse("#clutch").unwrap().as_str(), "clutch");
        assert_eq!(Hashtag::parse("#ça_va").unwrap().as_str(), "ça_va");
        assert_eq!(Hashtag::parse("two words"), Err(ValueError::InvalidCharacters));
        assert_eq!(Hashtag::parse("#"), Err(ValueError::Empty));
        let many = vec![Hashtag::parse("a").unwrap(); 31];
        assert!(Hashtags::parse(many).is_err());
    }

    #[test]
    fn asset_urls_are_http_only() {
        assert!(AssetUrl::parse("https://cdn.example.com/a.mp4").is_ok());
        assert!(AssetUrl::parse("file:///etc/passwd").is_err());
        assert!(AssetUrl::parse("https://").is_err());
    }
}

string_newtype!(Hashtag);

string_newtype!(AssetUrl);
