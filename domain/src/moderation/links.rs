//! Finding URL-like text: schemes (`https://`, `hxxp://`), `www.`, and bare
//! domains under a known top-level domain, including the usual disguises
//! (`example dot com`, `example(.)com`, `example [dot] com`, full-width
//! dots, which folding already made ASCII), and any `name.name/path`
//! whatever its ending. Linear time: the `regex`
//! crate's automata never backtrack.

use std::sync::LazyLock;

use regex::Regex;

/// Top-level domains that spam and self-promotion use, and the common
/// country codes. A bare `word.word` counts as a link only under one of
/// these, so `e.g.`, `1.5` and `lol.jk` stay chat.
const TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "gg", "tv", "me", "co", "ly", "xyz", "app", "dev", "live", "stream",
    "link", "site", "online", "shop", "store", "club", "top", "fun", "vip", "pro", "ws", "cc", "to", "sh", "ai", "gl",
    "fm", "am", "be", "us", "uk", "de", "fr", "ru", "ca", "au", "in", "jp", "cn", "br", "es", "it", "nl", "pl", "se",
    "ch", "at", "eu", "tk", "ml", "ga", "cf", "gq", "cz", "dk", "fi", "no", "pt", "gr", "tr", "ua", "kr", "mx", "ar",
    "nz", "za", "sg", "hk", "tw", "id", "ph", "vn", "th", "my", "ir", "is", "ie", "lt", "lv", "ee", "ro", "hu", "sk",
    "su", "gov", "edu", "mobi", "name", "tech", "space", "website", "today", "world", "news", "click", "win", "bid",
    "loan", "money", "cash", "sale", "gift", "codes", "chat", "social", "email", "page", "ly", "bit", "gd", "nu", "ms",
    "ps", "onion",
];

/// The top-level domains a disguised dot must lead to: ones that are not
/// also English words (`the dot is here` is chat, `cheap dot com` a link).
const DISGUISED_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "gg", "tv", "xyz", "ru", "ly", "live", "shop", "site", "online", "store",
    "club", "top", "link", "click", "stream", "tk", "ml", "cc", "ws",
];

/// Words a spelled-out dot after them does not make a host of: "in dot
/// net", "the dot com bubble", "I use dot net" are chat, where
/// "cheapviews dot com" is a link. Function words, pronouns and the verbs
/// and words a programming or finance chat puts before "dot net" or
/// "dot com". A bracketed dot (`(dot)`, `[.]`) is a link whatever precedes it.
const NOT_A_HOST: &[&str] = &[
    "a",
    "an",
    "the",
    "in",
    "on",
    "at",
    "of",
    "to",
    "for",
    "from",
    "with",
    "by",
    "into",
    "onto",
    "about",
    "as",
    "and",
    "or",
    "but",
    "nor",
    "so",
    "yet",
    "if",
    "then",
    "than",
    "that",
    "this",
    "these",
    "those",
    "there",
    "here",
    "it",
    "its",
    "i",
    "im",
    "me",
    "my",
    "mine",
    "we",
    "us",
    "our",
    "you",
    "your",
    "yours",
    "he",
    "him",
    "his",
    "she",
    "her",
    "they",
    "them",
    "their",
    "who",
    "whom",
    "whose",
    "what",
    "which",
    "when",
    "where",
    "why",
    "how",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "do",
    "does",
    "did",
    "done",
    "doing",
    "have",
    "has",
    "had",
    "having",
    "can",
    "could",
    "will",
    "would",
    "shall",
    "should",
    "may",
    "might",
    "must",
    "not",
    "no",
    "yes",
    "all",
    "any",
    "some",
    "every",
    "each",
    "both",
    "either",
    "neither",
    "one",
    "two",
    "old",
    "new",
    "old-school",
    "like",
    "love",
    "hate",
    "use",
    "used",
    "using",
    "uses",
    "write",
    "writes",
    "wrote",
    "writing",
    "code",
    "coding",
    "codes",
    "learn",
    "learning",
    "learned",
    "know",
    "knows",
    "knew",
    "work",
    "works",
    "working",
    "worked",
    "program",
    "programming",
    "build",
    "building",
    "built",
    "run",
    "running",
    "ran",
    "try",
    "trying",
    "tried",
    "just",
    "also",
    "still",
    "only",
    "even",
    "really",
    "very",
    "pure",
    "modern",
    "classic",
    "whole",
    "early",
    "late",
    "big",
    "huge",
    "first",
    "last",
    "era",
    "during",
    "before",
    "after",
    "since",
    "until",
    "via",
    "over",
    "under",
    "c#",
    "f#",
    "asp",
    "vb",
    "visual",
    "microsoft",
];

