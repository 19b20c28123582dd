//! Given/when/then: every rule and refusal of a channel's settings.

use cqrs_es::test::TestFramework;

use super::*;
use crate::value::*;

type Channel = TestFramework<ChannelState>;

fn name(n: &str) -> CommandName {
    CommandName::parse(n).unwrap()
}

fn command(n: &str, response: &str) -> CommandDefinition {
    CommandDefinition {
        name: name(n),
        response: ResponseTemplate::parse(response).unwrap(),
        alias_of: None,
        min_level: UserLevel::Everyone,
        cooldown_seconds: 5,
        user_cooldown_seconds: 0,
        cost: 0,
        enabled: true,
    }
}

fn alias(n: &str, of: &str) -> CommandDefinition {
    CommandDefinition { alias_of: Some(name(of)), ..command(n, "") }
}

fn added(d: CommandDefinition) -> ChannelEvent {
    ChannelEvent::CommandAdded(d)
}

#[test]
fn a_command_is_added_once() {
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::AddCommand(command("hug", "hi")))
        .then_expect_events(vec![added(command("hug", "hi"))]);
    Channel::with(())
        .given(vec![added(command("hug", "hi"))])
        .when(ChannelCommand::AddCommand(command("hug", "again")))
        .then_expect_error(ChannelError::CommandExists(name("hug")));
}

#[test]
fn a_builtin_name_is_taken_until_the_builtin_is_disabled_or_renamed() {
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::AddCommand(command("points", "mine")))
        .then_expect_error(ChannelError::NameTaken(name("points")));
    let renamed = ChannelEvent::BuiltinConfigured(BuiltinConfigured {
        builtin: Builtin::Points,
        name: name("bank"),
        enabled: true,
    });
    Channel::with(())
        .given(vec![renamed])
        .when(ChannelCommand::AddCommand(command("points", "mine")))
        .then_expect_events(vec![added(command("points", "mine"))]);
}

#[test]
fn a_channel_holds_at_most_200_commands() {
    let given: Vec<_> = (0..MAX_COMMANDS).map(|i| added(command(&format!("c{i}"), "x"))).collect();
    Channel::with(())
        .given(given)
        .when(ChannelCommand::AddCommand(command("one_more", "x")))
        .then_expect_error(ChannelError::TooManyCommands { max: 200 });
}

#[test]
fn an_alias_needs_a_target_and_may_not_loop() {
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::AddCommand(alias("a", "b")))
        .then_expect_error(ChannelError::AliasTargetMissing { name: name("a"), target: name("b") });
    // !a → !b exists; making !b an alias of !a closes a loop.
    let mut edit = CommandEdit::of(name("b"));
    edit.alias_of = Some(Some(name("a")));
    Channel::with(())
        .given(vec![added(command("b", "bee")), added(alias("a", "b"))])
        .when(ChannelCommand::EditCommand(edit))
        .then_expect_error(ChannelError::AliasLoop(vec![name("b"), name("a"), name("b")]));
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::AddCommand(alias("self", "self")))
        .then_expect_error(ChannelError::AliasLoop(vec![name("self"), name("self")]));
}

#[test]
fn an_aliased_command_is_not_deleted_from_under_its_alias() {
    Channel::with(())
        .given(vec![added(command("b", "bee")), added(alias("a", "b"))])
        .when(ChannelCommand::DeleteCommand { name: name("b") })
        .then_expect_error(ChannelError::AliasedBy { name: name("b"), alias: name("a") });
    Channel::with(())
        .given(vec![added(command("b", "bee"))])
        .when(ChannelCommand::DeleteCommand { name: name("b") })
        .then_expect_events(vec![ChannelEvent::CommandDeleted { name: name("b") }]);
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::DeleteCommand { name: name("b") })
        .then_expect_error(ChannelError::UnknownCommand(name("b")));
}

