//! Given/when/then: opening, entering once per person, closing, the
//! committed draw, redraws, cancelling, and the audit that recomputes it.

use cqrs_es::test::TestFramework;

use super::*;
use crate::value::*;

type Giveaway = TestFramework<GiveawayState>;

fn at(second: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000 + second * 1_000_000).unwrap()
}

fn seed() -> Seed {
    Seed::from_bytes([42; 32])
}

/// The seed of a redraw's round, committed by the round before.
fn round_seed(round: u8) -> Seed {
    Seed::from_bytes([42 + round; 32])
}

fn twitch() -> ChannelRef {
    ChannelRef::parse("twitch/shroud").unwrap()
}

fn account(raw: &str) -> Account {
    Account::parse(raw).unwrap()
}

fn rules() -> GiveawayRules {
    GiveawayRules {
        keyword: CommandName::parse("join").unwrap(),
        cost: 10,
        min_level: UserLevel::Everyone,
        subscriber_luck: 2,
        closes_at: None,
    }
}

fn open_command() -> OpenGiveaway {
    OpenGiveaway {
        giveaway_id: GiveawayId::from_uuid(uuid::Uuid::nil()),
        title: "a headset".into(),
        channels: vec![twitch(), ChannelRef::parse("discord/42").unwrap()],
        rules: rules(),
        commitment: seed().commitment(),
        at: at(0),
    }
}

fn opened() -> GiveawayEvent {
    let o = open_command();
    GiveawayEvent::GiveawayOpened(GiveawayOpened {
        giveaway_id: o.giveaway_id,
        title: o.title,
        channels: o.channels,
        rules: o.rules,
        commitment: o.commitment,
        opened_at: o.at,
    })
}

fn enter(user: &str, second: i64) -> EnterGiveaway {
    EnterGiveaway {
        person: account(&format!("twitch:{user}")),
        account: account(&format!("twitch:{user}")),
        channel: twitch(),
        author: DisplayName::parse(user).unwrap(),
        message_id: MessageId::parse(format!("m-{user}-{second}")).unwrap(),
        level: UserLevel::Everyone,
        subscriber: false,
        paid: 10,
        at: at(second),
    }
}

fn accepted(e: EnterGiveaway, weight: u32) -> GiveawayEvent {
    GiveawayEvent::EntryAccepted(EntryAccepted {
        person: e.person,
        account: e.account,
        channel: e.channel,
        author: e.author,
        message_id: e.message_id,
        weight,
        paid: e.paid,
        entered_at: e.at,
    })
}

fn entrants(n: usize) -> Vec<GiveawayEvent> {
    let mut events = vec![opened()];
    events.extend((0..n).map(|i| accepted(enter(&format!("v{i}"), i as i64 + 1), 1)));
    events
}

#[test]
fn opening_publishes_the_commitment_and_never_the_seed() {
    Giveaway::with(())
        .given_no_previous_events()
        .when(GiveawayCommand::Open(open_command()))
        .then_expect_events(vec![opened()]);
}

#[test]
fn opening_refuses_rules_out_of_range_naming_the_field() {
    let mut luck = open_command();
    luck.rules.subscriber_luck = 11;
    Giveaway::with(())
        .given_no_previous_events()
        .when(GiveawayCommand::Open(luck))
        .then_expect_error(GiveawayError::OutOfRange { field: "subscriber_luck", min: 1, max: 10 });
    let mut past = open_command();
    past.rules.closes_at = Some(at(-1));
    Giveaway::with(())
        .given_no_previous_events()
        .when(GiveawayCommand::Open(past))
        .then_expect_error(GiveawayError::Invalid { field: "closes_at", reason: "must be in the future" });
    let mut none = open_command();
    none.channels.clear();
    Giveaway::with(())
        .given_no_previous_events()
        .when(GiveawayCommand::Open(none))
        .then_expect_error(GiveawayError::OutOfRange { field: "channels", min: 1, max: 10 });
}

#[test]
fn an_entry_is_accepted_once_per_person_and_a_subscriber_weighs_the_luck() {
    let mut sub = enter("ada", 1);
    sub.subscriber = true;
    Giveaway::with(())
        .given(vec![opened()])
        .when(GiveawayCommand::Enter(sub.clone()))
        .then_expect_events(vec![accepted(sub, 2)]);
    // The same person from their linked Discord account: already entered.
    let mut linked = enter("ada", 2);
    linked.account = account("discord:ada-d");
    linked.channel = ChannelRef::parse("discord/42").unwrap();
    Giveaway::with(())
        .given(vec![opened(), accepted(enter("ada", 1), 1)])
        .when(GiveawayCommand::Enter(linked))
        .then_expect_error(GiveawayError::AlreadyEntered);
}

