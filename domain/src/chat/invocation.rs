/// A chat command: `!name args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub name: String,
    pub args: String,
}

/// Longest command name recognised; longer `!words` are just chat.
pub(super) const MAX_COMMAND_NAME: usize = 32;

/// `!clip 30` → `clip` with args `30`. The name is ASCII letters, digits and
/// `_`, lowercased; anything else (`! hi`, `!!!`, `!é`) is ordinary chat.
pub fn parse_invocation(text: &str) -> Option<Invocation> {
    parse_invocation_with("!", text)
}

/// The same with a channel's own prefix.
pub fn parse_invocation_with(prefix: &str, text: &str) -> Option<Invocation> {
    let rest = text.trim_start().strip_prefix(prefix)?;
    let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    if name_len == 0 || name_len > MAX_COMMAND_NAME {
        return None;
    }
    let (name, after) = rest.split_at(name_len);
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    Some(Invocation { name: name.to_ascii_lowercase(), args: after.trim().to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn recognises_commands_and_only_commands() {
        assert_eq!(parse_invocation("!Clip 30  "), Some(Invocation { name: "clip".into(), args: "30".into() }));
        assert_eq!(parse_invocation("!points"), Some(Invocation { name: "points".into(), args: "".into() }));
        for chat in ["hello !clip", "! clip", "!", "!!", "!clip!", "!élan", "!a-b"] {
            assert_eq!(parse_invocation(chat), None, "{chat}");
        }
        assert_eq!(parse_invocation(&format!("!{}", "a".repeat(33))), None);
    }

    proptest! {
        #[test]
        fn a_parsed_name_is_a_valid_name(text in "\\PC{0,60}") {
            if let Some(inv) = parse_invocation(&text) {
                prop_assert!(!inv.name.is_empty() && inv.name.len() <= MAX_COMMAND_NAME);
                prop_assert!(inv.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
                prop_assert_eq!(inv.args.trim(), inv.args.as_str());
            }
        }
    }
}
