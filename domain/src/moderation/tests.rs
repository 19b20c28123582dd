//! The filters, table-driven: every filter at and across its thresholds,
//! each exemption, disguised links, accents and case, and the false
//! positives that must pass.

use std::collections::VecDeque;

use super::*;
use crate::value::{Timestamp, UserLevel};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_800_000_000_000_000 + seconds * 1_000_000).unwrap()
}

fn filter(rule: FilterRule, exempt: &[UserLevel]) -> FilterSettings {
    FilterSettings { enabled: true, exempt: exempt.to_vec(), rule }.checked().unwrap()
}

/// Every filter on, as the table expects.
fn channel() -> ModerationRules {
    let settings = ModerationSettings::default()
        .with_filter(filter(
            FilterRule::BannedTerms {
                terms: vec!["buy followers".into(), "Scam".into(), "naïve word".into()],
                patterns: vec![r"fr[e3]{2}\s*v-?bucks".into(), r"\bc[o0]d[e3]\s*\d{4}\b".into()],
            },
            &[],
        ))
        .with_filter(filter(
            FilterRule::Links { allowed_domains: vec!["twitch.tv".into(), "YouTube.com".into()] },
            &[UserLevel::Regular],
        ))
        .with_filter(filter(FilterRule::Flood { max_messages: 5, per_seconds: 10 }, &[]))
        .with_filter(filter(FilterRule::Length { max_length: 200 }, &[]))
        .with_filter(filter(FilterRule::Caps { min_length: 8, max_percent: 70 }, &[UserLevel::Subscriber]))
        .with_filter(filter(FilterRule::Symbols { min_length: 10, max_percent: 50 }, &[]))
        .with_filter(filter(
            FilterRule::Repetition { max_char_run: 10, max_word_repeats: 5, same_message_seconds: 30 },
            &[],
        ))
        .with_filter(filter(FilterRule::Emotes { max_emotes: 5, max_mentions: 3 }, &[UserLevel::Vip]));
    ModerationRules::compile(&settings)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pass,
    Permit,
    Caught(FilterKind),
}
use Expect::*;
use FilterKind::*;

struct Row {
    text: String,
    level: UserLevel,
    emotes: u32,
    /// Earlier messages: (seconds before this one, text).
    history: Vec<(i64, String)>,
    permit: bool,
    expect: Expect,
}

fn row(text: impl Into<String>, expect: Expect) -> Row {
    Row { text: text.into(), level: UserLevel::Everyone, emotes: 0, history: vec![], permit: false, expect }
}

impl Row {
    fn by(mut self, level: UserLevel) -> Self {
        self.level = level;
        self
    }
    fn emotes(mut self, emotes: u32) -> Self {
        self.emotes = emotes;
        self
    }
    fn after(mut self, count: usize, within: i64, text: &str) -> Self {
        for i in 0..count {
            self.history.push((within * (i as i64 + 1) / (count as i64 + 1), format!("{text} {i}")));
        }
        self
    }
    fn after_same(mut self, seconds_ago: i64) -> Self {
        self.history.push((seconds_ago, self.text.clone()));
        self
    }
    fn permitted(mut self) -> Self {
        self.permit = true;
        self
    }
}

/// `n` characters of distinct words.
fn prose(n: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < n {
        text.push_str(&format!("w{i} "));
        i += 1;
    }
    text.truncate(n);
    text.trim_end().to_owned() + &"x".repeat(n - text.trim_end().len())
}