#[test]
fn entries_are_refused_when_closed_below_level_or_from_another_channel() {
    Giveaway::with(())
        .given(vec![opened(), GiveawayEvent::GiveawayClosed(GiveawayClosed { entries: 0, closed_at: at(5) })])
        .when(GiveawayCommand::Enter(enter("ada", 6)))
        .then_expect_error(GiveawayError::Closed);
    let mut low = open_command();
    low.rules.min_level = UserLevel::Subscriber;
    let mut given = opened();
    if let GiveawayEvent::GiveawayOpened(o) = &mut given {
        o.rules = low.rules;
    }
    Giveaway::with(())
        .given(vec![given])
        .when(GiveawayCommand::Enter(enter("ada", 1)))
        .then_expect_error(GiveawayError::Level(UserLevel::Subscriber));
    let mut elsewhere = enter("ada", 1);
    elsewhere.channel = ChannelRef::parse("twitch/other").unwrap();
    Giveaway::with(())
        .given(vec![opened()])
        .when(GiveawayCommand::Enter(elsewhere))
        .then_expect_error(GiveawayError::Unknown);
    Giveaway::with(())
        .given_no_previous_events()
        .when(GiveawayCommand::Enter(enter("ada", 1)))
        .then_expect_error(GiveawayError::Unknown);
}

#[test]
fn an_entry_after_the_closing_time_is_refused_as_closed() {
    let mut timed = opened();
    if let GiveawayEvent::GiveawayOpened(o) = &mut timed {
        o.rules.closes_at = Some(at(60));
    }
    Giveaway::with(())
        .given(vec![timed])
        .when(GiveawayCommand::Enter(enter("ada", 60)))
        .then_expect_error(GiveawayError::Closed);
}

