//! The states this process last wrote, so that the next command on a stream
//! decides without reading the stream back from Postgres.
//!
//! A cached state may be stale when another process wrote the stream since
//! (a second API instance, a `wavestack render` worker). The bus only trusts
//! it for commands that write: the write then names the sequence it expects
//! and Postgres refuses it if the stream moved on. A refusal or a no-op
//! decided on a cached state is decided again on a fresh one. A read
//! (`AggregateBus::load`) trusts it only when the store is written up to
//! the same sequence, and keeps what it read whole for the next read.

use std::time::Duration;

use quick_cache::sync::{Cache, EntryAction, EntryResult};
use quick_cache::Weighter;
use wavestack_domain::broadcast::BroadcastState;
use wavestack_domain::channel::ChannelState;
use wavestack_domain::chat::ChatState;
use wavestack_domain::chat_command::CommandUseState;
use wavestack_domain::clip::ClipState;
use wavestack_domain::delivery::DeliveryState;
use wavestack_domain::giveaway::GiveawayState;
use wavestack_domain::identity::IdentityState;
use wavestack_domain::poll::PollState;
use wavestack_domain::publication::PublicationState;
use wavestack_domain::team::TeamState;

/// What a state costs to keep, in rough units of one remembered id (about
/// 60 bytes with its allocation): the budget below holds about 30 MB.
pub trait Footprint {
    fn footprint(&self) -> u64 {
        1
    }
}

impl Footprint for ChatState {
    fn footprint(&self) -> u64 {
        1 + self.remembered_message_ids() as u64
    }
}

impl Footprint for ChannelState {
    fn footprint(&self) -> u64 {
        1 + self.commands().count() as u64
    }
}

impl Footprint for CommandUseState {
    fn footprint(&self) -> u64 {
        1 + self.remembered() as u64
    }
}

impl Footprint for GiveawayState {
    fn footprint(&self) -> u64 {
        1 + self.entries().len() as u64
    }
}

impl Footprint for PollState {
    fn footprint(&self) -> u64 {
        1 + self.counts().iter().sum::<u64>()
    }
}

impl Footprint for IdentityState {}

impl Footprint for BroadcastState {
    fn footprint(&self) -> u64 {
        1 + self.remembered() as u64
    }
}

impl Footprint for DeliveryState {
    fn footprint(&self) -> u64 {
        1 + self.unsettled().count() as u64
    }
}

impl Footprint for TeamState {
    fn footprint(&self) -> u64 {
        1 + (self.members().count() + self.overlay_keys().count()) as u64
    }
}
impl Footprint for ClipState {}
impl Footprint for PublicationState {}

/// A stream as the store holds it after this process's last write.
#[derive(Clone)]
pub(super) struct Loaded<A> {
    pub(super) state: A,
    pub(super) sequence: usize,
    /// The snapshot's own version (postgres-es' `current_snapshot`), if the
    /// stream has one.
    pub(super) snapshot: Option<usize>,
    /// Read from the store just now, not from the cache.
    pub(super) fresh: bool,
}

#[derive(Clone)]
struct ByFootprint;

impl<A: Footprint> Weighter<String, Loaded<A>> for ByFootprint {
    fn weight(&self, _stream: &String, loaded: &Loaded<A>) -> u64 {
        loaded.state.footprint()
    }
}

pub(super) struct StateCache<A: Footprint + Clone>(Cache<String, Loaded<A>, ByFootprint>);

impl<A: Footprint + Clone> StateCache<A> {
    const BUDGET: u64 = 500_000;
    const EXPECTED_STREAMS: usize = 50_000;

    pub(super) fn new() -> Self {
        Self(Cache::with_weighter(Self::EXPECTED_STREAMS, Self::BUDGET, ByFootprint))
    }

    /// Takes the stream's state out: the caller holds the stream's lock and
    /// puts back what it wrote, so nothing else could use it meanwhile.
    pub(super) fn take(&self, stream: &str) -> Option<Loaded<A>> {
        self.0.remove(stream).map(|(_, mut loaded)| {
            loaded.fresh = false;
            loaded
        })
    }

    pub(super) fn put(&self, stream: String, loaded: Loaded<A>) {
        self.0.insert(stream, loaded);
    }

    /// A copy of the stream's kept state, for a read that checks its
    /// sequence against the store's; left in place for the next write.
    pub(super) fn peek(&self, stream: &str) -> Option<Loaded<A>> {
        self.0.get(stream)
    }

    /// Keeps a state read whole from the store, unless the stream is kept
    /// at that sequence or a later one already (a write that finished while
    /// it was being read).
    pub(super) fn keep_read(&self, stream: &str, loaded: Loaded<A>) {
        let newer_kept = |_: &String, kept: &mut Loaded<A>| {
            if kept.sequence >= loaded.sequence {
                EntryAction::Retain(())
            } else {
                EntryAction::ReplaceWithGuard
            }
        };
        match self.0.entry(stream, Some(Duration::ZERO), newer_kept) {
            EntryResult::Replaced(guard, _) | EntryResult::Vacant(guard) => {
                let _ = guard.insert(loaded);
            }
            // Kept newer, or being put by another reader or writer now.
            EntryResult::Retained(()) | EntryResult::Removed(..) | EntryResult::Timeout => {}
        }
    }
}