fn table() -> Vec<Row> {
    vec![
        // Plain chat passes.
        row("hello everyone", Pass),
        row("gg", Pass),
        row("what a play, well done", Pass),
        row("e.g. this is 1.5 times better", Pass),
        row("i said so. me too", Pass),
        row("hi. to be honest that was great", Pass),
        row("the dot is here", Pass),
        row("I write C# in dot net all day", Pass),
        row("remember the dot com bubble", Pass),
        row("we use dot net at work", Pass),
        row("what a class act", Pass),
        // Banned terms: words and phrases, case, accents, width, invisibles.
        row("BUY FOLLOWERS AT cheap prices", Caught(BannedTerms)),
        row("buy followers", Caught(BannedTerms)),
        row("Buy   Followers", Caught(BannedTerms)),
        row("bùy fòllowérs", Caught(BannedTerms)),
        row("ｂｕｙ ｆｏｌｌｏｗｅｒｓ", Caught(BannedTerms)),
        row("b\u{200d}uy fol\u{200b}lowers", Caught(BannedTerms)),
        row("this is a scam", Caught(BannedTerms)),
        row("SCAM!", Caught(BannedTerms)),
        row("scammer", Pass),
        row("buy more followers", Pass),
        row("naive word here", Caught(BannedTerms)),
        row("free vbucks", Caught(BannedTerms)),
        row("FR33 V-BUCKS", Caught(BannedTerms)),
        row("code 1234", Caught(BannedTerms)),
        row("c0d3 9876", Caught(BannedTerms)),
        row("code 12345", Pass),
        row("buy followers", Caught(BannedTerms)).by(UserLevel::Subscriber),
        row("buy followers", Pass).by(UserLevel::Moderator),
        row("buy followers", Pass).by(UserLevel::Broadcaster),
        // Links: schemes, bare domains, disguises, the allowlist, permits.
        row("BUY at spam.example/cheap", Caught(Links)),
        row("go to spam.com/cheap", Caught(Links)),
        row("https://spam.example/cheap", Caught(Links)),
        row("hxxp://evil.test/x", Caught(Links)),
        row("www.cheap.biz", Caught(Links)),
        row("cheap dot com", Caught(Links)),
        row("cheapviews dot com", Caught(Links)),
        row("in (dot) net", Caught(Links)),
        row("cheap(dot)com", Caught(Links)),
        row("cheap [.] net", Caught(Links)),
        row("cheap . ru", Caught(Links)),
        row("ｃｈｅａｐ．ｃｏｍ", Caught(Links)),
        row("ＣＨＥＡＰ．ＣＯＭ", Caught(Links)),
        row("https://twitch.tv/shroud", Pass),
        row("clips.twitch.tv/abc", Pass),
        row("watch youtube.com/watch?v=1", Pass),
        row("nottwitch.tv is not it", Caught(Links)),
        row("twitch.tv and spam.com", Caught(Links)),
        row("go to spam.com/cheap", Pass).by(UserLevel::Regular),
        row("go to spam.com/cheap", Caught(Links)).by(UserLevel::Vip),
        row("go to spam.com/cheap", Permit).permitted(),
        row("my link is spam.com — scam", Caught(BannedTerms)).permitted(),
        row("no link here", Pass).permitted(),
        // Flood: more than 5 messages within 10 s.
        row("six", Caught(Flood)).after(5, 9, "msg"),
        row("five", Pass).after(4, 9, "msg"),
        row("six, spread out", Pass).after(5, 20, "msg"),
        row("six", Pass).after(5, 9, "msg").by(UserLevel::Moderator),
        // Length: at most 200 characters.
        row(prose(200), Pass),
        row(prose(201), Caught(Length)),
        // Caps: over 70% capitals among 8 letters or more.
        row("I LOVE IT", Pass),
        row("I LOVE ITT", Caught(Caps)),
        row("HELLO CHAT", Caught(Caps)),
        row("HELLO CHAt", Caught(Caps)),
        row("HELLO Chat", Pass),
        row("HELLO chat", Pass),
        row("ÉCOUTEZ TOUS", Caught(Caps)),
        row("HELLO CHAT", Pass).by(UserLevel::Subscriber),
        row("HELLO CHAT", Caught(Caps)).by(UserLevel::Vip),
        row("OK 12345678", Pass),
        // Symbols: over 50% of non-space characters in 10 characters or more.
        row("!!!??", Pass),
        row("hi!!! ~~~~", Caught(Symbols)),
        row("abc!!! def~~~", Pass),
        row("ab!! ~~~ cd", Caught(Symbols)),
        row("$$$ €€€ ££££", Caught(Symbols)),
        row("😀😀😀😀 hello", Pass),
        // Repetition: runs, words, the same message again.
        row("aaaaaaaaaa", Pass),
        row("aaaaaaaaaaa", Caught(Repetition)),
        row("noooooooooooo", Caught(Repetition)),
        row("go go go go go", Pass),
        row("go go go go go go", Caught(Repetition)),
        row("GO go Gö go go go", Caught(Repetition)),
        row("hello there", Caught(Repetition)).after_same(10),
        row("Hello, there!", Caught(Repetition)).after_same(29),
        row("hello there", Pass).after_same(30),
        row("hello there", Pass).after_same(120),
        // Emotes and mentions: at most 5 emotes, 3 mentions.
        row("😀😀😀😀😀", Pass),
        row("😀😀😀😀😀😀", Caught(Emotes)),
        row("Kappa Kappa", Caught(Emotes)).emotes(6),
        row("Kappa", Pass).emotes(5),
        row("😀 Kappa", Caught(Emotes)).emotes(5),
        row("😀😀😀😀😀😀", Pass).by(UserLevel::Vip),
        row("@a @b @c", Pass),
        row("@a @b @c @d", Caught(Emotes)),
        row("mail me at bob@example.org", Caught(Links)),
        row("@a, @b and @c: gg", Pass),
        // The first filter met wins, in the documented order.
        row("BUY FOLLOWERS AT SPAM.COM", Caught(BannedTerms)),
        row("SPAM.COM IS GREAT!!!", Caught(Links)),
    ]
}

