//! Given/when/then: each kind recorded with its payout, redeliveries
//! dropped, anonymous support paid to nobody, online and offline.

use cqrs_es::test::TestFramework;

use super::*;
use crate::aggregate::Decider;
use crate::value::*;

type Broadcast = TestFramework<BroadcastState>;

fn at(second: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000 + second * 1_000_000).unwrap()
}

fn policy() -> SupportPolicy {
    SupportPolicy::example()
}

fn ada() -> Supporter {
    Supporter { user_id: PlatformUserId::parse("1234").unwrap(), name: DisplayName::parse("ada").unwrap() }
}

fn record(id: &str, what: What) -> BroadcastCommand {
    BroadcastCommand::Record {
        happening: Happening { event_id: PlatformEventId::parse(id).unwrap(), what, at: at(5) },
        policy: policy(),
    }
}

fn received(id: &str, kind: SupportKind) -> SupportReceived {
    SupportReceived {
        event_id: PlatformEventId::parse(id).unwrap(),
        kind,
        user_id: Some(ada().user_id),
        user_name: Some(ada().name),
        tier: None,
        amount: 1,
        gifted: false,
        message: String::new(),
        reward: String::new(),
        points: 0,
        at: at(5),
    }
}

#[test]
fn a_follow_is_recorded_with_its_payout() {
    Broadcast::with(()).given_no_previous_events().when(record("f1", What::Follow { by: ada() })).then_expect_events(
        vec![BroadcastEvent::SupportReceived(SupportReceived { points: 10, ..received("f1", SupportKind::Follow) })],
    );
}

#[test]
fn a_redelivery_records_nothing() {
    let first = BroadcastEvent::SupportReceived(SupportReceived { points: 10, ..received("f1", SupportKind::Follow) });
    Broadcast::with(()).given(vec![first]).when(record("f1", What::Follow { by: ada() })).then_expect_events(vec![]);
}

#[test]
fn a_gift_pays_its_gifter_per_sub_and_its_receivers_nothing() {
    Broadcast::with(())
        .given_no_previous_events()
        .when(record("g1", What::Gift { by: Some(ada()), tier: SubTier::Two, count: 5 }))
        .then_expect_events(vec![BroadcastEvent::SupportReceived(SupportReceived {
            tier: Some(SubTier::Two),
            amount: 5,
            points: 1_000,
            ..received("g1", SupportKind::Gift)
        })]);
    Broadcast::with(())
        .given_no_previous_events()
        .when(record("s1", What::Sub { by: ada(), tier: SubTier::Two, gifted: true }))
        .then_expect_events(vec![BroadcastEvent::SupportReceived(SupportReceived {
            tier: Some(SubTier::Two),
            gifted: true,
            ..received("s1", SupportKind::Sub)
        })]);
}

#[test]
fn anonymous_support_pays_nobody() {
    Broadcast::with(())
        .given_no_previous_events()
        .when(record("c1", What::Cheer { by: None, bits: 1_000, message: "Cheer1000".into() }))
        .then_expect_events(vec![BroadcastEvent::SupportReceived(SupportReceived {
            user_id: None,
            user_name: None,
            amount: 1_000,
            message: "Cheer1000".into(),
            ..received("c1", SupportKind::Cheer)
        })]);
}

#[test]
fn cheers_raids_and_resubs_pay_per_their_count() {
    let events = |what| {
        let mut state = BroadcastState::default();
        let events = state.decide(record("x", what), &()).unwrap();
        events.iter().for_each(|e| state.evolve(e));
        match &events[..] {
            [BroadcastEvent::SupportReceived(e)] => e.points,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(events(What::Cheer { by: Some(ada()), bits: 399, message: String::new() }), 15);
    assert_eq!(events(What::Raid { by: ada(), viewers: 42 }), 84);
    assert_eq!(events(What::Resub { by: ada(), tier: SubTier::Three, months: 12, message: "hi".into() }), 500);
}

#[test]
fn a_message_past_chats_limit_is_refused_and_a_gift_of_nothing_too() {
    let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    let refused = BroadcastState::default().decide(record("c", What::Cheer { by: None, bits: 1, message: long }), &());
    assert_eq!(refused.unwrap_err().field(), Some("message"));
    let refused =
        BroadcastState::default().decide(record("g", What::Gift { by: None, tier: SubTier::One, count: 0 }), &());
    assert_eq!(refused.unwrap_err().field(), Some("count"));
}

#[test]
fn online_then_offline_tells_when_the_stream_went_live() {
    let mut state = BroadcastState::default();
    for (id, what) in [("on", What::Online { started_at: at(1) }), ("off", What::Offline)] {
        for e in state.decide(record(id, what), &()).unwrap() {
            if let BroadcastEvent::StreamEnded(ended) = &e {
                assert_eq!(ended.started_at, Some(at(1)), "the end names the start it ends");
            }
            state.evolve(&e);
            if id == "on" {
                assert_eq!(state.live_since(), Some(at(1)));
            }
        }
    }
    assert_eq!(state.live_since(), None);
}

#[test]
fn every_record_carries_its_once_key() {
    let e = BroadcastEvent::SupportReceived(received("abc", SupportKind::Follow));
    assert_eq!(BroadcastState::once_key(&e).as_deref(), Some("happened:abc"));
}

#[test]
fn a_message_deleted_or_chat_cleared_on_the_platform_is_recorded_once() {
    let deleted = What::MessageDeleted {
        message_id: MessageId::parse("m-1").unwrap(),
        user_id: PlatformUserId::parse("1234").unwrap(),
    };
    let mut state = BroadcastState::default();
    let events = state.decide(record("d1", deleted.clone()), &()).unwrap();
    assert!(matches!(&events[..], [BroadcastEvent::ChatMessageDeleted(e)] if e.message_id.as_str() == "m-1"));
    events.iter().for_each(|e| state.evolve(e));
    assert!(state.decide(record("d1", deleted), &()).unwrap().is_empty(), "delivered again");
    let cleared = state.decide(record("c1", What::ChatCleared), &()).unwrap();
    assert!(matches!(&cleared[..], [BroadcastEvent::ChatCleared(_)]));
}