#[test]
fn an_edit_records_the_whole_definition_and_a_no_op_records_nothing() {
    let mut edit = CommandEdit::of(name("hug"));
    edit.cooldown_seconds = Some(30);
    Channel::with(())
        .given(vec![added(command("hug", "hi"))])
        .when(ChannelCommand::EditCommand(edit.clone()))
        .then_expect_events(vec![ChannelEvent::CommandEdited(CommandDefinition {
            cooldown_seconds: 30,
            ..command("hug", "hi")
        })]);
    edit.cooldown_seconds = Some(5);
    Channel::with(())
        .given(vec![added(command("hug", "hi"))])
        .when(ChannelCommand::EditCommand(edit))
        .then_expect_events(vec![]);
}

#[test]
fn limits_are_enforced_in_the_domain_too() {
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::AddCommand(CommandDefinition { cooldown_seconds: 86_401, ..command("x", "y") }))
        .then_expect_error(ChannelError::OutOfRange { field: "cooldown_seconds", max: 86_400 });
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::AddCommand(command("x", " ")))
        .then_expect_error(ChannelError::EmptyResponse);
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::SetPointsPolicy(PointsPolicy { subscriber_percent: 5_000, ..PointsPolicy::default() }))
        .then_expect_error(ChannelError::OutOfRange { field: "subscriber_percent", max: 1_000 });
}

#[test]
fn regulars_prefix_and_policy_change_only_when_they_differ() {
    let bob = PlatformUserId::parse("bob").unwrap();
    Channel::with(())
        .given(vec![ChannelEvent::RegularAdded { user_id: bob.clone() }])
        .when(ChannelCommand::AddRegular { user_id: bob.clone() })
        .then_expect_events(vec![]);
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::SetPrefix(CommandPrefix::parse("!").unwrap()))
        .then_expect_events(vec![]);
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::SetPointsPolicy(PointsPolicy::default()))
        .then_expect_events(vec![]);
}

const ASKER: Asker<'static> = Asker { user: "Vic", channel: "shroud", message_id: "m-7" };

#[test]
fn an_alias_with_variables_passes_its_rendered_text_as_the_targets_input() {
    // Nightbot's pattern: `!commands add !s -a=!say $(query)`.
    let mut state = ChannelState::default();
    for event in [
        added(command("say", "$(user) says: $(query)")),
        added(CommandDefinition { response: ResponseTemplate::parse("$(query)").unwrap(), ..alias("s", "say") }),
        added(CommandDefinition {
            response: ResponseTemplate::parse("to $(1), from $(user)").unwrap(),
            ..alias("to", "say")
        }),
        added(CommandDefinition { response: ResponseTemplate::parse("$(query)").unwrap(), ..alias("ss", "s") }),
    ] {
        state.evolve(&event);
    }
    assert_eq!(state.resolve("!s good game", ASKER).unwrap().args, "good game");
    assert_eq!(state.resolve("!s", ASKER).unwrap().args, "");
    assert_eq!(state.resolve("!to @ada and more", ASKER).unwrap().args, "to @ada, from Vic");
    assert_eq!(state.resolve("!ss chained", ASKER).unwrap().args, "chained", "each alias of a chain renders in turn");
    // And the target's response renders that input as its own $(query).
    let resolved = state.resolve("!s good game", ASKER).unwrap();
    let Target::Custom(say) = resolved.target else { panic!("say answers") };
    let context = RenderContext {
        user: "Vic",
        query: &resolved.args,
        count: 1,
        points: 0,
        channel: "shroud",
        seed: seed_of("m-7"),
        uptime: None,
    };
    assert_eq!(say.response.render(&context), "Vic says: good game");
}

#[test]
fn an_alias_may_not_show_a_count_or_points() {
    Channel::with(())
        .given(vec![added(command("say", "$(query)"))])
        .when(ChannelCommand::AddCommand(CommandDefinition {
            response: ResponseTemplate::parse("$(count) $(query)").unwrap(),
            ..alias("s", "say")
        }))
        .then_expect_error(ChannelError::AliasShowsCountOrPoints);
}

