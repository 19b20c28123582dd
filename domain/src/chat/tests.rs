//! Given/when/then: every rule and refusal of the chat aggregate.

use cqrs_es::test::TestFramework;

use super::*;
use crate::aggregate::Decider;
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
        points: PointsPolicy::default(),
        invocation: parse_invocation(text),
        points_request: None,
        level: UserLevel::Subscriber,
        emotes: 0,
        moderation: crate::moderation::ModerationRules::default(),
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
    Chat::with(())
        .given_no_previous_events()
        .when(ChatCommand::ReceiveChatMessage(m.clone()))
        .then_expect_events(vec![received(&m), awarded(1, at(0))]);
}

#[test]
fn a_message_within_the_cooldown_earns_nothing() {
    let first = message("m1", "hello", at(0));
    let second = message("m2", "again", at(59));
    Chat::with(())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(second.clone()))
        .then_expect_events(vec![received(&second)]);
}

#[test]
fn a_message_after_the_cooldown_earns_the_next_point() {
    let first = message("m1", "hello", at(0));
    let later = message("m2", "still here", at(60));
    Chat::with(())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(later.clone()))
        .then_expect_events(vec![received(&later), awarded(2, at(60))]);
}

#[test]
fn the_cooldown_runs_on_platform_time_not_arrival_order() {
    // A message stamped before the last award (a late backlog) earns nothing.
    let first = message("m1", "hello", at(100));
    let backlog = message("m0", "earlier", at(10));
    Chat::with(())
        .given(vec![received(&first), awarded(1, at(100))])
        .when(ChatCommand::ReceiveChatMessage(backlog.clone()))
        .then_expect_events(vec![received(&backlog)]);
}

#[test]
fn the_policy_sets_points_and_cooldown() {
    let policy = PointsPolicy { points_per_message: 5, cooldown_seconds: 10, ..PointsPolicy::default() };
    let first = message("m1", "hello", at(0));
    let mut second = message("m2", "again", at(10));
    second.points = policy;
    second.role = Role::Viewer;
    Chat::with(())
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
    Chat::with(())
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
    Chat::with(())
        .given(given.clone())
        .when(ChatCommand::ReceiveChatMessage(forgotten.clone()))
        .then_expect_events(vec![received(&forgotten), awarded(1, at(0))]);
    Chat::with(())
        .given(given)
        .when(ChatCommand::ReceiveChatMessage(message("m1", "spam", at(0))))
        .then_expect_events(vec![]);
}

#[test]
fn a_bang_command_is_recorded_as_an_invocation() {
    let m = message("m1", "!Clip 30", at(0));
    Chat::with(()).given_no_previous_events().when(ChatCommand::ReceiveChatMessage(m.clone())).then_expect_events(
        vec![
            received(&m),
            ChatEvent::ChatCommandInvoked(ChatCommandInvoked {
                message_id: m.message_id.clone(),
                name: "clip".into(),
                args: "30".into(),
                invoked_at: at(0),
            }),
            awarded(1, at(0)),
        ],
    );
}

#[test]
fn a_message_for_another_viewer_is_refused() {
    let first = message("m1", "hello", at(0));
    let mut other = message("m2", "hi", at(90));
    other.viewer.user_id = PlatformUserId::parse("999").unwrap();
    Chat::with(())
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

// The points economy.

fn with_request(id: &str, text: &str, sent_at: Timestamp, request: PointsRequest) -> ReceiveChatMessage {
    ReceiveChatMessage { points_request: Some(request), ..message(id, text, sent_at) }
}

fn bob() -> PlatformUserId {
    PlatformUserId::parse("bob").unwrap()
}

#[test]
fn a_price_is_taken_after_the_messages_own_award() {
    let first = message("m1", "hello", at(0));
    let m = with_request(
        "m2",
        "!hug",
        at(60),
        PointsRequest::Spend { command: CommandName::parse("hug").unwrap(), cost: 2 },
    );
    Chat::with(())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(m.clone()))
        .then_expect_events(vec![
            received(&m),
            ChatEvent::ChatCommandInvoked(ChatCommandInvoked {
                message_id: m.message_id.clone(),
                name: "hug".into(),
                args: "".into(),
                invoked_at: at(60),
            }),
            awarded(2, at(60)),
            ChatEvent::PointsSpent(PointsSpent {
                message_id: m.message_id.clone(),
                command: CommandName::parse("hug").unwrap(),
                points: 2,
                balance: 0,
            }),
        ]);
}

