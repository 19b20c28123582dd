//! Given/when/then: a delivery starts once, settles once, and what a
//! stopped process left unsettled becomes of unknown fate.

use cqrs_es::test::TestFramework;

use super::*;
use crate::aggregate::Decider;
use crate::value::*;

type Deliveries = TestFramework<DeliveryState>;

fn at() -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000).unwrap()
}

fn start(id: &str) -> DeliveryCommand {
    DeliveryCommand::Start {
        delivery: id.into(),
        kind: DeliveryKind::Reply,
        message_id: Some(MessageId::parse("m-1").unwrap()),
        user_id: None,
        text: "@Ada, you have 3 points".into(),
        at: at(),
    }
}

fn started(id: &str) -> DeliveryEvent {
    DeliveryEvent::DeliveryStarted(DeliveryStarted {
        delivery: id.into(),
        kind: DeliveryKind::Reply,
        message_id: Some(MessageId::parse("m-1").unwrap()),
        user_id: None,
        text: "@Ada, you have 3 points".into(),
        at: at(),
    })
}

#[test]
fn a_delivery_starts_once() {
    Deliveries::with(())
        .given_no_previous_events()
        .when(start("reply:m-1:0"))
        .then_expect_events(vec![started("reply:m-1:0")]);
    Deliveries::with(()).given(vec![started("reply:m-1:0")]).when(start("reply:m-1:0")).then_expect_events(vec![]);
    // Settled and forgotten by the state: the store's once key refuses it.
    let key = DeliveryState::once_key(&started("reply:m-1:0"));
    assert_eq!(key.as_deref(), Some("delivery:reply:m-1:0"));
}

#[test]
fn it_settles_once_with_the_platforms_words() {
    let failed = DeliveryCommand::Settle {
        delivery: "reply:m-1:0".into(),
        outcome: Outcome::Failed { status: 400, answer: "x".repeat(2_000) },
        at: at(),
    };
    Deliveries::with(()).given(vec![started("reply:m-1:0")]).when(failed.clone()).then_expect_events(vec![
        DeliveryEvent::DeliveryFailed(DeliveryFailed {
            delivery: "reply:m-1:0".into(),
            status: 400,
            answer: "x".repeat(MAX_TEXT),
            at: at(),
        }),
    ]);
    let executed = DeliveryEvent::DeliveryExecuted(DeliveryExecuted {
        delivery: "reply:m-1:0".into(),
        platform_id: Some("abc".into()),
        at: at(),
    });
    Deliveries::with(())
        .given(vec![started("reply:m-1:0"), executed])
        .when(failed)
        .then_expect_error(DeliveryError::NotUnsettled("reply:m-1:0".into()));
}

#[test]
fn what_a_stopped_process_left_unsettled_is_of_unknown_fate() {
    let settled = DeliveryEvent::DeliveryExecuted(DeliveryExecuted {
        delivery: "reply:m-1:0".into(),
        platform_id: None,
        at: at(),
    });
    let unknown = |id: &str| DeliveryEvent::DeliveryFateUnknown(DeliveryFateUnknown { delivery: id.into(), at: at() });
    Deliveries::with(())
        .given(vec![started("reply:m-1:0"), settled, started("reply:m-2:0"), started("timeout:m-3:0")])
        .when(DeliveryCommand::GiveUpUnsettled { at: at() })
        .then_expect_events(vec![unknown("reply:m-2:0"), unknown("timeout:m-3:0")]);
    Deliveries::with(())
        .given_no_previous_events()
        .when(DeliveryCommand::GiveUpUnsettled { at: at() })
        .then_expect_events(vec![]);
}

#[test]
fn ids_are_checked_and_unsettled_deliveries_bounded() {
    for bad in ["", "a\nb", &"x".repeat(MAX_ID + 1)] {
        Deliveries::with(()).given_no_previous_events().when(start(bad)).then_expect_error(DeliveryError::InvalidId);
    }
    let many: Vec<DeliveryEvent> = (0..MAX_UNSETTLED).map(|n| started(&format!("reply:m-{n}:0"))).collect();
    Deliveries::with(())
        .given(many)
        .when(start("reply:one-more:0"))
        .then_expect_error(DeliveryError::TooManyUnsettled { max: MAX_UNSETTLED });
}