#[test]
fn resolution_follows_aliases_and_skips_disabled_commands() {
    let mut state = ChannelState::default();
    for event in [
        added(CommandDefinition { min_level: UserLevel::Vip, ..command("songrequest", "queued $(query)") }),
        added(CommandDefinition {
            response: ResponseTemplate::parse("spotify").unwrap(),
            ..alias("sr", "songrequest")
        }),
        added(CommandDefinition { enabled: false, ..command("off", "x") }),
        ChannelEvent::PrefixChanged { prefix: CommandPrefix::parse("?").unwrap() },
    ] {
        state.evolve(&event);
    }
    assert_eq!(state.version(), 4);
    let resolved = state.resolve("?SR never gonna", ASKER).unwrap();
    assert_eq!(resolved.invoked, name("sr"));
    assert_eq!(resolved.args, "spotify never gonna");
    assert_eq!(resolved.min_level, UserLevel::Vip);
    assert_eq!(resolved.use_key(), "songrequest");
    assert_eq!(state.resolve("?points", ASKER).map(|r| r.target), Some(Target::Builtin(Builtin::Points)));
    assert_eq!(state.resolve("?points", ASKER).unwrap().use_key(), "builtin.points");
    assert_eq!(state.resolve("?off", ASKER), None);
    assert_eq!(state.resolve("!points", ASKER), None, "the prefix is the channel's");
    assert_eq!(state.resolve("?nothing", ASKER), None);
}

#[test]
fn a_running_giveaways_keyword_resolves_to_join_after_every_command() {
    let giveaway = GiveawayId::from_uuid(uuid::Uuid::from_u128(1));
    let keyword = CommandName::parse("enter").unwrap();
    let started = ChannelEvent::GiveawayStarted { giveaway_id: giveaway, keyword: keyword.clone() };
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::StartGiveaway { giveaway_id: giveaway, keyword: keyword.clone() })
        .then_expect_events(vec![started.clone()]);
    Channel::with(())
        .given(vec![started.clone()])
        .when(ChannelCommand::StartGiveaway { giveaway_id: GiveawayId::new_random(), keyword: keyword.clone() })
        .then_expect_error(ChannelError::GiveawayRunning);
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::StartGiveaway { giveaway_id: giveaway, keyword: CommandName::parse("points").unwrap() })
        .then_expect_error(ChannelError::KeywordTaken(CommandName::parse("points").unwrap()));
    let mut state = ChannelState::default();
    assert_eq!(state.resolve("!enter", ASKER), None);
    state.evolve(&started);
    let resolved = state.resolve("!enter now", ASKER).unwrap();
    assert_eq!(
        (resolved.target, resolved.invoked, resolved.args.as_str()),
        (Target::Builtin(Builtin::Join), keyword, "now")
    );
    assert_eq!(state.resolve("!join", ASKER), None, "join answers only to the keyword");
    state.evolve(&ChannelEvent::GiveawayEnded { giveaway_id: giveaway });
    assert_eq!(state.resolve("!enter", ASKER), None);
}

#[test]
fn a_custom_command_older_than_a_community_builtin_keeps_answering() {
    let mut state = ChannelState::default();
    assert_eq!(state.resolve("!vote 1", ASKER).map(|r| r.target), Some(Target::Builtin(Builtin::Vote)));
    state.evolve(&ChannelEvent::CommandAdded(CommandDefinition {
        name: CommandName::parse("vote").unwrap(),
        response: ResponseTemplate::parse("go vote at example.org").unwrap(),
        alias_of: None,
        min_level: UserLevel::Everyone,
        cooldown_seconds: 0,
        user_cooldown_seconds: 0,
        cost: 0,
        enabled: true,
    }));
    assert!(matches!(state.resolve("!vote 1", ASKER).map(|r| r.target), Some(Target::Custom(_))));
}