#[test]
fn an_abandoned_entry_cannot_arrive_late() {
    let e = enter("ada", 1);
    Giveaway::with(())
        .given(vec![
            opened(),
            GiveawayEvent::EntryAbandoned(EntryAbandoned {
                message_id: e.message_id.clone(),
                account: e.account.clone(),
                at: at(2),
            }),
        ])
        .when(GiveawayCommand::Enter(e))
        .then_expect_error(GiveawayError::Closed);
    // Abandoning an entry that made it changes nothing.
    Giveaway::with(())
        .given(vec![opened(), accepted(enter("ada", 1), 1)])
        .when(GiveawayCommand::Abandon {
            message_id: enter("ada", 1).message_id,
            account: account("twitch:ada"),
            at: at(3),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_draw_closes_reveals_the_seed_and_picks_distinct_winners() {
    let mut state = GiveawayState::default();
    for e in entrants(20) {
        state.evolve(&e);
    }
    let events = crate::Decider::decide(
        &state,
        GiveawayCommand::Draw { count: 3, seed: seed(), next_commitment: round_seed(1).commitment(), at: at(100) },
        &(),
    )
    .unwrap();
    assert!(matches!(events[0], GiveawayEvent::GiveawayClosed(GiveawayClosed { entries: 20, .. })));
    let GiveawayEvent::WinnersDrawn(drawn) = &events[1] else { panic!("{events:?}") };
    assert_eq!((drawn.round, drawn.seed.as_str(), drawn.winners.len()), (0, seed().to_hex().as_str(), 3));
    let expected = draw::pick_winners(&seed(), 0, 3, &vec![(1, true); 20]);
    assert_eq!(drawn.winners.iter().map(|w| w.entry as usize).collect::<Vec<_>>(), expected);
}

#[test]
fn a_seed_that_is_not_the_committed_one_is_refused() {
    Giveaway::with(())
        .given(entrants(3))
        .when(GiveawayCommand::Draw {
            count: 1,
            seed: Seed::from_bytes([1; 32]),
            next_commitment: round_seed(1).commitment(),
            at: at(9),
        })
        .then_expect_error(GiveawayError::SeedMismatch);
}

#[test]
fn drawing_from_an_empty_or_all_drawn_giveaway_is_a_clear_refusal() {
    Giveaway::with(())
        .given(vec![opened()])
        .when(GiveawayCommand::Draw { count: 1, seed: seed(), next_commitment: round_seed(1).commitment(), at: at(9) })
        .then_expect_error(GiveawayError::NobodyToDraw);
    let mut state = GiveawayState::default();
    for e in entrants(2) {
        state.evolve(&e);
    }
    for e in crate::Decider::decide(
        &state,
        GiveawayCommand::Draw { count: 2, seed: seed(), next_commitment: round_seed(1).commitment(), at: at(9) },
        &(),
    )
    .unwrap()
    {
        state.evolve(&e);
    }
    let winner = state.entries()[0].person.clone();
    assert_eq!(
        crate::Decider::decide(
            &state,
            GiveawayCommand::Redraw {
                replace: winner,
                seed: Some(round_seed(1)),
                next_commitment: round_seed(2).commitment(),
                at: at(10)
            },
            &()
        ),
        Err(GiveawayError::NobodyToDraw)
    );
}

#[test]
fn a_redraw_replaces_a_winner_with_someone_not_yet_drawn() {
    let mut state = GiveawayState::default();
    for e in entrants(10) {
        state.evolve(&e);
    }
    for e in crate::Decider::decide(
        &state,
        GiveawayCommand::Draw { count: 1, seed: seed(), next_commitment: round_seed(1).commitment(), at: at(20) },
        &(),
    )
    .unwrap()
    {
        state.evolve(&e);
    }
    let first = state.entries().iter().find(|e| e.won).unwrap().person.clone();
    let events = crate::Decider::decide(
        &state,
        GiveawayCommand::Redraw {
            replace: first.clone(),
            seed: Some(round_seed(1)),
            next_commitment: round_seed(2).commitment(),
            at: at(21),
        },
        &(),
    )
    .unwrap();
    let GiveawayEvent::WinnersDrawn(redrawn) = &events[0] else { panic!() };
    assert_eq!((redrawn.round, redrawn.replaces.as_ref()), (1, Some(&first)));
    assert_ne!(redrawn.winners[0].person, first);
    assert_eq!(
        crate::Decider::decide(
            &state,
            GiveawayCommand::Redraw {
                replace: account("twitch:nobody"),
                seed: Some(round_seed(1)),
                next_commitment: round_seed(2).commitment(),
                at: at(21)
            },
            &()
        ),
        Err(GiveawayError::NotAWinner("twitch:nobody".into()))
    );
}

#[test]
fn cancelling_counts_the_refunds_and_a_cancelled_giveaway_takes_nothing() {
    let mut free = enter("bob", 2);
    free.paid = 0;
    Giveaway::with(())
        .given(vec![opened(), accepted(enter("ada", 1), 1), accepted(free, 1)])
        .when(GiveawayCommand::Cancel { at: at(5) })
        .then_expect_events(vec![GiveawayEvent::GiveawayCancelled(GiveawayCancelled {
            refunds: 1,
            cancelled_at: at(5),
        })]);
    Giveaway::with(())
        .given(vec![opened(), GiveawayEvent::GiveawayCancelled(GiveawayCancelled { refunds: 0, cancelled_at: at(5) })])
        .when(GiveawayCommand::Enter(enter("ada", 6)))
        .then_expect_error(GiveawayError::Cancelled);
}

fn drawn_history() -> Vec<GiveawayEvent> {
    let mut state = GiveawayState::default();
    let mut history = entrants(30);
    for e in &history {
        state.evolve(e);
    }
    for command in
        [GiveawayCommand::Draw { count: 3, seed: seed(), next_commitment: round_seed(1).commitment(), at: at(100) }]
    {
        for e in crate::Decider::decide(&state, command, &()).unwrap() {
            state.evolve(&e);
            history.push(e);
        }
    }
    let first = state.entries().iter().find(|e| e.won).unwrap().person.clone();
    for e in crate::Decider::decide(
        &state,
        GiveawayCommand::Redraw {
            replace: first,
            seed: Some(round_seed(1)),
            next_commitment: round_seed(2).commitment(),
            at: at(101),
        },
        &(),
    )
    .unwrap()
    {
        state.evolve(&e);
        history.push(e);
    }
    history
}

#[test]
fn the_audit_recomputes_every_round_of_an_honest_giveaway() {
    let report = audit(&drawn_history());
    assert!(report.holds(), "{report:?}");
    assert_eq!((report.entries, report.rounds, report.winners[0].len(), report.winners[1].len()), (30, 2, 3, 1));
}

#[test]
fn the_audit_catches_a_tampered_seed_a_reordered_entry_list_and_forged_winners() {
    let mut seed_swapped = drawn_history();
    for e in &mut seed_swapped {
        if let GiveawayEvent::WinnersDrawn(d) = e {
            d.seed = Seed::from_bytes([7; 32]).to_hex();
        }
    }
    assert!(matches!(audit(&seed_swapped).findings[0], AuditFinding::SeedMismatch { round: 0, .. }));

    let mut reordered = drawn_history();
    // The entry list reversed: each place holds another person.
    reordered[1..31].reverse();
    assert!(audit(&reordered).findings.iter().any(|f| matches!(f, AuditFinding::WinnersMismatch { .. })));

    let mut forged = drawn_history();
    for e in &mut forged {
        if let GiveawayEvent::WinnersDrawn(d) = e {
            d.winners[0].person = account("twitch:mallory");
        }
    }
    assert!(matches!(audit(&forged).findings[0], AuditFinding::WinnersMismatch { round: 0, .. }));

    assert_eq!(audit(&drawn_history()[1..]).findings, vec![AuditFinding::NotOpened]);
}

/// Issue 26, item 11: a redraw reused the seed the first draw had already
/// revealed, so anyone could compute every redraw in advance, and a
/// moderator could choose whom to `replace` to steer who wins.
#[test]
fn a_redraw_reveals_the_fresh_seed_its_round_was_committed_to() {
    let mut state = GiveawayState::default();
    for e in entrants(30) {
        state.evolve(&e);
    }
    let draw =
        GiveawayCommand::Draw { count: 1, seed: seed(), next_commitment: round_seed(1).commitment(), at: at(20) };
    for e in crate::Decider::decide(&state, draw, &()).unwrap() {
        state.evolve(&e);
    }
    let first = state.entries().iter().find(|e| e.won).unwrap().person.clone();
    let redraw = |seed: Option<Seed>| GiveawayCommand::Redraw {
        replace: first.clone(),
        seed,
        next_commitment: round_seed(2).commitment(),
        at: at(21),
    };
    // The revealed seed, or none, does not redraw: the round's own does.
    assert_eq!(crate::Decider::decide(&state, redraw(Some(seed())), &()), Err(GiveawayError::SeedMismatch));
    assert_eq!(crate::Decider::decide(&state, redraw(None), &()), Err(GiveawayError::SeedMismatch));
    let events = crate::Decider::decide(&state, redraw(Some(round_seed(1))), &()).unwrap();
    let GiveawayEvent::WinnersDrawn(redrawn) = &events[0] else { panic!("{events:?}") };
    assert_eq!(redrawn.seed, round_seed(1).to_hex());
    assert_eq!(redrawn.next_commitment.as_deref(), Some(round_seed(2).commitment().as_str()));
    // What the revealed seed would have picked is not what was picked:
    // the pool is the same, only the seed differs.
    let pool: Vec<(u64, bool)> = state.entries().iter().map(|e| (u64::from(e.weight), !e.won)).collect();
    assert_eq!(
        redrawn.winners.iter().map(|w| w.entry as usize).collect::<Vec<_>>(),
        draw::pick_winners(&round_seed(1), 1, 1, &pool)
    );
}

/// A giveaway drawn before rounds had their own seeds (its draw logged no
/// `next_commitment`) still redraws, with the revealed seed as then, and
/// its audit holds; the redraw commits the round after it.
#[test]
fn a_giveaway_drawn_before_round_seeds_still_redraws_and_audits() {
    let mut history = entrants(10);
    let mut state = GiveawayState::default();
    for e in &history {
        state.evolve(e);
    }
    let draw =
        GiveawayCommand::Draw { count: 1, seed: seed(), next_commitment: round_seed(1).commitment(), at: at(20) };
    for mut e in crate::Decider::decide(&state, draw, &()).unwrap() {
        if let GiveawayEvent::WinnersDrawn(d) = &mut e {
            d.next_commitment = None;
        }
        state.evolve(&e);
        history.push(e);
    }
    let first = state.entries().iter().find(|e| e.won).unwrap().person.clone();
    let redraw =
        GiveawayCommand::Redraw { replace: first, seed: None, next_commitment: round_seed(2).commitment(), at: at(21) };
    for e in crate::Decider::decide(&state, redraw, &()).unwrap() {
        let GiveawayEvent::WinnersDrawn(d) = &e else { panic!() };
        assert_eq!(d.seed, seed().to_hex(), "the revealed seed, as redraws were then");
        state.evolve(&e);
        history.push(e);
    }
    let report = audit(&history);
    assert!(report.holds(), "{report:?}");
    assert_eq!(report.rounds, 2);
}
