//! Given/when/then: codes (single use, ten minutes, compared whole),
//! attempts per hour, one account per platform, merges that finish once,
//! unlinking.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::value::*;

type Identity = TestFramework<IdentityState>;

fn at(second: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000 + second * 1_000_000).unwrap()
}

fn account(raw: &str) -> Account {
    Account::parse(raw).unwrap()
}

fn ada_twitch() -> Account {
    account("twitch:ada")
}

fn ada_discord() -> Account {
    account("discord:ada-d")
}

const DIGEST: &str = "c0ffee";

fn issued(second: i64) -> IdentityEvent {
    IdentityEvent::LinkCodeIssued(LinkCodeIssued {
        issued_by: ada_twitch(),
        code_digest: DIGEST.into(),
        expires_at: at(second + CODE_LIFETIME_SECONDS),
        issued_at: at(second),
    })
}

fn merge() -> Uuid {
    Uuid::from_u128(7)
}

fn redeem(digest: &str, second: i64) -> IdentityCommand {
    IdentityCommand::Redeem(Redeem {
        this: ada_twitch(),
        code_digest: digest.into(),
        from_root: ada_discord(),
        accounts: vec![ada_discord()],
        merge_id: merge(),
        at: at(second),
    })
}

fn redeemed() -> IdentityEvent {
    IdentityEvent::CodeRedeemed(CodeRedeemed {
        merge_id: merge(),
        from_root: ada_discord(),
        accounts: vec![ada_discord()],
        redeemed_at: at(30),
    })
}

#[test]
fn a_code_is_issued_for_ten_minutes() {
    Identity::with(())
        .given_no_previous_events()
        .when(IdentityCommand::IssueCode {
            this: ada_twitch(),
            issued_by: ada_twitch(),
            code_digest: DIGEST.into(),
            at: at(0),
        })
        .then_expect_events(vec![issued(0)]);
}

#[test]
fn the_right_code_in_time_is_redeemed_once() {
    Identity::with(()).given(vec![issued(0)]).when(redeem(DIGEST, 30)).then_expect_events(vec![redeemed()]);
    Identity::with(())
        .given(vec![issued(0), redeemed()])
        .when(redeem(DIGEST, 31))
        .then_expect_error(IdentityError::InvalidCode);
}

#[test]
fn a_guessed_or_expired_code_is_refused_alike() {
    Identity::with(()).given(vec![issued(0)]).when(redeem("c0ffef", 30)).then_expect_error(IdentityError::InvalidCode);
    Identity::with(()).given(vec![issued(0)]).when(redeem("c0ffe", 30)).then_expect_error(IdentityError::InvalidCode);
    Identity::with(())
        .given(vec![issued(0)])
        .when(redeem(DIGEST, CODE_LIFETIME_SECONDS))
        .then_expect_error(IdentityError::InvalidCode);
    Identity::with(())
        .given_no_previous_events()
        .when(redeem(DIGEST, 30))
        .then_expect_error(IdentityError::InvalidCode);
}

#[test]
fn a_person_links_one_account_per_platform() {
    let IdentityCommand::Redeem(mut second_twitch) = redeem(DIGEST, 30) else { unreachable!() };
    second_twitch.from_root = account("twitch:ada-alt");
    second_twitch.accounts = vec![account("twitch:ada-alt")];
    Identity::with(())
        .given(vec![issued(0)])
        .when(IdentityCommand::Redeem(second_twitch))
        .then_expect_error(IdentityError::PlatformTaken(ChatPlatform::Twitch));
    // A merge still on its way in counts too.
    let IdentityCommand::Redeem(mut another_discord) = redeem(DIGEST, 40) else { unreachable!() };
    another_discord.from_root = account("discord:other");
    another_discord.accounts = vec![account("discord:other")];
    another_discord.merge_id = Uuid::from_u128(8);
    Identity::with(())
        .given(vec![issued(0), redeemed(), issued(35)])
        .when(IdentityCommand::Redeem(another_discord))
        .then_expect_error(IdentityError::PlatformTaken(ChatPlatform::Discord));
}

