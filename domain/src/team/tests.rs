//! Given/when/then: the first owner from the operator, owners managing the
//! team, moderators and viewers refused, the last owner kept.

use cqrs_es::test::TestFramework;

use super::*;
use crate::aggregate::Decider;
use crate::value::*;

type Team = TestFramework<TeamState>;

fn at() -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000).unwrap()
}

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn added(name: &str, role: MemberRole) -> TeamEvent {
    TeamEvent::MemberAdded(MemberAdded { username: user(name), role, at: at() })
}

#[test]
fn the_operator_adds_the_first_owner() {
    Team::with(())
        .given_no_previous_events()
        .when(TeamCommand::Add { username: user("ada"), role: MemberRole::Owner, by: None, at: at() })
        .then_expect_events(vec![added("ada", MemberRole::Owner)]);
}

#[test]
fn an_owner_invites_and_a_moderator_or_viewer_may_not() {
    let team =
        vec![added("ada", MemberRole::Owner), added("mo", MemberRole::Moderator), added("vi", MemberRole::Viewer)];
    Team::with(())
        .given(team.clone())
        .when(TeamCommand::Add { username: user("bob"), role: MemberRole::Moderator, by: Some(user("ada")), at: at() })
        .then_expect_events(vec![added("bob", MemberRole::Moderator)]);
    for by in ["mo", "vi", "stranger"] {
        Team::with(())
            .given(team.clone())
            .when(TeamCommand::ChangeRole {
                username: user("vi"),
                role: MemberRole::Owner,
                by: Some(user(by)),
                at: at(),
            })
            .then_expect_error(TeamError::NotOwner);
    }
    Team::with(())
        .given(team)
        .when(TeamCommand::Add { username: user("mo"), role: MemberRole::Viewer, by: None, at: at() })
        .then_expect_error(TeamError::Exists(user("mo")));
}

#[test]
fn the_last_owner_stays() {
    let team = vec![added("ada", MemberRole::Owner), added("mo", MemberRole::Moderator)];
    Team::with(())
        .given(team.clone())
        .when(TeamCommand::ChangeRole {
            username: user("ada"),
            role: MemberRole::Viewer,
            by: Some(user("ada")),
            at: at(),
        })
        .then_expect_error(TeamError::LastOwner);
    Team::with(())
        .given(team.clone())
        .when(TeamCommand::Remove { username: user("ada"), by: None, at: at() })
        .then_expect_error(TeamError::LastOwner);
    Team::with(())
        .given(team)
        .when(TeamCommand::ChangeRole {
            username: user("mo"),
            role: MemberRole::Owner,
            by: Some(user("ada")),
            at: at(),
        })
        .then_expect_events(vec![TeamEvent::MemberRoleChanged(MemberRoleChanged {
            username: user("mo"),
            role: MemberRole::Owner,
            previous: MemberRole::Moderator,
            at: at(),
        })]);
}

#[test]
fn a_member_sets_their_own_password_and_an_owner_anyones() {
    let team = vec![added("ada", MemberRole::Owner), added("mo", MemberRole::Moderator)];
    let set = |name: &str| TeamEvent::PasswordSet(PasswordSet { username: user(name), at: at() });
    Team::with(())
        .given(team.clone())
        .when(TeamCommand::RecordPasswordSet { username: user("mo"), by: Some(user("mo")), at: at() })
        .then_expect_events(vec![set("mo")]);
    Team::with(())
        .given(team.clone())
        .when(TeamCommand::RecordPasswordSet { username: user("ada"), by: Some(user("mo")), at: at() })
        .then_expect_error(TeamError::NotOwner);
    Team::with(())
        .given(team)
        .when(TeamCommand::RecordPasswordSet { username: user("nobody"), by: None, at: at() })
        .then_expect_error(TeamError::Unknown(user("nobody")));
}

fn channel() -> ChannelRef {
    ChannelRef::parse("twitch/shroud").unwrap()
}