#[test]
fn a_price_or_gift_beyond_the_balance_moves_nothing() {
    let first = message("m1", "hello", at(0));
    let m = with_request("m2", "!give @bob 5", at(1), PointsRequest::Give { to: bob(), points: 5 });
    let refused = ChatEvent::PointsRequestRefused(PointsRequestRefused {
        message_id: m.message_id.clone(),
        reason: PointsRefusal::Insufficient,
        points: 5,
        balance: 1,
    });
    let mut events = Chat::with(())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(m.clone()))
        .inspect_result()
        .unwrap();
    assert_eq!(events.pop(), Some(refused));
}

#[test]
fn a_gift_is_a_debit_named_by_its_transfer_and_not_to_oneself() {
    let first = message("m1", "hello", at(0));
    let give = with_request("m2", "!give @bob 1", at(1), PointsRequest::Give { to: bob(), points: 1 });
    let events = Chat::with(())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(give.clone()))
        .inspect_result()
        .unwrap();
    assert_eq!(
        events.last(),
        Some(&ChatEvent::PointsSent(PointsSent {
            transfer_id: transfer_id(&give.viewer, &give.message_id),
            message_id: give.message_id.clone(),
            to_user_id: bob(),
            points: 1,
            balance: 0,
        }))
    );
    let to_self = with_request("m3", "!give me", at(2), PointsRequest::Give { to: viewer().user_id, points: 1 });
    let events = Chat::with(())
        .given(vec![received(&first), awarded(1, at(0))])
        .when(ChatCommand::ReceiveChatMessage(to_self))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events.last(),
        Some(ChatEvent::PointsRequestRefused(PointsRequestRefused { reason: PointsRefusal::SelfTransfer, .. }))
    ));
}

#[test]
fn a_transfer_is_credited_once() {
    let credit = ReceivePoints {
        viewer: Viewer { user_id: bob(), ..viewer() },
        transfer_id: uuid::Uuid::from_u128(7),
        from: viewer().user_id,
        points: 3,
        received_at: at(0),
    };
    let received = ChatEvent::PointsReceived(PointsReceived {
        transfer_id: credit.transfer_id,
        from_user_id: viewer().user_id,
        points: 3,
        balance: 3,
    });
    Chat::with(())
        .given_no_previous_events()
        .when(ChatCommand::ReceivePoints(credit.clone()))
        .then_expect_events(vec![received.clone()]);
    Chat::with(()).given(vec![received]).when(ChatCommand::ReceivePoints(credit)).then_expect_events(vec![]);
}

#[test]
fn a_refund_gives_back_a_price_once() {
    let spent = ChatEvent::PointsSpent(PointsSpent {
        message_id: MessageId::parse("m2").unwrap(),
        command: CommandName::parse("hug").unwrap(),
        points: 4,
        balance: 1,
    });
    let refunded = ChatEvent::PointsRefunded(PointsRefunded {
        message_id: MessageId::parse("m2").unwrap(),
        points: 4,
        balance: 5,
    });
    // The price the stream remembers wins over the caller's.
    let refund = ChatCommand::RefundSpend { message_id: MessageId::parse("m2").unwrap(), points: 9 };
    Chat::with(()).given(vec![spent.clone()]).when(refund.clone()).then_expect_events(vec![refunded.clone()]);
    // A price the stream no longer remembers (refunded, or let go by its
    // bounded memory) is refunded at the caller's price, under the once key
    // the store holds at most once per stream: a second refund of the same
    // message is the store's to refuse.
    let again = ChatEvent::PointsRefunded(PointsRefunded {
        message_id: MessageId::parse("m2").unwrap(),
        points: 9,
        balance: 14,
    });
    Chat::with(()).given(vec![spent, refunded.clone()]).when(refund).then_expect_events(vec![again.clone()]);
    assert_eq!(<ChatState as Decider>::once_key(&refunded), <ChatState as Decider>::once_key(&again));
    assert_eq!(<ChatState as Decider>::once_key(&refunded).as_deref(), Some("refund:m2"));
}

