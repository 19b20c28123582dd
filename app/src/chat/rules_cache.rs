//! Each channel's filters compiled once per settings version, not per
//! message: 200 banned terms and 20 patterns take ~15 ms to compile.
//! Concurrent messages of a channel whose version is not compiled yet wait
//! for one compile (not one each), which runs off the async workers.

use quick_cache::sync::Cache;
use wavestack_domain::channel::ChannelState;
use wavestack_domain::moderation::ModerationRules;
use wavestack_domain::value::ChannelStreamId;

/// Compiled rules kept in memory: (channel, settings version) pairs, the
/// least recently used evicted first. A channel's older versions age out.
const ENTRIES: usize = 2_000;

pub(crate) struct RulesCache(Cache<(String, u64), ModerationRules>);

impl std::fmt::Debug for RulesCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulesCache").field("entries", &self.0.len()).finish()
    }
}

impl Default for RulesCache {
    fn default() -> Self {
        Self(Cache::new(ENTRIES))
    }
}

impl RulesCache {
    /// The channel's rules at the version of `settings` just read.
    pub(crate) async fn rules(&self, stream: &ChannelStreamId, settings: &ChannelState) -> ModerationRules {
        let key = (stream.as_str().to_owned(), settings.version());
        let guard = match self.0.get_value_or_guard_async(&key).await {
            Ok(rules) => return rules,
            Err(guard) => guard,
        };
        let moderation = settings.moderation().clone();
        let rules = match tokio::task::spawn_blocking(move || ModerationRules::compile(&moderation)).await {
            Ok(rules) => rules,
            // The blocking pool is shutting down: compile here.
            Err(_) => ModerationRules::compile(settings.moderation()),
        };
        let _ = guard.insert(rules.clone());
        rules
    }
}