fn digest(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn issue(id: OverlayKeyId, by: Option<&str>) -> TeamCommand {
    TeamCommand::IssueOverlayKey {
        key_id: id,
        channel: channel(),
        label: OverlayLabel::parse("OBS main").unwrap(),
        digest: digest(1),
        by: by.map(user),
        at: at(),
    }
}

fn issued(id: OverlayKeyId) -> TeamEvent {
    TeamEvent::OverlayKeyIssued(OverlayKeyIssued {
        key_id: id,
        channel: channel(),
        label: OverlayLabel::parse("OBS main").unwrap(),
        digest: digest(1),
        at: at(),
    })
}

#[test]
fn owners_and_moderators_issue_overlay_keys_and_viewers_may_not() {
    let team =
        vec![added("ada", MemberRole::Owner), added("mo", MemberRole::Moderator), added("vi", MemberRole::Viewer)];
    let id = OverlayKeyId::new_random();
    for by in ["ada", "mo"] {
        Team::with(()).given(team.clone()).when(issue(id, Some(by))).then_expect_events(vec![issued(id)]);
    }
    for by in ["vi", "stranger"] {
        Team::with(()).given(team.clone()).when(issue(id, Some(by))).then_expect_error(TeamError::NotModerator);
    }
    // The same id again is the same issue, retried.
    Team::with(())
        .given(vec![added("ada", MemberRole::Owner), issued(id)])
        .when(issue(id, Some("ada")))
        .then_expect_events(vec![]);
}

#[test]
fn an_overlay_key_digest_must_be_sha256_hex() {
    for bad in ["", "ABCD", &"g".repeat(64), &"A".repeat(64), &"a".repeat(63)] {
        Team::with(())
            .given(vec![added("ada", MemberRole::Owner)])
            .when(TeamCommand::IssueOverlayKey {
                key_id: OverlayKeyId::new_random(),
                channel: channel(),
                label: OverlayLabel::parse("x").unwrap(),
                digest: bad.to_owned(),
                by: Some(user("ada")),
                at: at(),
            })
            .then_expect_error(TeamError::InvalidDigest);
    }
}

#[test]
fn a_revoked_key_is_found_no_more_and_revoking_twice_changes_nothing() {
    let id = OverlayKeyId::new_random();
    let revoked = TeamEvent::OverlayKeyRevoked(OverlayKeyRevoked { key_id: id, at: at() });
    let given = vec![added("ada", MemberRole::Owner), added("vi", MemberRole::Viewer), issued(id)];
    Team::with(())
        .given(given.clone())
        .when(TeamCommand::RevokeOverlayKey { key_id: id, by: Some(user("ada")), at: at() })
        .then_expect_events(vec![revoked.clone()]);
    Team::with(())
        .given(given.clone())
        .when(TeamCommand::RevokeOverlayKey { key_id: id, by: Some(user("vi")), at: at() })
        .then_expect_error(TeamError::NotModerator);
    let mut after = given.clone();
    after.push(revoked);
    Team::with(())
        .given(after.clone())
        .when(TeamCommand::RevokeOverlayKey { key_id: id, by: None, at: at() })
        .then_expect_events(vec![]);
    let other = OverlayKeyId::new_random();
    Team::with(())
        .given(given.clone())
        .when(TeamCommand::RevokeOverlayKey { key_id: other, by: None, at: at() })
        .then_expect_error(TeamError::UnknownOverlayKey(other));

    let mut state = TeamState::default();
    for event in &given {
        state.evolve(event);
    }
    assert_eq!(state.live_overlay_key(&digest(1)).map(|(k, _)| *k), Some(id));
    assert!(state.live_overlay_key(&digest(2)).is_none());
    for event in &after[given.len()..] {
        state.evolve(event);
    }
    assert!(state.live_overlay_key(&digest(1)).is_none(), "a revoked key opens nothing");
}

#[test]
fn an_org_holds_a_bounded_number_of_live_keys() {
    let mut given = vec![added("ada", MemberRole::Owner)];
    given.extend((0..MAX_OVERLAY_KEYS).map(|_| issued(OverlayKeyId::new_random())));
    Team::with(())
        .given(given)
        .when(issue(OverlayKeyId::new_random(), Some("ada")))
        .then_expect_error(TeamError::TooManyOverlayKeys { max: MAX_OVERLAY_KEYS });
}

/// Issue 26, item 2: a session from before a removal must not come back
/// when the same username is added again, nor outlive a password change.
#[test]
fn sessions_are_valid_only_from_the_current_membership_and_password() {
    let moment = |seconds: i64| Timestamp::from_unix_micros(1_780_000_000_000_000 + seconds * 1_000_000).unwrap();
    let mut team = TeamState::default();
    team.evolve(&TeamEvent::MemberAdded(MemberAdded { username: user("mo"), role: MemberRole::Owner, at: moment(0) }));
    assert_eq!(team.sessions_valid_since(&user("mo")), Some(moment(0)));
    team.evolve(&TeamEvent::MemberRemoved(MemberRemoved { username: user("mo"), at: moment(10) }));
    assert_eq!(team.sessions_valid_since(&user("mo")), None);
    team.evolve(&TeamEvent::MemberAdded(MemberAdded {
        username: user("mo"),
        role: MemberRole::Viewer,
        at: moment(20),
    }));
    assert_eq!(team.sessions_valid_since(&user("mo")), Some(moment(20)), "a session from the first membership is over");
    team.evolve(&TeamEvent::PasswordSet(PasswordSet { username: user("mo"), at: moment(30) }));
    assert_eq!(team.sessions_valid_since(&user("mo")), Some(moment(30)), "and so is one from before the new password");
}

fn link(name: &str, twitch_id: &str, by: &str) -> TeamCommand {
    TeamCommand::LinkSignIn {
        username: user(name),
        platform: ChatPlatform::Twitch,
        user_id: PlatformUserId::parse(twitch_id).unwrap(),
        login: format!("{name}_tv"),
        by: user(by),
        at: at(),
    }
}

fn linked(name: &str, twitch_id: &str) -> TeamEvent {
    TeamEvent::SignInLinked(SignInLinked {
        username: user(name),
        platform: ChatPlatform::Twitch,
        user_id: PlatformUserId::parse(twitch_id).unwrap(),
        login: format!("{name}_tv"),
        at: at(),
    })
}

#[test]
fn a_member_links_their_own_sign_in_and_nobody_elses() {
    let team = vec![added("ada", MemberRole::Owner), added("mo", MemberRole::Moderator)];
    Team::with(()).given(team.clone()).when(link("mo", "111", "mo")).then_expect_events(vec![linked("mo", "111")]);
    Team::with(()).given(team.clone()).when(link("mo", "111", "ada")).then_expect_error(TeamError::NotSelf);
    let mut with_mo = team.clone();
    with_mo.push(linked("mo", "111"));
    Team::with(()).given(with_mo.clone()).when(link("ada", "111", "ada")).then_expect_error(TeamError::AccountTaken);
    Team::with(()).given(with_mo).when(link("mo", "111", "mo")).then_expect_events(vec![]);
    Team::with(()).given(team).when(link("ghost", "9", "ghost")).then_expect_error(TeamError::Unknown(user("ghost")));
}

#[test]
fn a_sign_in_ends_with_its_unlink_or_its_members_removal() {
    let mut state = TeamState::default();
    for e in [added("ada", MemberRole::Owner), added("mo", MemberRole::Moderator), linked("mo", "111")] {
        state.evolve(&e);
    }
    let twitch_111 = PlatformUserId::parse("111").unwrap();
    assert_eq!(state.signs_in_as(ChatPlatform::Twitch, &twitch_111), Some(&user("mo")));
    // A new account replaces the old one.
    state.evolve(&linked("mo", "222"));
    assert_eq!(state.signs_in_as(ChatPlatform::Twitch, &twitch_111), None);
    let unlink = TeamCommand::UnlinkSignIn {
        username: user("mo"),
        platform: ChatPlatform::Twitch,
        by: Some(user("ada")),
        at: at(),
    };
    let events = state.decide(unlink, &()).unwrap();
    assert!(matches!(&events[..], [TeamEvent::SignInUnlinked(_)]), "an owner ends it");
    state.evolve(&linked("mo", "333"));
    state.evolve(&TeamEvent::MemberRemoved(MemberRemoved { username: user("mo"), at: at() }));
    assert_eq!(state.signs_in_as(ChatPlatform::Twitch, &PlatformUserId::parse("333").unwrap()), None);
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(serde_json::from_str::<TeamState>(&json).unwrap(), state, "a snapshot holds it");
}
