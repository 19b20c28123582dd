//! Managing commands from chat with Nightbot's syntax, so a streamer
//! moving from Nightbot types what they already know:
//!
//! ```text
//! !commands add !name [-ul=level] [-cd=seconds] [-a=!other] response
//! !commands edit !name [options] [response]
//! !commands delete !name
//! ```
//!
//! plus two options Nightbot lacks: `-ucd=seconds` (per-viewer cooldown)
//! and `-cost=points`.

use super::command::CommandEdit;
use super::event::CommandDefinition;
use super::state::{MAX_COOLDOWN_SECONDS, MAX_COST};
use super::template::ResponseTemplate;
use crate::value::{CommandName, UserLevel};

/// Nightbot's default cooldown for a command added from chat.
pub const DEFAULT_COOLDOWN_SECONDS: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManageRequest {
    /// `!commands` alone: the names the caller may use.
    List,
    Add(CommandDefinition),
    Edit(CommandEdit),
    Delete(CommandName),
}

/// What to tell the moderator, in chat.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ManageError(pub String);

fn error(text: impl Into<String>) -> ManageError {
    ManageError(text.into())
}

const USAGE: &str = "usage: !commands add|edit !name [-ul=level] [-cd=seconds] [-ucd=seconds] [-cost=points] [-a=!other] response, or !commands delete !name";

/// Parses what follows `!commands`.
pub fn parse_manage(args: &str) -> Result<ManageRequest, ManageError> {
    let args = args.trim();
    if args.is_empty() {
        return Ok(ManageRequest::List);
    }
    let (verb, rest) = split_word(args);
    let (raw_name, rest) = split_word(rest);
    if raw_name.is_empty() {
        return Err(error(USAGE));
    }
    let name = CommandName::parse(raw_name)
        .map_err(|_| error(format!("`{raw_name}` is not a command name: `!` and 1 to 32 letters, digits or _")))?;
    match verb.to_ascii_lowercase().as_str() {
        "add" => {
            let (options, response) = options(rest)?;
            let mut definition = CommandDefinition {
                name,
                response: ResponseTemplate::parse(response).map_err(|e| error(format!("response: {e}")))?,
                alias_of: None,
                min_level: UserLevel::Everyone,
                cooldown_seconds: DEFAULT_COOLDOWN_SECONDS,
                user_cooldown_seconds: 0,
                cost: 0,
                enabled: true,
            };
            let edit = options.into_edit(definition.name.clone());
            definition = edit.apply_to(&definition);
            Ok(ManageRequest::Add(definition))
        }
        "edit" => {
            let (options, response) = options(rest)?;
            let mut edit = options.into_edit(name);
            if !response.is_empty() {
                edit.response = Some(ResponseTemplate::parse(response).map_err(|e| error(format!("response: {e}")))?);
            }
            Ok(ManageRequest::Edit(edit))
        }
        "delete" | "remove" | "del" => {
            if !rest.trim().is_empty() {
                return Err(error("usage: !commands delete !name"));
            }
            Ok(ManageRequest::Delete(name))
        }
        _ => Err(error(USAGE)),
    }
}

#[derive(Debug, Default)]
struct Options {
    level: Option<UserLevel>,
    cooldown: Option<u32>,
    user_cooldown: Option<u32>,
    cost: Option<u64>,
    alias_of: Option<CommandName>,
}

impl Options {
    fn into_edit(self, name: CommandName) -> CommandEdit {
        let mut edit = CommandEdit::of(name);
        edit.min_level = self.level;
        edit.cooldown_seconds = self.cooldown;
        edit.user_cooldown_seconds = self.user_cooldown;
        edit.cost = self.cost;
        edit.alias_of = self.alias_of.map(Some);
        edit
    }
}

