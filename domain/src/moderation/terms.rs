//! Banned words, phrases and regular expressions. Terms match whole words
//! of the folded text (case- and accent-insensitive): `ass` bans "ASS" and
//! "âss" but not "class". Patterns run over the folded text too, compiled
//! with size limits; the `regex` crate never backtracks, so no text is slow.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexBuilder, RegexSetBuilder};

use super::fold::{fold, words};

/// Compiled program size one pattern may take (the `regex` crate's
/// `size_limit`); a pattern over it is refused at definition.
pub const PATTERN_SIZE_LIMIT: usize = 256 * 1024;
/// Compiled program size a channel's patterns may take together: 50
/// patterns each near `PATTERN_SIZE_LIMIT` took 12.5 MiB a channel. The
/// bench's 20 patterns, the textbook backtracking shapes among them, take
/// 0.8 MiB.
pub const PATTERNS_SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// The lazy DFA's cache per pattern.
const PATTERN_DFA_LIMIT: usize = 512 * 1024;

/// A term as it is kept and matched: its folded words, space-separated.
pub(super) fn fold_term(term: &str) -> String {
    words(&fold(term)).collect::<Vec<_>>().join(" ")
}

/// A pattern compiled as the filter runs it, or why it cannot be.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_DFA_LIMIT)
        .nest_limit(50)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(limit) => format!("compiles larger than the limit of {limit} bytes"),
            other => other.to_string().lines().last().unwrap_or("does not compile").trim().to_owned(),
        })
}

/// Whether a channel's patterns, each compiling, compile together within
/// `PATTERNS_SIZE_LIMIT`.
pub(super) fn check_patterns_together(patterns: &[String]) -> Result<(), String> {
    if patterns.is_empty() {
        return Ok(());
    }
    RegexSetBuilder::new(patterns)
        .case_insensitive(true)
        .size_limit(PATTERNS_SIZE_LIMIT)
        .nest_limit(50)
        .build()
        .map(|_| ())
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(limit) => {
                format!("the patterns together compile larger than the limit of {limit} bytes; make some simpler")
            }
            other => other.to_string().lines().last().unwrap_or("do not compile").trim().to_owned(),
        })
}

/// The banned-terms filter, compiled once per settings version.
#[derive(Debug, Clone)]
pub(super) struct TermMatcher {
    /// ` term ` needles over ` word word ` haystacks: word boundaries.
    terms: Option<AhoCorasick>,
    term_list: Vec<String>,
    patterns: Vec<(String, Regex)>,
}

impl TermMatcher {
    /// From checked settings (terms folded, patterns compiling).
    pub(super) fn new(terms: &[String], patterns: &[String]) -> Self {
        let needles: Vec<String> = terms.iter().map(|t| format!(" {t} ")).collect();
        let automaton = if needles.is_empty() {
            None
        } else {
            AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(&needles).ok()
        };
        Self {
            terms: automaton,
            term_list: terms.to_vec(),
            patterns: patterns.iter().filter_map(|p| compile_pattern(p).ok().map(|r| (p.clone(), r))).collect(),
        }
    }

    /// What matched, as evidence: `term "buy followers"` or `pattern "…"`.
    pub(super) fn find(&self, folded: &str) -> Option<String> {
        if let Some(automaton) = &self.terms {
            let mut haystack = String::with_capacity(folded.len() + 2);
            haystack.push(' ');
            for word in words(folded) {
                haystack.push_str(word);
                haystack.push(' ');
            }
            if let Some(found) = automaton.find(&haystack) {
                return Some(format!("term {:?}", self.term_list[found.pattern().as_usize()]));
            }
        }
        self.patterns.iter().find(|(_, regex)| regex.is_match(folded)).map(|(source, _)| format!("pattern {source:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_match_whole_words_folded() {
        let m = TermMatcher::new(&[fold_term("Buy Followers"), fold_term("ass")], &["fr[e3]{2}\\s*v-?bucks".into()]);
        assert!(m.find(&fold("BUY   FÔLLOWERS now")).is_some());
        assert!(m.find(&fold("what a class act")).is_none());
        assert!(m.find(&fold("free vbucks here")).unwrap().starts_with("pattern"));
    }

    #[test]
    fn oversized_or_broken_patterns_are_refused() {
        assert!(compile_pattern("(unclosed").is_err());
        assert!(compile_pattern("\\w{1000}{1000}").unwrap_err().contains("limit"));
    }

    /// Issue 26, item 8: 50 patterns each just under the per-pattern limit
    /// were accepted, 12.5 MiB compiled a channel.
    #[test]
    fn a_channels_patterns_are_bounded_together() {
        // Each under the per-pattern limit, not twenty of them together.
        // `\w` is every Unicode letter and digit: about 50 KiB compiled each.
        let many: Vec<String> = (0..20).map(|n| format!("\\w{{4}}marker{n}")).collect();
        compile_pattern(&many[0]).expect("one compiles within the per-pattern limit");
        let refused = check_patterns_together(&many).unwrap_err();
        assert!(refused.contains("together"), "{refused}");
        assert!(check_patterns_together(&many[..1]).is_ok());
        assert!(check_patterns_together(&[]).is_ok());
    }
}
