//! Where each org publishes: its own webhook, Discord channel and YouTube
//! channel, configured by the operator in `[[destinations]]` tables of the
//! config file. Nothing here reaches an event, a read model, a log line or
//! an error text: the log says only "acme publishes to webhook".

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;

use serde::Deserialize;
use thiserror::Error;
use wavestack_domain::value::{OrgId, TargetPlatform};

/// Platforms WaveStack has an adapter for.
pub const SUPPORTED: [TargetPlatform; 3] = [TargetPlatform::Webhook, TargetPlatform::Discord, TargetPlatform::Youtube];

/// One `[[destinations]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationConfig {
    pub org: OrgId,
    pub platform: TargetPlatform,
    /// `webhook`: the receiver's URL; `discord`: the channel webhook URL
    /// (`https://discord.com/api/webhooks/<id>/<token>`).
    #[serde(default)]
    pub url: Option<reqwest::Url>,
    /// `webhook`: the HMAC-SHA256 key of the signature.
    #[serde(default)]
    pub secret: Option<String>,
    /// `youtube`: the OAuth 2.0 access token (scope `youtube.upload`).
    #[serde(default)]
    pub access_token: Option<String>,
    /// `youtube`: the Data API base; default the deployment's
    /// (`--youtube-api-url`).
    #[serde(default)]
    pub api_url: Option<reqwest::Url>,
    /// Most publishes per minute to this destination; default the
    /// platform's (webhook 60, discord 30, youtube 1).
    #[serde(default)]
    pub per_minute: Option<NonZeroU32>,
}

/// Secrets stay out of `{:?}`, which logs and panics print.
impl std::fmt::Debug for DestinationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DestinationConfig")
            .field("org", &self.org)
            .field("platform", &self.platform)
            .field("url", &self.url.as_ref().map(|u| u.host_str().unwrap_or("").to_owned()))
            .finish_non_exhaustive()
    }
}

impl DestinationConfig {
    /// What this destination must never show anywhere it can be read back.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        if let Some(url) = &self.url {
            secrets.push(url.as_str().to_owned());
            // The path holds the credential of a Discord webhook (and of
            // many a receiver); each longer segment on its own, too, in
            // case a text quotes it without the host.
            secrets.extend(url.path_segments().into_iter().flatten().filter(|s| s.len() >= 16).map(str::to_owned));
            if let Some(query) = url.query().filter(|q| !q.is_empty()) {
                secrets.push(query.to_owned());
            }
        }
        secrets.extend(self.secret.iter().chain(self.access_token.iter()).filter(|s| !s.is_empty()).cloned());
        secrets
    }

    pub fn per_minute(&self) -> NonZeroU32 {
        let default = match self.platform {
            TargetPlatform::Webhook => 60,
            TargetPlatform::Discord => 30,
            _ => 1,
        };
        self.per_minute.unwrap_or(NonZeroU32::new(default).expect("non-zero"))
    }
}

/// Which org may publish where: what the command API checks a publication
/// against before accepting it.
#[derive(Debug, Clone, Default)]
pub struct ConfiguredTargets {
    by_org: HashMap<OrgId, HashSet<TargetPlatform>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TargetRefused {
    #[error("publishing to {0} is not supported (no adapter)")]
    Unsupported(TargetPlatform),
    #[error("this org has no {0} destination configured")]
    NotConfigured(TargetPlatform),
}

impl TargetRefused {
    pub fn code(&self) -> &'static str {
        match self {
            TargetRefused::Unsupported(_) => "target_unsupported",
            TargetRefused::NotConfigured(_) => "target_not_configured",
        }
    }
}

impl ConfiguredTargets {
    pub fn new(destinations: &[DestinationConfig]) -> Self {
        let mut by_org: HashMap<OrgId, HashSet<TargetPlatform>> = HashMap::new();
        for destination in destinations {
            by_org.entry(destination.org.clone()).or_default().insert(destination.platform);
        }
        Self { by_org }
    }