fn connection(scopes: &[&str]) -> PlatformConnection {
    PlatformConnection {
        platform_channel_id: PlatformUserId::parse("1971641").unwrap(),
        bot_user_id: PlatformUserId::parse("1971641").unwrap(),
        bot_login: "streamer".into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn a_connection_records_its_scopes_sorted_once_and_the_same_again_changes_nothing() {
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::ConnectPlatform(connection(&["user:write:chat", "user:read:chat", "user:read:chat"])))
        .then_expect_events(vec![ChannelEvent::PlatformConnected(connection(&["user:read:chat", "user:write:chat"]))]);
    Channel::with(())
        .given(vec![ChannelEvent::PlatformConnected(connection(&["user:read:chat"]))])
        .when(ChannelCommand::ConnectPlatform(connection(&["user:read:chat"])))
        .then_expect_events(vec![]);
    Channel::with(())
        .given(vec![ChannelEvent::PlatformConnected(connection(&["user:read:chat"]))])
        .when(ChannelCommand::ConnectPlatform(connection(&["user:read:chat", "user:bot"])))
        .then_expect_events(vec![ChannelEvent::PlatformConnected(connection(&["user:bot", "user:read:chat"]))]);
}

#[test]
fn a_connection_refuses_odd_scopes_and_logins() {
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::ConnectPlatform(connection(&["User Read"])))
        .then_expect_error(ChannelError::InvalidScopes);
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::ConnectPlatform(PlatformConnection { bot_login: "a b".into(), ..connection(&[]) }))
        .then_expect_error(ChannelError::InvalidLogin);
}

#[test]
fn a_disconnection_is_recorded_only_when_connected() {
    let reason = || ChannelCommand::DisconnectPlatform { reason: "by the owner".into() };
    Channel::with(()).given_no_previous_events().when(reason()).then_expect_events(vec![]);
    Channel::with(())
        .given(vec![ChannelEvent::PlatformConnected(connection(&[]))])
        .when(reason())
        .then_expect_events(vec![ChannelEvent::PlatformDisconnected { reason: "by the owner".into() }]);
    Channel::with(())
        .given(vec![ChannelEvent::PlatformConnected(connection(&[]))])
        .when(ChannelCommand::DisconnectPlatform { reason: " ".into() })
        .then_expect_error(ChannelError::OutOfRange { field: "reason", max: 200 });
}

#[test]
fn a_support_policy_is_recorded_when_it_changes_and_bounded() {
    let policy = SupportPolicy { per_follow: 10, per_raid_viewer: 2, ..SupportPolicy::default() };
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::SetSupportPolicy(policy))
        .then_expect_events(vec![ChannelEvent::SupportPolicyChanged(policy)]);
    Channel::with(())
        .given(vec![ChannelEvent::SupportPolicyChanged(policy)])
        .when(ChannelCommand::SetSupportPolicy(policy))
        .then_expect_events(vec![]);
    let too_much = SupportPolicy { per_100_bits: SupportPolicy::MAX_RATE + 1, ..policy };
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::SetSupportPolicy(too_much))
        .then_expect_error(ChannelError::OutOfRange { field: "per_100_bits", max: SupportPolicy::MAX_RATE });
}

#[test]
fn an_alert_is_configured_trimmed_and_its_default_changes_nothing() {
    let custom =
        AlertSettings { template: "  welcome $(user)  ".into(), ..AlertSettings::default_for(SupportKind::Follow) };
    Channel::with(()).given_no_previous_events().when(ChannelCommand::ConfigureAlert(custom)).then_expect_events(vec![
        ChannelEvent::AlertConfigured(AlertSettings {
            template: "welcome $(user)".into(),
            ..AlertSettings::default_for(SupportKind::Follow)
        }),
    ]);
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::ConfigureAlert(AlertSettings::default_for(SupportKind::Raid)))
        .then_expect_events(vec![]);
    let empty = AlertSettings { template: " ".into(), ..AlertSettings::default_for(SupportKind::Raid) };
    Channel::with(())
        .given_no_previous_events()
        .when(ChannelCommand::ConfigureAlert(empty))
        .then_expect_error(ChannelError::InvalidAlertTemplate("is empty"));
}