#[test]
fn five_failures_in_an_hour_lock_until_the_first_is_an_hour_old() {
    let failed = |s| IdentityEvent::LinkAttemptFailed(LinkAttemptFailed { at: at(s) });
    let five: Vec<_> = (0..5).map(|i| failed(i * 60)).collect();
    Identity::with(())
        .given(five.clone())
        .when(IdentityCommand::FailAttempt { at: at(600) })
        .then_expect_error(IdentityError::TooManyAttempts { until: at(ATTEMPT_WINDOW_SECONDS) });
    Identity::with(())
        .given(five)
        .when(IdentityCommand::FailAttempt { at: at(ATTEMPT_WINDOW_SECONDS) })
        .then_expect_events(vec![failed(ATTEMPT_WINDOW_SECONDS)]);
}

#[test]
fn a_join_moves_an_account_once_and_only_from_the_person_it_was_in() {
    let join =
        |from: Account| IdentityCommand::Join { root: ada_twitch(), from_root: from, merge_id: merge(), at: at(31) };
    let joined = IdentityEvent::PersonJoined(PersonJoined {
        root: ada_twitch(),
        from_root: ada_discord(),
        merge_id: merge(),
        at: at(31),
    });
    Identity::with(()).given_no_previous_events().when(join(ada_discord())).then_expect_events(vec![joined.clone()]);
    Identity::with(()).given(vec![joined]).when(join(ada_discord())).then_expect_events(vec![]);
    // Moved elsewhere meanwhile: stays.
    let elsewhere = IdentityEvent::PersonJoined(PersonJoined {
        root: account("youtube:x"),
        from_root: account("youtube:x"),
        merge_id: Uuid::from_u128(9),
        at: at(20),
    });
    Identity::with(()).given(vec![elsewhere]).when(join(ada_discord())).then_expect_events(vec![]);
}

#[test]
fn a_merge_completes_once_and_the_root_then_lists_the_accounts() {
    let complete = IdentityCommand::CompleteMerge { merge_id: merge(), joined: vec![ada_discord()], at: at(32) };
    let completed =
        IdentityEvent::AccountsJoined(AccountsJoined { merge_id: merge(), accounts: vec![ada_discord()], at: at(32) });
    Identity::with(())
        .given(vec![issued(0), redeemed()])
        .when(complete.clone())
        .then_expect_events(vec![completed.clone()]);
    Identity::with(()).given(vec![issued(0), redeemed(), completed.clone()]).when(complete).then_expect_events(vec![]);
    let mut state = IdentityState::default();
    for e in [issued(0), redeemed(), completed] {
        state.evolve(&e);
    }
    assert_eq!(state.accounts_with(&ada_twitch()), vec![ada_twitch(), ada_discord()]);
}

#[test]
fn unlinking_a_member_or_dissolving_from_the_root() {
    let completed =
        IdentityEvent::AccountsJoined(AccountsJoined { merge_id: merge(), accounts: vec![ada_discord()], at: at(32) });
    let unlinked = IdentityEvent::AccountUnlinked(AccountUnlinked { account: ada_discord(), at: at(40) });
    for account in [ada_discord(), ada_twitch()] {
        Identity::with(())
            .given(vec![issued(0), redeemed(), completed.clone()])
            .when(IdentityCommand::Unlink { this: ada_twitch(), account, at: at(40) })
            .then_expect_events(vec![unlinked.clone()]);
    }
    Identity::with(())
        .given_no_previous_events()
        .when(IdentityCommand::Unlink { this: ada_twitch(), account: ada_twitch(), at: at(40) })
        .then_expect_error(IdentityError::NotLinked(ada_twitch()));
    // A member is not where a person is changed: the caller goes to the root.
    let joined = IdentityEvent::PersonJoined(PersonJoined {
        root: ada_twitch(),
        from_root: ada_discord(),
        merge_id: merge(),
        at: at(31),
    });
    Identity::with(())
        .given(vec![joined.clone()])
        .when(IdentityCommand::Unlink { this: ada_discord(), account: ada_discord(), at: at(40) })
        .then_expect_error(IdentityError::NotRoot { root: ada_twitch() });
    Identity::with(())
        .given(vec![joined])
        .when(IdentityCommand::Leave { root: ada_twitch(), at: at(41) })
        .then_expect_events(vec![IdentityEvent::PersonLeft(PersonLeft { root: ada_twitch(), at: at(41) })]);
}
