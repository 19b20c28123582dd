//! What a chat message asks of the channel: a built-in, a custom command
//! (through its aliases), or nothing.

use super::event::CommandDefinition;
use super::state::ChannelState;
use super::template::{RenderContext, ResponseTemplate};
use crate::chat::parse_invocation_with;
use crate::value::{Builtin, CommandName, UserLevel};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Builtin(Builtin),
    /// The command that answers: the end of the alias chain.
    Custom(CommandDefinition),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The name as typed (lowercased).
    pub invoked: CommandName,
    pub target: Target,
    /// The invoker's arguments, after the aliases' own text.
    pub args: String,
    /// The highest level any command on the alias chain asks for.
    pub min_level: UserLevel,
}

impl Resolved {
    /// The key of the stream that records this command's uses: the custom
    /// command's name, or `builtin.<name>` (a `.` no custom name can hold,
    /// and stable when the built-in is renamed).
    pub fn use_key(&self) -> String {
        match &self.target {
            Target::Builtin(builtin) => format!("builtin.{}", builtin.as_str()),
            Target::Custom(definition) => definition.name.as_str().to_owned(),
        }
    }
}

/// Who asks, and where: what an alias's text is rendered with.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    /// The invoker's display name.
    pub user: &'a str,
    pub channel: &'a str,
    /// The message's id, which seeds `$(random a-b)` (`seed_of`): hashed
    /// only when an alias's text has variables to render.
    pub message_id: &'a str,
}

impl ChannelState {
    /// Built-ins first, then custom commands; a disabled command is
    /// ordinary chat, as is an unknown one.
    ///
    /// An alias passes its text to its target as the target's input, as
    /// Nightbot does: a text with variables (`-a=!say $(query)`) is
    /// rendered with the invoker's input, which it captures; a plain text
    /// (`-a=!songs request`) goes before the invoker's input.
    pub fn resolve(&self, text: &str, asker: Asker<'_>) -> Option<Resolved> {
        let invocation = parse_invocation_with(self.prefix.as_str(), text)?;
        let invoked = CommandName::parse(invocation.name).ok()?;
        // Built-ins added after a channel may have made a custom command of
        // the same name leave that command answering.
        let builtin = self.builtin_named(&invoked).filter(|b| !(b.is_newer() && self.commands.contains_key(&invoked)));
        if let Some(builtin) = builtin {
            return Some(Resolved {
                invoked,
                target: Target::Builtin(builtin),
                args: invocation.args,
                min_level: builtin.min_level(),
            });
        }
        let Some(mut definition) = self.commands.get(&invoked) else {
            // The running giveaway's keyword, after every command.
            let (_, keyword) = self.giveaway.as_ref().filter(|(_, keyword)| *keyword == invoked)?;
            return Some(Resolved {
                invoked: keyword.clone(),
                target: Target::Builtin(Builtin::Join),
                args: invocation.args,
                min_level: UserLevel::Everyone,
            });
        };
        let mut args = invocation.args;
        let mut min_level = definition.min_level;
        // Loops are refused when aliases are defined; the bound is a guard.
        for _ in 0..=self.commands.len() {
            if !definition.enabled {
                return None;
            }
            min_level = min_level.max(definition.min_level);
            let Some(target) = &definition.alias_of else {
                return Some(Resolved { invoked, target: Target::Custom(definition.clone()), args, min_level });
            };
            args = alias_input(&definition.response, args, asker);
            definition = self.commands.get(target)?;
        }
        None
    }
}

/// What an alias with text `own` passes to its target, given `args`.
fn alias_input(own: &ResponseTemplate, args: String, asker: Asker<'_>) -> String {
    if own.has_variables() {
        // `$(count)` and `$(points)` are refused in an alias's text; one
        // defined before that renders them as 0.
        let context = RenderContext {
            user: asker.user,
            query: &args,
            count: 0,
            points: 0,
            channel: asker.channel,
            seed: super::template::seed_of(asker.message_id),
            uptime: None,
        };
        return own.render(&context).trim().to_owned();
    }
    let prefix = own.as_str().trim();
    match (prefix.is_empty(), args.is_empty()) {
        (true, _) => args,
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix} {args}"),
    }
}
