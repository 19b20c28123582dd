//! Given/when/then: every rule and refusal of a command's uses.

use cqrs_es::test::TestFramework;

use super::*;
use crate::channel::ResponseTemplate;
use crate::value::*;

type Uses = TestFramework<CommandUseState>;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_800_000_000_000_000 + seconds * 1_000_000).unwrap()
}

fn invoker(message: &str, user: &str) -> Invoker {
    Invoker {
        message_id: MessageId::parse(message).unwrap(),
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse("shroud").unwrap(),
        user_id: PlatformUserId::parse(user).unwrap(),
        author: DisplayName::parse(user).unwrap(),
    }
}

fn render(cooldown: u32, user_cooldown: u32) -> Prepared {
    Prepared::Render {
        template: ResponseTemplate::parse("$(user) hugs $(touser) (#$(count))").unwrap(),
        args: "@bob".into(),
        min_level: UserLevel::Subscriber,
        cooldown_seconds: cooldown,
        user_cooldown_seconds: user_cooldown,
        points: 10,
        cost: 0,
        live_since: None,
    }
}

fn use_by(message: &str, user: &str, level: UserLevel, seconds: i64, prepared: Prepared) -> CommandUse {
    CommandUse::Decide(UseCommand {
        invoker: invoker(message, user),
        command: CommandName::parse("hug").unwrap(),
        level,
        settings_version: 3,
        at: at(seconds),
        prepared,
    })
}

fn answered(message: &str, user: &str, seconds: i64, count: u64) -> CommandUseEvent {
    CommandUseEvent::CommandAnswered(CommandAnswered {
        invoker: invoker(message, user),
        command: CommandName::parse("hug").unwrap(),
        reply: format!("{user} hugs bob (#{count})"),
        count,
        cost: 0,
        settings_version: 3,
        answered_at: at(seconds),
    })
}

fn refused_for(events: Vec<CommandUseEvent>) -> Option<RefusalReason> {
    match events.as_slice() {
        [CommandUseEvent::CommandRefused(r)] => Some(r.reason),
        _ => None,
    }
}

#[test]
fn a_use_is_answered_rendered_and_counted() {
    Uses::with(())
        .given(vec![answered("m1", "ada", 0, 1)])
        .when(use_by("m2", "cy", UserLevel::Subscriber, 60, render(30, 0)))
        .then_expect_events(vec![answered("m2", "cy", 60, 2)]);
}

#[test]
fn the_global_cooldown_refuses_everyone_but_moderators() {
    let given = vec![answered("m1", "ada", 0, 1)];
    let events = Uses::with(())
        .given(given.clone())
        .when(use_by("m2", "cy", UserLevel::Subscriber, 29, render(30, 0)))
        .inspect_result()
        .unwrap();
    assert_eq!(refused_for(events), Some(RefusalReason::Cooldown));
    Uses::with(())
        .given(given)
        .when(use_by("m3", "mo", UserLevel::Moderator, 29, render(30, 0)))
        .then_expect_events(vec![answered("m3", "mo", 29, 2)]);
}

#[test]
fn the_per_viewer_cooldown_holds_per_viewer() {
    let given = vec![answered("m1", "ada", 0, 1)];
    let events = Uses::with(())
        .given(given.clone())
        .when(use_by("m2", "ada", UserLevel::Vip, 100, render(0, 120)))
        .inspect_result()
        .unwrap();
    assert_eq!(refused_for(events), Some(RefusalReason::UserCooldown));
    Uses::with(())
        .given(given)
        .when(use_by("m3", "cy", UserLevel::Vip, 100, render(0, 120)))
        .then_expect_events(vec![answered("m3", "cy", 100, 2)]);
}

#[test]
fn a_level_too_low_is_refused_silently() {
    let events = Uses::with(())
        .given_no_previous_events()
        .when(use_by("m1", "ada", UserLevel::Everyone, 0, render(0, 0)))
        .inspect_result()
        .unwrap();
    match events.as_slice() {
        [CommandUseEvent::CommandRefused(r)] => {
            assert_eq!((r.reason, r.reply.as_deref()), (RefusalReason::Level, None));
            assert_eq!(r.detail, "needs subscriber, has everyone");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_message_is_decided_once_and_an_abandoned_use_only_if_undecided() {
    let given = vec![answered("m1", "ada", 0, 1)];
    Uses::with(())
        .given(given.clone())
        .when(use_by("m1", "ada", UserLevel::Subscriber, 0, render(0, 0)))
        .then_expect_events(vec![]);
    let abandon = |message: &str| {
        CommandUse::Abandon(AbandonUse {
            invoker: invoker(message, "ada"),
            command: CommandName::parse("hug").unwrap(),
            at: at(5),
        })
    };
    Uses::with(()).given(given.clone()).when(abandon("m1")).then_expect_events(vec![]);
    let events = Uses::with(()).given(given).when(abandon("m2")).inspect_result().unwrap();
    assert_eq!(refused_for(events), Some(RefusalReason::Interrupted));
}

#[test]
fn built_in_answers_are_recorded_and_replies_fit_the_platform() {
    let long = "x".repeat(600);
    let events = Uses::with(())
        .given_no_previous_events()
        .when(use_by("m1", "ada", UserLevel::Everyone, 0, Prepared::Answer { reply: long }))
        .inspect_result()
        .unwrap();
    let reply = events[0].reply().unwrap();
    assert_eq!((reply.chars().count(), reply.ends_with('…')), (500, true));
}

#[test]
fn state_remembers_decisions_and_counts() {
    let mut state = CommandUseState::default();
    state.evolve(&answered("m1", "ada", 0, 1));
    assert_eq!(state.count(), 1);
    assert_eq!(state.decision_of(&MessageId::parse("m1").unwrap()), Some(true));
    assert_eq!(state.decision_of(&MessageId::parse("m9").unwrap()), None);
}