#[test]
fn the_daily_bonus_is_once_per_utc_day() {
    let claimed = |at| {
        ChatEvent::DailyBonusClaimed(DailyBonusClaimed {
            message_id: MessageId::parse("d1").unwrap(),
            points: 50,
            balance: 50,
            claimed_at: at,
        })
    };
    let again = with_request("d2", "!daily", at(3_600), PointsRequest::Daily);
    let events = Chat::with(())
        .given(vec![claimed(at(0))])
        .when(ChatCommand::ReceiveChatMessage(again))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events.last(),
        Some(ChatEvent::PointsRequestRefused(PointsRequestRefused { reason: PointsRefusal::DailyClaimed, .. }))
    ));
    let tomorrow = with_request("d3", "!daily", at(86_400), PointsRequest::Daily);
    let events = Chat::with(())
        .given(vec![claimed(at(0))])
        .when(ChatCommand::ReceiveChatMessage(tomorrow))
        .inspect_result()
        .unwrap();
    assert!(matches!(events.last(), Some(ChatEvent::DailyBonusClaimed(d)) if d.balance == 101));
}

#[test]
fn subscribers_earn_their_percentage() {
    let mut m = message("m1", "hi", at(0));
    m.points = PointsPolicy { points_per_message: 10, subscriber_percent: 150, ..PointsPolicy::default() };
    let events =
        Chat::with(()).given_no_previous_events().when(ChatCommand::ReceiveChatMessage(m)).inspect_result().unwrap();
    assert_eq!(events.last(), Some(&awarded_points(15, 15, at(0))));
}

fn awarded_points(points: u64, balance: u64, at: Timestamp) -> ChatEvent {
    ChatEvent::PointsAwarded(PointsAwarded { points, balance, awarded_at: at })
}

mod conservation {
    //! Random gives and spends among a few viewers, with the process
    //! killed at random between a debit and its credit (or between a
    //! refused use and its refund), then the process manager finishing the
    //! work from the log, redelivering as it likes. No point is ever minted
    //! or lost: the balances add up to what was awarded minus what was
    //! spent, and none is negative.

    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;
    use crate::aggregate::Decider;

