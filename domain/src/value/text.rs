use serde::{Deserialize, Serialize};

use super::error::{check_length, ValueError};
use super::newtype::string_newtype;

/// Free text shown to people: any Unicode except control characters
/// (newlines allowed where the platform allows them).
fn check_text(raw: &str, min: usize, max: usize, allow_newlines: bool) -> Result<(), ValueError> {
    check_length(raw, min, max)?;
    let bad = raw.chars().any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')));
    if bad {
        Err(ValueError::InvalidCharacters)
    } else {
        Ok(())
    }
}

macro_rules! text {
    ($(#[$doc:meta])* $name:ident, min = $min:expr, max = $max:expr, newlines = $nl:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
                let raw = raw.into();
                check_text(&raw, $min, $max, $nl)?;
                Ok(Self(raw))
            }
        }

        string_newtype!($name);
    };
}

text!(
    /// A chat author's display name as the platform shows it.
    DisplayName, min = 1, max = 64, newlines = false
);
text!(
    /// One chat message's text.
    ChatText, min = 1, max = 500, newlines = false
);
text!(
    /// A clip's or a publication's title. Clips may leave it empty.
    Title, min = 0, max = 120, newlines = false
);
text!(
    /// The body posted with a publication.
    Caption, min = 0, max = 5000, newlines = true
);
text!(
    /// Why a render or a publish attempt failed, as reported by the worker.
    FailureReason, min = 1, max = 1000, newlines = true
);

impl Title {
    /// Publications need a title; clips may go without.
    pub fn parse_required(raw: impl Into<String>) -> Result<Self, ValueError> {
        let title = Self::parse(raw)?;
        if title.0.is_empty() {
            Err(ValueError::Empty)
        } else {
            Ok(title)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_text_is_one_to_five_hundred_characters() {
        assert_eq!(ChatText::parse(""), Err(ValueError::Empty));
        assert!(ChatText::parse("é".repeat(500)).is_ok());
        assert_eq!(ChatText::parse("é".repeat(501)), Err(ValueError::TooLong { max: 500 }));
        assert_eq!(ChatText::parse("a\u{0}b"), Err(ValueError::InvalidCharacters));
    }

    #[test]
    fn publication_title_is_required_but_clip_title_is_not() {
        assert!(Title::parse("").is_ok());
        assert_eq!(Title::parse_required(""), Err(ValueError::Empty));
        assert_eq!(Title::parse("x".repeat(121)), Err(ValueError::TooLong { max: 120 }));
    }
}

text!(
    /// A platform's id for a published post.
    PostId, min = 1, max = 256, newlines = false
);
