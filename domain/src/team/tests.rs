//! Given/when/then: the first owner from the operator, owners managing the
//! team, moderators and viewers refused, the last owner kept.

use cqrs_es::test::TestFramework;

use super::*;
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