    #[derive(Debug, Clone)]
    enum Op {
        Chat {
            who: usize,
        },
        Give {
            from: usize,
            to: usize,
            points: u64,
            killed: bool,
        },
        Spend {
            who: usize,
            cost: u64,
            refused: bool,
            killed: bool,
        },
        /// The process manager works off one pending settlement, maybe twice.
        Settle {
            redeliver: bool,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..4usize).prop_map(|who| Op::Chat { who }),
            (0..4usize, 0..4usize, 0..6u64, any::<bool>()).prop_map(|(from, to, points, killed)| Op::Give {
                from,
                to,
                points,
                killed
            }),
            (0..4usize, 0..6u64, any::<bool>(), any::<bool>()).prop_map(|(who, cost, refused, killed)| Op::Spend {
                who,
                cost,
                refused,
                killed
            }),
            any::<bool>().prop_map(|redeliver| Op::Settle { redeliver }),
        ]
    }

    /// A viewer's stream as the store holds it: the state, and the once
    /// keys written, which the store never takes twice.
    #[derive(Default)]
    struct Stored {
        state: ChatState,
        once: std::collections::HashSet<String>,
    }

    impl Stored {
        fn balance(&self) -> u64 {
            self.state.balance()
        }
    }

    /// Decides and writes, as the command bus does: a command whose events
    /// repeat a once key the stream holds writes nothing.
    fn apply(stream: &mut Stored, command: ChatCommand) -> Vec<ChatEvent> {
        let events = stream.state.decide(command, &()).expect("never refused as a command");
        let keys: Vec<String> = events.iter().filter_map(<ChatState as Decider>::once_key).collect();
        if keys.iter().any(|k| stream.once.contains(k)) {
            return vec![];
        }
        stream.once.extend(keys);
        for event in &events {
            stream.state.evolve(event);
        }
        events
    }

    proptest! {
        #[test]
        fn no_point_is_minted_or_lost(ops in proptest::collection::vec(op(), 1..120)) {
            let users: Vec<Viewer> = (0..4)
                .map(|i| Viewer { user_id: PlatformUserId::parse(format!("u{i}")).unwrap(), ..viewer() })
                .collect();
            let mut states: Vec<Stored> = (0..4).map(|_| Stored::default()).collect();
            let (mut awarded, mut spent) = (0u64, 0u64);
            // What a killed process left for the process manager: from the log.
            let mut pending: VecDeque<ChatEvent> = VecDeque::new();
            for (n, op) in ops.into_iter().enumerate() {
                let id = format!("m{n}");
                let m = |who: usize, request| ReceiveChatMessage {
                    viewer: users[who].clone(),
                    points_request: request,
                    ..message(&id, "x", at(n as i64 * 61))
                };
                match op {
                    Op::Chat { who } => {
                        for e in apply(&mut states[who], ChatCommand::ReceiveChatMessage(m(who, None))) {
                            if let ChatEvent::PointsAwarded(a) = e { awarded += a.points; }
                        }
                    }
                    Op::Give { from, to, points, killed } => {
                        let request = PointsRequest::Give { to: users[to].user_id.clone(), points };
                        for e in apply(&mut states[from], ChatCommand::ReceiveChatMessage(m(from, Some(request)))) {
                            match e {
                                ChatEvent::PointsAwarded(a) => awarded += a.points,
                                ChatEvent::PointsSent(_) if killed => pending.push_back(e),
                                ChatEvent::PointsSent(sent) => {
                                    // The API's fast path; the log still redelivers it later.
                                    settle(&mut states, &users, &ChatEvent::PointsSent(sent.clone()), from);
                                    pending.push_back(ChatEvent::PointsSent(sent));
                                }
                                _ => {}
                            }
                        }
                    }
                    Op::Spend { who, cost, refused, killed } => {
                        let request = PointsRequest::Spend { command: CommandName::parse("c").unwrap(), cost };
                        for e in apply(&mut states[who], ChatCommand::ReceiveChatMessage(m(who, Some(request)))) {
                            match e {
                                ChatEvent::PointsAwarded(a) => awarded += a.points,
                                ChatEvent::PointsSpent(s) if refused && !killed => {
                                    let refund =
                                        ChatCommand::RefundSpend { message_id: s.message_id.clone(), points: s.points };
                                    apply(&mut states[who], refund);
                                }
                                ChatEvent::PointsSpent(s) if refused => pending.push_back(ChatEvent::PointsSpent(s)),
                                ChatEvent::PointsSpent(s) => spent += s.points,
                                _ => {}
                            }
                        }
                    }
                    Op::Settle { redeliver } => {
                        if let Some(e) = pending.pop_front() {
                            let owner = owner_of(&states, &e);
                            settle(&mut states, &users, &e, owner);
                            if redeliver { settle(&mut states, &users, &e, owner); }
                        }
                    }
                }
            }
            // The process manager catches up with everything left.
            while let Some(e) = pending.pop_front() {
                let owner = owner_of(&states, &e);
                settle(&mut states, &users, &e, owner);
            }
            let total: u64 = states.iter().map(|s| s.balance()).sum();
            prop_assert_eq!(total, awarded - spent);
        }
    }

    /// Which viewer's stream wrote a pending debit (it still holds it).
    fn owner_of(states: &[Stored], event: &ChatEvent) -> usize {
        match event {
            ChatEvent::PointsSpent(PointsSpent { message_id, .. })
            | ChatEvent::PointsSent(PointsSent { message_id, .. }) => states
                .iter()
                .position(|st| st.state.recent_message_ids.contains(message_id))
                .expect("the payer saw the message"),
            _ => 0,
        }
    }

    /// The process manager's step for one event of the log.
    fn settle(states: &mut [Stored], users: &[Viewer], event: &ChatEvent, owner: usize) {
        match event {
            ChatEvent::PointsSent(sent) => {
                let to = users.iter().position(|u| u.user_id == sent.to_user_id).unwrap();
                let credit = ReceivePoints {
                    viewer: users[to].clone(),
                    transfer_id: sent.transfer_id,
                    from: users[owner].user_id.clone(),
                    points: sent.points,
                    received_at: at(0),
                };
                apply(&mut states[to], ChatCommand::ReceivePoints(credit));
            }
            // The use was never decided: abandoned, so refunded.
            ChatEvent::PointsSpent(s) => {
                let refund = ChatCommand::RefundSpend { message_id: s.message_id.clone(), points: s.points };
                apply(&mut states[owner], refund);
            }
            _ => {}
        }
    }
}

