//! Every schema version ever published, with its stable id. Append only:
//! a new version gets a new entry and the next free id; nothing is edited
//! or removed, because records on the log name these ids forever.

use std::collections::HashMap;
use std::fmt;

/// The aggregates that have a topic on the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AggregateKind {
    Chat,
    Clip,
    Publication,
    Channel,
    CommandUse,
    Giveaway,
    Poll,
    Identity,
    Team,
    Broadcast,
    Delivery,
}

impl AggregateKind {
    pub const ALL: [AggregateKind; 11] = [
        AggregateKind::Chat,
        AggregateKind::Clip,
        AggregateKind::Publication,
        AggregateKind::Channel,
        AggregateKind::CommandUse,
        AggregateKind::Giveaway,
        AggregateKind::Poll,
        AggregateKind::Identity,
        AggregateKind::Team,
        AggregateKind::Broadcast,
        AggregateKind::Delivery,
    ];

    /// The cqrs-es aggregate type, as stored in the `events` table.
    pub fn aggregate_type(self) -> &'static str {
        match self {
            AggregateKind::Chat => "chat",
            AggregateKind::Clip => "clip",
            AggregateKind::Publication => "publication",
            AggregateKind::Channel => "channel",
            AggregateKind::CommandUse => "command_use",
            AggregateKind::Giveaway => "giveaway",
            AggregateKind::Poll => "poll",
            AggregateKind::Identity => "identity",
            AggregateKind::Team => "team",
            AggregateKind::Broadcast => "broadcast",
            AggregateKind::Delivery => "delivery",
        }
    }

    pub fn from_aggregate_type(aggregate_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.aggregate_type() == aggregate_type)
    }

    /// `wavestack.<aggregate>.events.v1`, keyed by aggregate id.
    pub fn topic(self) -> String {
        format!("wavestack.{}.events.v1", self.aggregate_type())
    }

    /// Confluent TopicNameStrategy.
    pub fn subject(self) -> String {
        format!("{}-value", self.topic())
    }
}

impl fmt::Display for AggregateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.aggregate_type())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SchemaEntry {
    /// Stable id written in the Confluent frame of every record.
    pub id: u32,
    pub aggregate: AggregateKind,
    /// 1, 2, … per subject.
    pub version: u32,
    pub text: &'static str,
}

pub static CATALOG: &[SchemaEntry] = &[
    SchemaEntry { id: 1, aggregate: AggregateKind::Chat, version: 1, text: include_str!("../avro/chat/v1.avsc") },
    SchemaEntry { id: 2, aggregate: AggregateKind::Clip, version: 1, text: include_str!("../avro/clip/v1.avsc") },
    SchemaEntry {
        id: 3,
        aggregate: AggregateKind::Publication,
        version: 1,
        text: include_str!("../avro/publication/v1.avsc"),
    },
    // v2: ClipDeleted (retention).
    SchemaEntry { id: 4, aggregate: AggregateKind::Clip, version: 2, text: include_str!("../avro/clip/v2.avsc") },
    // v2: the points economy (spend, give, receive, refund, daily).
    SchemaEntry { id: 5, aggregate: AggregateKind::Chat, version: 2, text: include_str!("../avro/chat/v2.avsc") },
    SchemaEntry { id: 6, aggregate: AggregateKind::Channel, version: 1, text: include_str!("../avro/channel/v1.avsc") },
    SchemaEntry {
        id: 7,
        aggregate: AggregateKind::CommandUse,
        version: 1,
        text: include_str!("../avro/command_use/v1.avsc"),
    },
    // v2: moderation filters and the strike ladder; the moderators' built-ins.
    SchemaEntry { id: 8, aggregate: AggregateKind::Channel, version: 2, text: include_str!("../avro/channel/v2.avsc") },
    // v3: moderation decisions, moderators' actions, permits.
    SchemaEntry { id: 9, aggregate: AggregateKind::Chat, version: 3, text: include_str!("../avro/chat/v3.avsc") },
    // v4: giveaway entry prices and their refunds.
    SchemaEntry { id: 10, aggregate: AggregateKind::Chat, version: 4, text: include_str!("../avro/chat/v4.avsc") },
    // v3: the running giveaway and poll; the community built-ins.
    SchemaEntry {
        id: 11,
        aggregate: AggregateKind::Channel,
        version: 3,
        text: include_str!("../avro/channel/v3.avsc"),
    },
    SchemaEntry {
        id: 12,
        aggregate: AggregateKind::Giveaway,
        version: 1,
        text: include_str!("../avro/giveaway/v1.avsc"),
    },
    SchemaEntry { id: 13, aggregate: AggregateKind::Poll, version: 1, text: include_str!("../avro/poll/v1.avsc") },
    SchemaEntry {
        id: 14,
        aggregate: AggregateKind::Identity,
        version: 1,
        text: include_str!("../avro/identity/v1.avsc"),
    },
    // The dashboard's people and their roles.
    SchemaEntry { id: 15, aggregate: AggregateKind::Team, version: 1, text: include_str!("../avro/team/v1.avsc") },
    // v2: each draw commits to the next round's seed, so a redraw reveals
    // fresh randomness rather than reusing a seed already public.
    SchemaEntry {
        id: 16,
        aggregate: AggregateKind::Giveaway,
        version: 2,
        text: include_str!("../avro/giveaway/v2.avsc"),
    },
    // v4: a channel's connection on its platform (the gateways).
    SchemaEntry {
        id: 17,
        aggregate: AggregateKind::Channel,
        version: 4,
        text: include_str!("../avro/channel/v4.avsc"),
    },
    // v5: the support policy's payouts.
    SchemaEntry { id: 18, aggregate: AggregateKind::Chat, version: 5, text: include_str!("../avro/chat/v5.avsc") },
    // v5: the support policy and the alerts overlay's templates.
    SchemaEntry {
        id: 19,
        aggregate: AggregateKind::Channel,
        version: 5,
        text: include_str!("../avro/channel/v5.avsc"),
    },
    // A channel's broadcast: online, offline and what its audience gives.
    SchemaEntry {
        id: 20,
        aggregate: AggregateKind::Broadcast,
        version: 1,
        text: include_str!("../avro/broadcast/v1.avsc"),
    },
    // v2: Sign in with Twitch (the accounts members sign in with).
    SchemaEntry { id: 21, aggregate: AggregateKind::Team, version: 2, text: include_str!("../avro/team/v2.avsc") },
    // What the gateways carried out on the platforms, and how it ended.
    SchemaEntry {
        id: 22,
        aggregate: AggregateKind::Delivery,
        version: 1,
        text: include_str!("../avro/delivery/v1.avsc"),
    },
];