static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\bh[tx]{2}ps?|\bftp|\bwww)(?::/+|\.)([^\s/?#\\]*)").expect("valid"));
/// `(dot)`, `[.]`, `{dot}`, ` dot `, ` .`: a dot. Not `. ` alone, which ends
/// sentences ("hi. to be honest" is not `hi.to`).
static DISGUISED_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*[(\[{<]\s*(?:dot|\.)\s*[)\]}>]\s*|\s+dot\s+|\s+\.\s*").expect("valid"));
/// A bracketed dot, which no one writes but to hide a link.
static BRACKETED_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*[(\[{<]\s*(?:dot|\.)\s*[)\]}>]\s*").expect("valid"));
/// A spelled-out or spaced dot, with the word before it.
static SPELLED_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([a-z0-9#-]+)(?:\s+dot\s+|\s+\.\s*)").expect("valid"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24})(?:[^a-z0-9-]|$)").expect("valid")
});
static WHOLE_DOMAIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$").expect("valid"));

/// Whether `text` (already lowercase) is a domain name like `example.com`.
pub(super) fn is_domain(text: &str) -> bool {
    text.len() <= 253 && WHOLE_DOMAIN.is_match(text)
}

/// The hosts of the links in a folded message, in order.
pub fn hosts(folded: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    for found in SCHEME.captures_iter(folded) {
        let host = found.get(1).map_or("", |h| h.as_str());
        let host = host.split(['@', ':']).next_back().unwrap_or(host);
        let host = DISGUISED_DOT.replace_all(host, ".").trim_matches('.').to_owned();
        // `www.` itself is the host's first label.
        let whole = found.get(0).map_or("", |m| m.as_str());
        hosts.push(if whole.starts_with("www.") { format!("www.{host}") } else { host });
    }
    let plain = SCHEME.replace_all(folded, " ");
    push_domains(&plain, TLDS, &mut hosts);
    let unbracketed = BRACKETED_DOT.replace_all(&plain, ".");
    let undisguised = SPELLED_DOT.replace_all(&unbracketed, |found: &regex::Captures<'_>| {
        let word = &found[1];
        if NOT_A_HOST.contains(&word) {
            found[0].to_owned()
        } else {
            format!("{word}.")
        }
    });
    if undisguised != plain {
        push_domains(&undisguised, DISGUISED_TLDS, &mut hosts);
    }
    hosts
}

fn push_domains(text: &str, tlds: &[&str], hosts: &mut Vec<String>) {
    for found in DOMAIN.captures_iter(text) {
        let tld = found.get(1).map_or("", |t| t.as_str());
        let whole = found.get(0).map_or("", |m| m.as_str());
        let host = whole.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        let with_path = whole.ends_with('/');
        if (with_path || tlds.contains(&tld)) && !hosts.iter().any(|h| h == host) {
            hosts.push(host.to_owned());
        }
    }
}

/// Whether `host` is `domain` or under it.
pub(super) fn allowed_by(host: &str, domain: &str) -> bool {
    host == domain || host.strip_suffix(domain).is_some_and(|rest| rest.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_and_their_disguises() {
        assert_eq!(hosts("see https://spam.example/cheap now"), ["spam.example"]);
        assert_eq!(hosts("hxxp://evil.test/x"), ["evil.test"]);
        assert_eq!(hosts("www.cheap.biz"), ["www.cheap.biz"]);
        assert_eq!(hosts("buy at spam.com/cheap"), ["spam.com"]);
        assert_eq!(hosts("BUY at spam.example/cheap".to_lowercase().as_str()), ["spam.example"]);
        assert_eq!(hosts("example dot com"), ["example.com"]);
        assert_eq!(hosts("example(dot)com"), ["example.com"]);
        assert_eq!(hosts("example [.] net"), ["example.net"]);
        assert_eq!(hosts("example . org"), ["example.org"]);
        assert_eq!(hosts("cheapviews dot com"), ["cheapviews.com"]);
        assert_eq!(hosts("in(dot)net"), ["in.net"], "bracketed, whatever precedes it");
        for chat in [
            "e.g. 1.5 lol.jk",
            "hi. to be honest",
            "i said so. me too",
            "the dot is here",
            "i write c# in dot net all day",
            "the dot com bubble",
            "i use dot net at work",
            "asp dot net core",
        ] {
            assert!(hosts(chat).is_empty(), "{chat}: {:?}", hosts(chat));
        }
    }

    #[test]
    fn subdomains_are_allowed_with_their_domain() {
        assert!(allowed_by("clips.twitch.tv", "twitch.tv"));
        assert!(allowed_by("twitch.tv", "twitch.tv"));
        assert!(!allowed_by("nottwitch.tv", "twitch.tv"));
        assert!(is_domain("example.com") && !is_domain("example") && !is_domain("exa mple.com"));
    }
}
