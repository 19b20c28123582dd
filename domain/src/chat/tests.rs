//! Given/when/then: every rule and refusal of the chat aggregate.

use cqrs_es::test::TestFramework;
use time::Duration;

use super::*;
use crate::value::*;

type Chat = TestFramework<ChatState>;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_800_000_000_000_000 + seconds * 1_000_000).unwrap()
}

fn viewer() -> Viewer {
    Viewer {
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse("shroud").unwrap(),
        user_id: PlatformUserId::parse("12345").unwrap(),
    }
}

fn message(id: &str, text: &str, sent_at: Timestamp) -> ReceiveChatMessage {
    ReceiveChatMessage {
        viewer: viewer(),
        message_id: MessageId::parse(id).unwrap(),
        author: DisplayName::parse("Viewer One").unwrap(),
        role: Role::Subscriber,
        text: ChatText::parse(text).unwrap(),
        sent_at,
    }
}

fn received(m: &ReceiveChatMessage) -> ChatEvent {
    ChatEvent::ChatMessageReceived(ChatMessageReceived {
        platform: m.viewer.platform,
        channel: m.viewer.channel.clone(),
        user_id: m.viewer.user_id.clone(),
        message_id: m.message_id.clone(),
        author: m.author.clone(),
        role: m.role,
        text: m.text.clone(),
        sent_at: m.sent_at,
    })
}

fn awarded(balance: u64, at: Timestamp) -> ChatEvent {
    ChatEvent::PointsAwarded(PointsAwarded { points: 1, balance, awarded_at: at })
}

#[test]
fn a_first_message_is_recorded_and_earns_a_point() {
    let m = message("m1", "hello", at(0));
    Chat::with(PointsPolicy::default())
        .given_no_previous_events()
        .when(ChatCommand::ReceiveChatMessage(m.clone()))
        .then_expect_events(vec![received(&m), awarded(1, at(0))]);
}

#[test]
fn a_message_within_the_cooldown_earns_nothing() {
    let first = message("m1", "hello", at(0));
    let second = message("m2", "again", at(59));
    Chat::with(PointsPolicy::default())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(second.clone()))
        .then_expect_events(vec![received(&second)]);
}

#[test]
fn a_message_after_the_cooldown_earns_the_next_point() {
    let first = message("m1", "hello", at(0));
    let later = message("m2", "still here", at(60));
    Chat::with(PointsPolicy::default())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(later.clone()))
        .then_expect_events(vec![received(&later), awarded(2, at(60))]);
}

#[test]
fn the_cooldown_runs_on_platform_time_not_arrival_order() {
    // A message stamped before the last award (a late backlog) earns nothing.
    let first = message("m1", "hello", at(100));
    let backlog = message("m0", "earlier", at(10));
    Chat::with(PointsPolicy::default())
        .given(vec![received(&first), awarded(1, at(100))])
        .when(ChatCommand::ReceiveChatMessage(backlog.clone()))
        .then_expect_events(vec![received(&backlog)]);
}

#[test]
fn the_policy_sets_points_and_cooldown() {
    let policy = PointsPolicy { points_per_award: 5, cooldown: Duration::seconds(10) };
    let first = message("m1", "hello", at(0));
    let second = message("m2", "again", at(10));
    Chat::with(policy)
        .given(vec![
            received(&first),
            ChatEvent::PointsAwarded(PointsAwarded { points: 5, balance: 5, awarded_at: at(0) }),
        ])
        .when(ChatCommand::ReceiveChatMessage(second.clone()))
        .then_expect_events(vec![
            received(&second),
            ChatEvent::PointsAwarded(PointsAwarded { points: 5, balance: 10, awarded_at: at(10) }),
        ]);
}

#[test]
fn a_redelivered_message_id_changes_nothing() {
    let m = message("m1", "hello", at(0));
    let redelivered = message("m1", "hello", at(120));
    Chat::with(PointsPolicy::default())
        .given(vec![received(&m), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(redelivered))
        .then_expect_events(vec![]);
}

#[test]
fn only_recent_message_ids_are_remembered() {
    let mut given = Vec::new();
    for i in 0..=REMEMBERED_MESSAGE_IDS {
        given.push(received(&message(&format!("m{i}"), "spam", at(0))));
    }
    // m0 has been forgotten, m1 has not.
    let forgotten = message("m0", "spam", at(0));
    Chat::with(PointsPolicy::default())
        .given(given.clone())
        .when(ChatCommand::ReceiveChatMessage(forgotten.clone()))
        .then_expect_events(vec![received(&forgotten), awarded(1, at(0))]);
    Chat::with(PointsPolicy::default())
        .given(given)
        .when(ChatCommand::ReceiveChatMessage(message("m1", "spam", at(0))))
        .then_expect_events(vec![]);
}

#[test]
fn a_bang_command_is_recorded_as_an_invocation() {
    let m = message("m1", "!Clip 30", at(0));
    Chat::with(PointsPolicy::default())
        .given_no_previous_events()
        .when(ChatCommand::ReceiveChatMessage(m.clone()))
        .then_expect_events(vec![
            received(&m),
            ChatEvent::ChatCommandInvoked(ChatCommandInvoked {
                message_id: m.message_id.clone(),
                name: "clip".into(),
                args: "30".into(),
                invoked_at: at(0),
            }),
            awarded(1, at(0)),
        ]);
}

#[test]
fn a_message_for_another_viewer_is_refused() {
    let first = message("m1", "hello", at(0));
    let mut other = message("m2", "hi", at(90));
    other.viewer.user_id = PlatformUserId::parse("999").unwrap();
    Chat::with(PointsPolicy::default())
        .given(vec![received(&first)])
        .when(ChatCommand::ReceiveChatMessage(other))
        .then_expect_error(ChatError::ViewerMismatch);
}

#[test]
fn evolve_tracks_balance_and_message_count() {
    let mut state = ChatState::default();
    for event in [received(&message("m1", "a", at(0))), awarded(1, at(0)), received(&message("m2", "b", at(1)))] {
        state.evolve(&event);
    }
    assert_eq!((state.balance(), state.messages()), (1, 2));
}