impl SchemaEntry {
    pub fn subject(&self) -> String {
        self.aggregate.subject()
    }

    /// The newest version of an aggregate's schema: what the relay writes with
    /// and what consumers resolve older records to.
    pub fn latest(aggregate: AggregateKind) -> &'static SchemaEntry {
        CATALOG
            .iter()
            .filter(|e| e.aggregate == aggregate)
            .max_by_key(|e| e.version)
            .expect("every aggregate has a schema")
    }

    pub fn versions(aggregate: AggregateKind) -> Vec<&'static SchemaEntry> {
        let mut versions: Vec<_> = CATALOG.iter().filter(|e| e.aggregate == aggregate).collect();
        versions.sort_by_key(|e| e.version);
        versions
    }
}

/// The schema id written on the wire for each catalog entry: the catalog's
/// own ids, or those an external schema registry assigned on registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIds(HashMap<u32, u32>);

impl SchemaIds {
    pub fn catalog() -> Self {
        Self(CATALOG.iter().map(|e| (e.id, e.id)).collect())
    }

    /// Ids from a registry: `assigned(catalog id) = registry id`.
    pub fn assigned(ids: HashMap<u32, u32>) -> Self {
        Self(ids)
    }

    pub fn id_of(&self, entry: &SchemaEntry) -> u32 {
        self.0.get(&entry.id).copied().unwrap_or(entry.id)
    }
}

impl Default for SchemaIds {
    fn default() -> Self {
        Self::catalog()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::Aggregate;
    use wavestack_domain::broadcast::BroadcastState;
    use wavestack_domain::{
        channel::ChannelState, chat::ChatState, chat_command::CommandUseState, clip::ClipState,
        delivery::DeliveryState, giveaway::GiveawayState, identity::IdentityState, poll::PollState,
        publication::PublicationState, team::TeamState,
    };

    #[test]
    fn kinds_name_the_aggregate_types_the_event_store_writes() {
        assert_eq!(AggregateKind::Chat.aggregate_type(), ChatState::TYPE);
        assert_eq!(AggregateKind::Clip.aggregate_type(), ClipState::TYPE);
        assert_eq!(AggregateKind::Publication.aggregate_type(), PublicationState::TYPE);
        assert_eq!(AggregateKind::Channel.aggregate_type(), ChannelState::TYPE);
        assert_eq!(AggregateKind::CommandUse.aggregate_type(), CommandUseState::TYPE);
        assert_eq!(AggregateKind::Giveaway.aggregate_type(), GiveawayState::TYPE);
        assert_eq!(AggregateKind::Poll.aggregate_type(), PollState::TYPE);
        assert_eq!(AggregateKind::Identity.aggregate_type(), IdentityState::TYPE);
        assert_eq!(AggregateKind::Team.aggregate_type(), TeamState::TYPE);
        assert_eq!(AggregateKind::Broadcast.aggregate_type(), BroadcastState::TYPE);
        assert_eq!(AggregateKind::Delivery.aggregate_type(), DeliveryState::TYPE);
        assert_eq!(AggregateKind::Chat.subject(), "wavestack.chat.events.v1-value");
    }

    #[test]
    fn ids_are_unique_and_versions_count_up_from_one() {
        let mut ids: Vec<_> = CATALOG.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOG.len());
        for kind in AggregateKind::ALL {
            let versions: Vec<_> = SchemaEntry::versions(kind).iter().map(|e| e.version).collect();
            assert_eq!(versions, (1..=versions.len() as u32).collect::<Vec<_>>());
        }
    }
}