#[test]
fn every_filter_at_and_across_its_thresholds() {
    let rules = channel();
    let now = at(1000);
    let rows = table();
    assert!(rows.len() >= 80, "{} rows", rows.len());
    let mut wrong = Vec::new();
    for r in &rows {
        let recent: VecDeque<RecentMessage> = r
            .history
            .iter()
            .rev()
            .map(|(ago, text)| RecentMessage { at: at(1000 - ago), digest: digest(text) })
            .collect();
        let m = Incoming { text: &r.text, level: r.level, emotes: r.emotes, at: now };
        let got = match rules.check(&m, &recent, r.permit) {
            Verdict::Clean => Pass,
            Verdict::Permitted { .. } => Permit,
            Verdict::Violation(v) => Caught(v.filter),
        };
        if got != r.expect {
            wrong.push(format!("{:?} by {} → {got:?}, expected {:?}", r.text, r.level, r.expect));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), rows.len(), wrong.join("\n"));
}

#[test]
fn evidence_names_what_was_found() {
    let rules = channel();
    let m = |text: &'static str| Incoming { text, level: UserLevel::Everyone, emotes: 0, at: at(0) };
    let evidence = |text| match rules.check(&m(text), &VecDeque::new(), false) {
        Verdict::Violation(v) => v.evidence,
        other => panic!("{other:?}"),
    };
    assert_eq!(evidence("BUY FOLLOWERS now"), r#"term "buy followers""#);
    assert_eq!(evidence("HELLO CHAT"), "100% capitals (most 70%)");
    assert_eq!(evidence("go to spam.com/cheap"), r#"link "spam.com""#);
}

#[test]
fn a_disabled_filter_and_the_defaults_pass_everything() {
    let rules = ModerationRules::default();
    let m = Incoming { text: "BUY FOLLOWERS AT spam.com", level: UserLevel::Everyone, emotes: 99, at: at(0) };
    assert_eq!(rules.check(&m, &VecDeque::new(), false), Verdict::Clean);
}

#[test]
fn settings_out_of_range_or_malformed_are_refused_naming_the_field() {
    let refused = |rule, exempt: &[UserLevel]| {
        FilterSettings { enabled: true, exempt: exempt.to_vec(), rule }.checked().unwrap_err()
    };
    let e = refused(FilterRule::Caps { min_length: 10, max_percent: 101 }, &[]);
    assert_eq!((e.code(), e.field()), ("out_of_range", "max_percent"));
    let e = refused(FilterRule::Links { allowed_domains: vec!["not a domain".into()] }, &[]);
    assert_eq!((e.code(), e.field()), ("invalid_domain", "allowed_domains"));
    let e = refused(FilterRule::BannedTerms { terms: vec![], patterns: vec!["(open".into()] }, &[]);
    assert_eq!((e.code(), e.field()), ("invalid_pattern", "patterns"));
    let e = refused(FilterRule::BannedTerms { terms: vec![], patterns: vec![r"\w{500}{500}".into()] }, &[]);
    assert_eq!((e.code(), e.field()), ("invalid_pattern", "patterns"));
    assert!(e.to_string().contains("limit"), "{e}");
    let e = refused(FilterRule::BannedTerms { terms: vec!["!!!".into()], patterns: vec![] }, &[]);
    assert_eq!((e.code(), e.field()), ("invalid_term", "terms"));
    let e = refused(FilterRule::Flood { max_messages: 0, per_seconds: 10 }, &[]);
    assert_eq!(e.field(), "max_messages");
    let e = refused(FilterRule::Length { max_length: 10 }, &[UserLevel::Moderator]);
    assert_eq!(e.field(), "exempt");
    let e = Escalation { ladder: vec![], strike_expiry_seconds: 60 }.checked().unwrap_err();
    assert_eq!(e.field(), "ladder");
    let e = Escalation { ladder: vec![Penalty::timeout(0)], strike_expiry_seconds: 60 }.checked().unwrap_err();
    assert_eq!(e.field(), "ladder.seconds");
}

#[test]
fn the_ladder_repeats_its_last_step() {
    let ladder = Escalation::default();
    assert_eq!(ladder.step(1), Penalty::delete());
    assert_eq!(ladder.step(2), Penalty::timeout(60));
    assert_eq!(ladder.step(3), Penalty::timeout(600));
    assert_eq!(ladder.step(4), Penalty::ban());
    assert_eq!(ladder.step(9), Penalty::ban());
}