/// Leading `-key=value` words, then the response (the rest, as typed).
fn options(mut rest: &str) -> Result<(Options, &str), ManageError> {
    let mut options = Options::default();
    loop {
        rest = rest.trim_start();
        let (word, after) = split_word(rest);
        let Some((key, value)) = word.strip_prefix('-').and_then(|w| w.split_once('=')) else {
            return Ok((options, rest));
        };
        match key.to_ascii_lowercase().as_str() {
            "ul" => {
                options.level = Some(UserLevel::parse_nightbot(value).map_err(|_| {
                    error(format!(
                    "-ul: `{value}` is not a user level (everyone, subscriber, regular, twitch_vip, moderator, owner)"
                ))
                })?)
            }
            "cd" => options.cooldown = Some(seconds("-cd", value)?),
            "ucd" => options.user_cooldown = Some(seconds("-ucd", value)?),
            "cost" => {
                options.cost =
                    Some(
                        value.parse::<u64>().ok().filter(|c| *c <= MAX_COST).ok_or_else(|| {
                            error(format!("-cost: `{value}` is not a whole number from 0 to {MAX_COST}"))
                        })?,
                    )
            }
            "a" => {
                options.alias_of =
                    Some(CommandName::parse(value).map_err(|_| error(format!("-a: `{value}` is not a command name")))?)
            }
            other => return Err(error(format!("unknown option -{other}; options are -ul, -cd, -ucd, -cost, -a"))),
        }
        rest = after;
    }
}

fn seconds(option: &str, value: &str) -> Result<u32, ManageError> {
    value.parse::<u32>().ok().filter(|s| *s <= MAX_COOLDOWN_SECONDS).ok_or_else(|| {
        error(format!("{option}: `{value}` is not a number of seconds from 0 to {MAX_COOLDOWN_SECONDS}"))
    })
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> CommandName {
        CommandName::parse(n).unwrap()
    }

    #[test]
    fn add_with_every_option() {
        let ManageRequest::Add(d) =
            parse_manage("add !Hug -ul=sub -cd=30 -ucd=120 -cost=10 $(user) hugs $(touser) -gently").unwrap()
        else {
            panic!("an add");
        };
        assert_eq!(d.name, name("hug"));
        assert_eq!(d.response.as_str(), "$(user) hugs $(touser) -gently");
        assert_eq!(
            (d.min_level, d.cooldown_seconds, d.user_cooldown_seconds, d.cost),
            (UserLevel::Subscriber, 30, 120, 10)
        );
        assert!(d.enabled && d.alias_of.is_none());
    }

    #[test]
    fn add_takes_nightbots_defaults_and_aliases() {
        let ManageRequest::Add(d) = parse_manage("add !sr -a=!songrequest").unwrap() else { panic!("an add") };
        assert_eq!((d.cooldown_seconds, d.min_level, d.alias_of), (5, UserLevel::Everyone, Some(name("songrequest"))));
        assert!(d.response.is_empty());
    }

    #[test]
    fn edit_changes_only_what_it_names() {
        let ManageRequest::Edit(e) = parse_manage("edit !hug -cd=0").unwrap() else { panic!("an edit") };
        assert_eq!((e.cooldown_seconds, e.response, e.min_level), (Some(0), None, None));
        let ManageRequest::Edit(e) = parse_manage("edit !hug new text").unwrap() else { panic!("an edit") };
        assert_eq!(e.response.map(String::from), Some("new text".to_owned()));
    }

    #[test]
    fn delete_and_list() {
        assert_eq!(parse_manage("delete !hug"), Ok(ManageRequest::Delete(name("hug"))));
        assert_eq!(parse_manage("remove hug"), Ok(ManageRequest::Delete(name("hug"))));
        assert_eq!(parse_manage("  "), Ok(ManageRequest::List));
    }

    #[test]
    fn mistakes_say_what_is_wrong() {
        for (input, says) in [
            ("add", "usage"),
            ("add !a-b hi", "is not a command name"),
            ("add !x -ul=king hi", "-ul"),
            ("add !x -cd=ten hi", "-cd"),
            ("add !x -cd=90000 hi", "-cd"),
            ("add !x -cost=-1 hi", "-cost"),
            ("add !x -zz=1 hi", "unknown option -zz"),
            ("add !x $(nope)", "unknown variable"),
            ("rename !x", "usage"),
            ("delete !x now", "usage"),
        ] {
            let refused = parse_manage(input).unwrap_err();
            assert!(refused.0.contains(says), "{input}: {refused}");
        }
    }
}