mod moderation {
    use super::*;
    use crate::aggregate::Decider;
    use crate::moderation::*;

    fn links_filtered(m: ReceiveChatMessage) -> ReceiveChatMessage {
        let links = FilterSettings { enabled: true, ..FilterSettings::default_for(FilterKind::Links) };
        let settings = ModerationSettings::default().with_filter(links);
        ReceiveChatMessage { level: UserLevel::Everyone, moderation: ModerationRules::compile(&settings), ..m }
    }

    fn decide(state: &ChatState, command: ChatCommand) -> Vec<ChatEvent> {
        state.decide(command, &()).unwrap()
    }

    fn apply(state: &mut ChatState, command: ChatCommand) -> Vec<ChatEvent> {
        let events = decide(state, command);
        for e in &events {
            state.evolve(e);
        }
        events
    }

    fn moderated(events: &[ChatEvent]) -> Option<&MessageModerated> {
        events.iter().find_map(|e| match e {
            ChatEvent::MessageModerated(m) => Some(m),
            _ => None,
        })
    }

    fn mod_action(action: ModeratorAction, seconds: u32, when: Timestamp) -> ChatCommand {
        ChatCommand::Moderate(ModerateViewer {
            action,
            seconds,
            reason: "test".into(),
            by: ActorId::parse("twitch:mod1").unwrap(),
            message_id: None,
            at: when,
        })
    }

