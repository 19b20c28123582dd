//! Given/when/then: opening, one vote per person, changes when allowed,
//! the end, closing early and cancelling.

use cqrs_es::test::TestFramework;

use super::*;
use crate::value::*;

type Poll = TestFramework<PollState>;

fn at(second: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000 + second * 1_000_000).unwrap()
}

fn twitch() -> ChannelRef {
    ChannelRef::parse("twitch/shroud").unwrap()
}

fn open(allow_change: bool) -> OpenPoll {
    OpenPoll {
        poll_id: PollId::from_uuid(uuid::Uuid::nil()),
        question: "Next game?".into(),
        options: vec!["Tetris".into(), "Doom".into(), "Myst".into()],
        channels: vec![twitch()],
        duration_seconds: 60,
        allow_change,
        at: at(0),
    }
}

fn opened(allow_change: bool) -> PollEvent {
    let o = open(allow_change);
    PollEvent::PollOpened(PollOpened {
        poll_id: o.poll_id,
        question: o.question,
        options: o.options,
        channels: o.channels,
        allow_change,
        opened_at: at(0),
        closes_at: at(60),
    })
}

fn vote(user: &str, option: u32, second: i64) -> CastVote {
    let account = Account::parse(&format!("twitch:{user}")).unwrap();
    CastVote { person: account.clone(), account, channel: twitch(), option, at: at(second) }
}

fn cast(user: &str, option: u32, previous: Option<u32>, second: i64) -> PollEvent {
    let v = vote(user, option, second);
    PollEvent::VoteCast(VoteCast { person: v.person, account: v.account, option, previous, at: at(second) })
}

#[test]
fn a_poll_opens_with_two_to_ten_distinct_options() {
    Poll::with(())
        .given_no_previous_events()
        .when(PollCommand::Open(open(false)))
        .then_expect_events(vec![opened(false)]);
    let mut one = open(false);
    one.options.truncate(1);
    Poll::with(()).given_no_previous_events().when(PollCommand::Open(one)).then_expect_error(PollError::OutOfRange {
        field: "options",
        min: 2,
        max: 10,
    });
    let mut alike = open(false);
    alike.options = vec!["Doom".into(), "doom".into()];
    Poll::with(())
        .given_no_previous_events()
        .when(PollCommand::Open(alike))
        .then_expect_error(PollError::Invalid { field: "options", reason: "must differ from each other" });
    let mut forever = open(false);
    forever.duration_seconds = 86_401;
    Poll::with(())
        .given_no_previous_events()
        .when(PollCommand::Open(forever))
        .then_expect_error(PollError::OutOfRange { field: "duration_seconds", min: 10, max: 86_400 });
}

#[test]
fn one_vote_per_person_unless_changes_are_allowed() {
    Poll::with(())
        .given(vec![opened(false)])
        .when(PollCommand::Vote(vote("ada", 1, 5)))
        .then_expect_events(vec![cast("ada", 1, None, 5)]);
    Poll::with(())
        .given(vec![opened(false), cast("ada", 1, None, 5)])
        .when(PollCommand::Vote(vote("ada", 2, 6)))
        .then_expect_error(PollError::AlreadyVoted);
    Poll::with(())
        .given(vec![opened(true), cast("ada", 1, None, 5)])
        .when(PollCommand::Vote(vote("ada", 2, 6)))
        .then_expect_events(vec![cast("ada", 2, Some(1), 6)]);
    Poll::with(())
        .given(vec![opened(true), cast("ada", 1, None, 5)])
        .when(PollCommand::Vote(vote("ada", 1, 6)))
        .then_expect_events(vec![]);
}

#[test]
fn a_vote_for_an_option_that_does_not_exist_or_after_the_end_is_refused() {
    Poll::with(())
        .given(vec![opened(false)])
        .when(PollCommand::Vote(vote("ada", 10, 5)))
        .then_expect_error(PollError::NoSuchOption { given: "11".into(), options: 3 });
    Poll::with(())
        .given(vec![opened(false)])
        .when(PollCommand::Vote(vote("ada", 0, 60)))
        .then_expect_error(PollError::Closed);
    Poll::with(())
        .given_no_previous_events()
        .when(PollCommand::Vote(vote("ada", 0, 5)))
        .then_expect_error(PollError::Unknown);
}

#[test]
fn closing_records_the_final_counts_and_a_late_close_is_dated_at_the_end() {
    Poll::with(())
        .given(vec![opened(true), cast("ada", 1, None, 5), cast("bob", 1, None, 6), cast("ada", 2, Some(1), 7)])
        .when(PollCommand::Close { at: at(90) })
        .then_expect_events(vec![PollEvent::PollClosed(PollClosed { counts: vec![0, 1, 1], closed_at: at(60) })]);
    Poll::with(())
        .given(vec![opened(false), PollEvent::PollCancelled(PollCancelled { cancelled_at: at(3) })])
        .when(PollCommand::Vote(vote("ada", 0, 5)))
        .then_expect_error(PollError::Cancelled);
}

#[test]
fn votes_are_read_by_number_or_by_the_options_text() {
    let mut state = PollState::default();
    state.evolve(&opened(false));
    assert_eq!(state.option_named("2"), Some(1));
    assert_eq!(state.option_named(" myst "), Some(2));
    assert_eq!(state.option_named("11"), None);
    assert_eq!(state.option_named("quake"), None);
}
