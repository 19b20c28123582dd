//! WaveStack's domain: the rules of chat, clips and publications as pure
//! functions over value types. Nothing in here performs I/O; adapters parse
//! raw input into these types at the edge and persist the resulting events.

pub mod aggregate;
pub mod broadcast;
pub mod channel;
pub mod chat;
pub mod chat_command;
pub mod clip;
pub mod delivery;
pub mod giveaway;
pub mod identity;
pub mod metadata;
pub mod moderation;
pub mod poll;
pub mod publication;
pub mod team;
pub mod value;

pub use aggregate::Decider;
