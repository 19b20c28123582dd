//! Each channel's filters compiled once per settings version, not per
//! message: 200 banned terms make an automaton worth keeping.

use quick_cache::sync::Cache;
use wavestack_domain::channel::ChannelState;
use wavestack_domain::moderation::ModerationRules;
use wavestack_domain::value::ChannelStreamId;

/// Channels whose compiled filters stay in memory.
const CHANNELS: usize = 10_000;

pub struct RulesCache(Cache<String, (u64, ModerationRules)>);

impl Default for RulesCache {
    fn default() -> Self {
        Self(Cache::new(CHANNELS))
    }
}

impl RulesCache {
    /// The channel's rules at the version of `settings` just read.
    pub(crate) fn rules(&self, stream: &ChannelStreamId, settings: &ChannelState) -> ModerationRules {
        if let Some((version, rules)) = self.0.get(stream.as_str()) {
            if version == settings.version() {
                return rules;
            }
        }
        let rules = ModerationRules::compile(settings.moderation());
        self.0.insert(stream.as_str().to_owned(), (settings.version(), rules.clone()));
        rules
    }
}