    #[test]
    fn strikes_climb_the_ladder_to_a_ban_and_a_banned_viewer_stays_moderated() {
        let mut state = ChatState::default();
        let spam = |n: i64| links_filtered(message(&format!("s{n}"), "go to spam.com", at(n * 1000)));
        let steps: Vec<(ActionKind, u32, u32)> = (0..5)
            .map(|n| {
                let events = apply(&mut state, ChatCommand::ReceiveChatMessage(spam(n)));
                assert!(!events.iter().any(|e| matches!(e, ChatEvent::PointsAwarded(_))), "{events:?}");
                let m = moderated(&events).unwrap();
                (m.action, m.seconds, m.strikes)
            })
            .collect();
        assert_eq!(
            steps,
            [
                (ActionKind::Delete, 0, 1),
                (ActionKind::Timeout, 60, 2),
                (ActionKind::Timeout, 600, 3),
                (ActionKind::Ban, 0, 4),
                // Banned: deleted, no strike; the first strike (at 0) has expired.
                (ActionKind::Delete, 0, 3),
            ]
        );
        let clean = links_filtered(message("c1", "hello", at(6000)));
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(clean));
        assert_eq!(moderated(&events).unwrap().cause, Cause::Banned);
        apply(&mut state, mod_action(ModeratorAction::Unban, 0, at(6001)));
        assert!(!state.banned() && state.strikes_at(at(6001)) == 0);
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(links_filtered(message("c2", "hi", at(6002)))));
        assert!(moderated(&events).is_none() && events.iter().any(|e| matches!(e, ChatEvent::PointsAwarded(_))));
    }

    #[test]
    fn strikes_expire_and_a_pardon_clears_them() {
        let mut state = ChatState::default();
        let spam = |id: &str, s: i64| links_filtered(message(id, "go to spam.com", at(s)));
        apply(&mut state, ChatCommand::ReceiveChatMessage(spam("a", 0)));
        // An hour later the first strike no longer counts: a warning again.
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(spam("b", 3600)));
        assert_eq!((moderated(&events).unwrap().strikes, moderated(&events).unwrap().action), (1, ActionKind::Delete));
        let events = apply(&mut state, mod_action(ModeratorAction::Pardon, 0, at(3601)));
        assert!(matches!(&events[..], [ChatEvent::ModeratorActed(a)] if a.strikes_cleared == 1));
        assert!(apply(&mut state, mod_action(ModeratorAction::Pardon, 0, at(3602))).is_empty());
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(spam("c", 3603)));
        assert_eq!(moderated(&events).unwrap().strikes, 1);
    }

    #[test]
    fn a_permit_lets_one_link_through_within_its_window() {
        let mut state = ChatState::default();
        apply(&mut state, mod_action(ModeratorAction::Permit, 60, at(0)));
        let link = |id: &str, s: i64| links_filtered(message(id, "my clip: spam.com/x", at(s)));
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(link("a", 30)));
        assert!(events.iter().any(|e| matches!(e, ChatEvent::PermitUsed(p) if p.link == "spam.com")), "{events:?}");
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(link("b", 31)));
        assert_eq!(moderated(&events).unwrap().cause, Cause::Links);
        apply(&mut state, mod_action(ModeratorAction::Permit, 10, at(100)));
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(link("c", 111)));
        assert!(moderated(&events).is_some(), "the permit ran out at 110");
    }

    #[test]
    fn a_timed_out_viewer_is_moderated_until_the_timeout_ends() {
        let mut state = ChatState::default();
        apply(&mut state, mod_action(ModeratorAction::Timeout, 60, at(0)));
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(links_filtered(message("a", "hi", at(59)))));
        assert_eq!(moderated(&events).unwrap().cause, Cause::TimedOut);
        let events = apply(&mut state, ChatCommand::ReceiveChatMessage(links_filtered(message("b", "hi", at(60)))));
        assert!(moderated(&events).is_none());
    }

    #[test]
    fn moderator_actions_out_of_range_are_refused() {
        let error = ChatState::default().decide(mod_action(ModeratorAction::Timeout, 0, at(0)), &()).unwrap_err();
        assert_eq!((error.code(), error.to_string().as_str()), ("out_of_range", "seconds must be from 1 to 1209600"));
        assert!(ChatState::default().decide(mod_action(ModeratorAction::Ban, 5, at(0)), &()).is_err());
    }

    #[test]
    fn moderators_are_never_moderated() {
        let m = ReceiveChatMessage { level: UserLevel::Moderator, ..links_filtered(message("a", "spam.com", at(0))) };
        let events = decide(&ChatState { banned: true, ..ChatState::default() }, ChatCommand::ReceiveChatMessage(m));
        assert!(moderated(&events).is_none());
    }
}