    pub fn check(&self, org: &OrgId, platform: TargetPlatform) -> Result<(), TargetRefused> {
        if !SUPPORTED.contains(&platform) {
            return Err(TargetRefused::Unsupported(platform));
        }
        match self.by_org.get(org) {
            Some(platforms) if platforms.contains(&platform) => Ok(()),
            _ => Err(TargetRefused::NotConfigured(platform)),
        }
    }
}

/// Checks the entries before anything starts: each names a supported
/// platform with what it needs, and no org names a platform twice.
pub fn validate(destinations: &[DestinationConfig]) -> anyhow::Result<()> {
    let mut seen = HashSet::new();
    for d in destinations {
        let name = format!("the {} destination of org `{}`", d.platform, d.org);
        anyhow::ensure!(seen.insert((d.org.clone(), d.platform)), "{name} is configured twice");
        match d.platform {
            TargetPlatform::Webhook => {
                anyhow::ensure!(d.url.is_some(), "{name} needs `url`");
                anyhow::ensure!(d.secret.as_deref().is_some_and(|s| !s.is_empty()), "{name} needs `secret`");
            }
            TargetPlatform::Discord => anyhow::ensure!(d.url.is_some(), "{name} needs `url`"),
            TargetPlatform::Youtube => {
                anyhow::ensure!(d.access_token.as_deref().is_some_and(|s| !s.is_empty()), "{name} needs `access_token`")
            }
            other => anyhow::bail!("{name}: publishing to {other} is not supported (no adapter)"),
        }
    }
    Ok(())
}

/// Replaces every secret in `text` with `[redacted]`: the last fence
/// before an error text is stored in an event.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    // Longest first, so that a URL goes before the token inside it.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_owned();
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "[redacted]");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discord(org: &str) -> DestinationConfig {
        DestinationConfig {
            org: OrgId::parse(org).unwrap(),
            platform: TargetPlatform::Discord,
            url: Some("https://discord.com/api/webhooks/1234567890/sEcReT-ToKeN-0123456789abcdef".parse().unwrap()),
            secret: None,
            access_token: None,
            api_url: None,
            per_minute: None,
        }
    }

    #[test]
    fn only_configured_supported_targets_pass() {
        let targets = ConfiguredTargets::new(&[discord("acme")]);
        let (acme, other) = (OrgId::parse("acme").unwrap(), OrgId::parse("other").unwrap());
        assert_eq!(targets.check(&acme, TargetPlatform::Discord), Ok(()));
        assert_eq!(
            targets.check(&other, TargetPlatform::Discord),
            Err(TargetRefused::NotConfigured(TargetPlatform::Discord))
        );
        assert_eq!(
            targets.check(&acme, TargetPlatform::Webhook),
            Err(TargetRefused::NotConfigured(TargetPlatform::Webhook))
        );
        assert_eq!(
            targets.check(&acme, TargetPlatform::Tiktok),
            Err(TargetRefused::Unsupported(TargetPlatform::Tiktok))
        );
    }

    #[test]
    fn the_webhook_token_is_redacted_wherever_it_is_quoted() {
        let destination = discord("acme");
        let secrets = destination.secrets();
        let url = destination.url.as_ref().unwrap().as_str();
        let text =
            format!("error sending request for url ({url}): connection refused; token sEcReT-ToKeN-0123456789abcdef");
        let redacted = redact(&text, &secrets);
        assert!(!redacted.contains("sEcReT"), "{redacted}");
        assert!(redacted.contains("connection refused"));
        assert!(!format!("{destination:?}").contains("sEcReT"));
    }

    #[test]
    fn incomplete_or_duplicate_entries_are_refused_at_start() {
        assert!(validate(&[discord("acme")]).is_ok());
        assert!(validate(&[discord("acme"), discord("acme")]).is_err());
        let webhook = DestinationConfig { platform: TargetPlatform::Webhook, ..discord("acme") };
        assert!(format!("{:#}", validate(&[webhook]).unwrap_err()).contains("needs `secret`"));
        let tiktok = DestinationConfig { platform: TargetPlatform::Tiktok, ..discord("acme") };
        assert!(validate(&[tiktok]).is_err());
    }
}
