//! A moderator's community verb from chat (`!giveaway …`, `!poll …`): the
//! verb, what follows it, where, and the moderator acting through the bot;
//! and what the bot says back.

use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ChannelRef, DisplayName};

use super::Failure;
use crate::builtins::Asked;

#[derive(Debug)]
pub(crate) struct ChatVerb<'a> {
    /// Lowercased.
    pub verb: String,
    /// What follows the verb.
    pub rest: &'a str,
    /// The channel the moderator typed it in.
    pub here: ChannelRef,
    /// The moderator is the actor.
    pub metadata: EventMetadata,
}

impl<'a> ChatVerb<'a> {
    pub(crate) fn of(asked: &'a Asked<'_>) -> anyhow::Result<Self> {
        let args = asked.resolved.args.trim();
        let (verb, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        let m = asked.message;
        Ok(Self {
            verb: verb.to_ascii_lowercase(),
            rest: rest.trim(),
            here: ChannelRef::new(m.viewer.platform, m.viewer.channel.clone()),
            metadata: asked.by_author()?,
        })
    }
}

/// What the bot says: the step's answer, or its refusal addressed to the
/// moderator; a broken store is an error, logged by the brain.
pub(crate) fn said(who: &DisplayName, outcome: Result<String, Failure>) -> anyhow::Result<String> {
    Ok(match outcome {
        Ok(text) => text,
        Err(failure) => format!("@{who}, {}", failure.reply()?),
    })
}