#[test]
fn a_giveaway_entry_is_paid_once_and_refunded_once() {
    let giveaway = GiveawayId::from_uuid(uuid::Uuid::from_u128(5));
    let rich = awarded_points(100, 100, at(0));
    let enter = with_request("e1", "!join", at(10), PointsRequest::Enter { giveaway, cost: 30 });
    let events =
        Chat::with(()).given(vec![rich.clone()]).when(ChatCommand::ReceiveChatMessage(enter)).inspect_result().unwrap();
    let paid = ChatEvent::EntryPaid(EntryPaid {
        giveaway_id: giveaway,
        message_id: MessageId::parse("e1").unwrap(),
        points: 30,
        balance: 70,
    });
    assert_eq!(events.last(), Some(&paid));
    let again = with_request("e2", "!join", at(20), PointsRequest::Enter { giveaway, cost: 30 });
    let events = Chat::with(())
        .given(vec![rich.clone(), paid.clone()])
        .when(ChatCommand::ReceiveChatMessage(again))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events.last(),
        Some(ChatEvent::PointsRequestRefused(PointsRequestRefused { reason: PointsRefusal::AlreadyPaid, .. }))
    ));
    let refunded = ChatEvent::EntryRefunded(EntryRefunded { giveaway_id: giveaway, points: 30, balance: 100 });
    Chat::with(())
        .given(vec![rich.clone(), paid.clone()])
        .when(ChatCommand::RefundEntry { giveaway_id: giveaway })
        .then_expect_events(vec![refunded.clone()]);
    Chat::with(())
        .given(vec![rich, paid, refunded])
        .when(ChatCommand::RefundEntry { giveaway_id: giveaway })
        .then_expect_events(vec![]);
}

/// Every event that moves a balance is named in `BALANCE_MOVES`, and only
/// those: a read of the moves (a viewer's page) leaves none out.
#[test]
fn balance_moves_name_exactly_the_events_with_a_balance_change() {
    let id = "00000000-0000-0000-0000-000000000001";
    let at = "2026-11-22T10:00:00Z";
    let samples = serde_json::json!([
        {"PointsAwarded": {"points": 1, "balance": 1, "awarded_at": at}},
        {"PointsSpent": {"message_id": "m", "command": "hug", "points": 1, "balance": 0}},
        {"PointsSent": {"transfer_id": id, "message_id": "m", "to_user_id": "u", "points": 1, "balance": 0}},
        {"PointsReceived": {"transfer_id": id, "from_user_id": "u", "points": 1, "balance": 1}},
        {"PointsRefunded": {"message_id": "m", "points": 1, "balance": 1}},
        {"DailyBonusClaimed": {"message_id": "m", "points": 1, "balance": 1, "claimed_at": at}},
        {"EntryPaid": {"giveaway_id": id, "message_id": "m", "points": 1, "balance": 0}},
        {"EntryRefunded": {"giveaway_id": id, "points": 1, "balance": 1}},
        {"PointsRequestRefused": {"message_id": "m", "reason": "insufficient", "points": 5, "balance": 1}},
        {"ChatCommandInvoked": {"message_id": "m", "name": "hug", "args": "", "invoked_at": at}},
    ]);
    for sample in samples.as_array().unwrap() {
        let event: ChatEvent = serde_json::from_value(sample.clone()).unwrap_or_else(|e| panic!("{sample}: {e}"));
        assert_eq!(
            event.balance_change().is_some(),
            ChatEvent::BALANCE_MOVES.contains(&event.name()),
            "{}",
            event.name()
        );
    }
}

mod support {
    use super::*;

    fn reward(id: &str, points: u64) -> ChatCommand {
        ChatCommand::RewardSupport(RewardSupport {
            event_id: PlatformEventId::parse(id).unwrap(),
            kind: SupportKind::Raid,
            points,
            at: Timestamp::from_unix_micros(1_780_000_000_000_000).unwrap(),
        })
    }

    #[test]
    fn a_reward_is_paid_once_and_a_reward_of_nothing_not_at_all() {
        let mut state = ChatState::default();
        let paid = state.decide(reward("r1", 84), &()).unwrap();
        assert!(matches!(&paid[..], [ChatEvent::SupportRewarded(e)] if e.balance == 84 && e.points == 84));
        paid.iter().for_each(|e| state.evolve(e));
        assert!(state.decide(reward("r1", 84), &()).unwrap().is_empty(), "the same event again");
        assert!(state.decide(reward("r2", 0), &()).unwrap().is_empty());
        assert_eq!(ChatState::once_key(&paid[0]).as_deref(), Some("support:r1"));
        assert_eq!(paid[0].balance_change(), Some((84, 84)));
    }
}
