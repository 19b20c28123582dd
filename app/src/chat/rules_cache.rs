//! Each channel's filters compiled once per settings version, not per
//! message: 200 banned terms and 20 patterns take ~15 ms to compile.
//! Concurrent messages of a channel whose version is not compiled yet wait
//! for one compile (not one each), which runs off the async workers.
//!
//! A new settings version that leaves the filters as they were (a command
//! added, a regular named) reuses the channel's last compiled filters: the
//! compiled patterns are shared, not compiled again. Before, every version
//! held its own copy, and a channel's 50 large patterns times the kept
//! versions could take gigabytes (issue 26, item 8).

use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::Cache;
use wavestack_domain::channel::ChannelState;
use wavestack_domain::moderation::{ModerationRules, ModerationSettings};
use wavestack_domain::value::ChannelStreamId;

/// Compiled rules kept in memory: (channel, settings version) pairs, the
/// least recently used evicted first. A channel's older versions age out.
const ENTRIES: usize = 2_000;

pub(crate) struct RulesCache {
    by_version: Cache<(String, u64), ModerationRules>,
    /// Each channel's last compiled filters (they hold their settings).
    latest: Cache<String, ModerationRules>,
    compiles: AtomicU64,
}

impl std::fmt::Debug for RulesCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulesCache").field("entries", &self.by_version.len()).finish()
    }
}

impl Default for RulesCache {
    fn default() -> Self {
        Self { by_version: Cache::new(ENTRIES), latest: Cache::new(ENTRIES), compiles: AtomicU64::new(0) }
    }
}

impl RulesCache {
    /// The channel's rules at the version of `settings` just read.
    pub(crate) async fn rules(&self, stream: &ChannelStreamId, settings: &ChannelState) -> ModerationRules {
        let key = (stream.as_str().to_owned(), settings.version());
        let guard = match self.by_version.get_value_or_guard_async(&key).await {
            Ok(rules) => return rules,
            Err(guard) => guard,
        };
        let moderation = settings.moderation();
        let rules = match self.latest.get(stream.as_str()) {
            // Clones of compiled patterns share their program.
            Some(last) if last.settings() == moderation => last,
            _ => {
                let rules = self.compile(moderation.clone()).await;
                self.latest.insert(stream.as_str().to_owned(), rules.clone());
                rules
            }
        };
        let _ = guard.insert(rules.clone());
        rules
    }

    async fn compile(&self, moderation: ModerationSettings) -> ModerationRules {
        self.compiles.fetch_add(1, Ordering::Relaxed);
        let fallback = moderation.clone();
        match tokio::task::spawn_blocking(move || ModerationRules::compile(&moderation)).await {
            Ok(rules) => rules,
            // The blocking pool is shutting down: compile here.
            Err(_) => ModerationRules::compile(&fallback),
        }
    }

    /// How many times filters were compiled.
    #[cfg(test)]
    fn compiles(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wavestack_domain::aggregate::Decider;
    use wavestack_domain::channel::ChannelEvent;
    use wavestack_domain::moderation::{FilterKind, FilterRule, FilterSettings};
    use wavestack_domain::value::{ChannelId, ChatPlatform, OrgId, PlatformUserId};

    fn banned(patterns: &[&str]) -> ChannelEvent {
        let mut filter = FilterSettings::default_for(FilterKind::BannedTerms);
        filter.enabled = true;
        filter.rule = FilterRule::BannedTerms {
            terms: vec!["spam".into()],
            patterns: patterns.iter().map(|p| (*p).to_owned()).collect(),
        };
        ChannelEvent::FilterConfigured(filter)
    }

    #[tokio::test]
    async fn versions_that_leave_the_filters_alone_share_one_compile() {
        let cache = RulesCache::default();
        let stream = ChannelStreamId::new(
            &OrgId::parse("acme").unwrap(),
            ChatPlatform::Twitch,
            &ChannelId::parse("shroud").unwrap(),
        );
        let mut settings = ChannelState::default();
        settings.evolve(&banned(&[r"fr[e3]{2}\s*v-?bucks"]));
        cache.rules(&stream, &settings).await;
        for n in 0..20 {
            settings.evolve(&ChannelEvent::RegularAdded { user_id: PlatformUserId::parse(format!("u{n}")).unwrap() });
            let rules = cache.rules(&stream, &settings).await;
            assert_eq!(
                rules.settings(),
                settings.moderation(),
                "the filters as set, at version {}",
                settings.version()
            );
        }
        assert_eq!(cache.compiles(), 1, "twenty versions, one compile");

        settings.evolve(&banned(&[r"fr[e3]{2}\s*v-?bucks", r"cheap\s+viewers"]));
        cache.rules(&stream, &settings).await;
        assert_eq!(cache.compiles(), 2, "a filter change compiles anew");
    }
}
