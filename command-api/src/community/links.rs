//! Identity linking from chat: `!link` issues a code (whispered: it is
//! never said in chat nor written to the log), `!verify CODE` on another
//! platform links the two accounts' people, `!unlink` takes this account
//! out of its person.

use wavestack_adapters::community_settlement::{self, CommunityError};
use wavestack_domain::identity::{IdentityCommand, IdentityError, IdentityEvent, Redeem};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{Account, IdentityStreamId, Timestamp};

use super::failure::{self, from_command, Failure};
use super::person_of;
use crate::state::AppState;

fn broken(error: CommunityError) -> Failure {
    Failure::Broken(anyhow::anyhow!("{}", wavestack_adapters::error_chain(&error)))
}

/// A new code for the person `account` belongs to: the code, to whisper.
pub(crate) async fn issue(
    state: &AppState,
    metadata: &EventMetadata,
    account: &Account,
    at: Timestamp,
) -> Result<String, Failure> {
    let root = person_of(state, &metadata.org, account).await?;
    let code = wavestack_adapters::community_secrets::LinkCodes::new_code();
    let code_digest = state.link_codes.digest(&metadata.org, &code).await?;
    let issue = IdentityCommand::IssueCode { this: root.clone(), issued_by: account.clone(), code_digest, at };
    let stream = IdentityStreamId::new(&metadata.org, &root);
    state
        .bus
        .identity
        .execute(stream.as_str(), issue, metadata)
        .await
        .map_err(|e| from_command(e, failure::identity))?;
    Ok(code)
}

/// Redeems `code` for `account`'s person: the person's accounts after.
pub(crate) async fn verify(
    state: &AppState,
    metadata: &EventMetadata,
    account: &Account,
    code: &str,
    at: Timestamp,
) -> Result<Vec<Account>, Failure> {
    let own = IdentityStreamId::new(&metadata.org, account);
    let mine = state.bus.identity.load(own.as_str()).await.map_err(|e| from_command(e, failure::identity))?;
    mine.check_attempts(at).map_err(failure::identity)?;
    let failed = || async {
        let fail = IdentityCommand::FailAttempt { at };
        state
            .bus
            .identity
            .execute(own.as_str(), fail, metadata)
            .await
            .map_err(|e| from_command(e, failure::identity))?;
        Err::<Vec<Account>, _>(failure::identity(IdentityError::InvalidCode))
    };
    let digest = state.link_codes.digest(&metadata.org, code).await?;
    let Some(issuer) = state.link_codes.issuer_of(&metadata.org, &digest).await? else { return failed().await };
    let from_root = person_of(state, &metadata.org, account).await?;
    let from = state
        .bus
        .identity
        .load(IdentityStreamId::new(&metadata.org, &from_root).as_str())
        .await
        .map_err(|e| from_command(e, failure::identity))?;
    let redeem = Redeem {
        this: issuer.account().clone(),
        code_digest: digest,
        from_root: from_root.clone(),
        accounts: from.accounts_with(&from_root),
        merge_id: uuid::Uuid::new_v4(),
        at,
    };
    let written =
        match state.bus.identity.execute_written(issuer.as_str(), IdentityCommand::Redeem(redeem), metadata).await {
            Ok(written) => written,
            Err(wavestack_adapters::command_bus::CommandError::Rejected(
                IdentityError::InvalidCode | IdentityError::NotRoot { .. },
            )) => return failed().await,
            Err(error) => return Err(from_command(error, failure::identity)),
        };
    for event in &written.events {
        if let IdentityEvent::CodeRedeemed(redeemed) = event {
            community_settlement::finish_merge(&state.bus, &metadata.org, issuer.account(), redeemed, metadata)
                .await
                .map_err(broken)?;
        }
    }
    let root = state.bus.identity.load(issuer.as_str()).await.map_err(|e| from_command(e, failure::identity))?;
    Ok(root.accounts_with(issuer.account()))
}

/// Takes `account` out of its person; the root's own account dissolves
/// the person. The accounts unlinked.
pub(crate) async fn unlink(
    state: &AppState,
    metadata: &EventMetadata,
    account: &Account,
    at: Timestamp,
) -> Result<Vec<Account>, Failure> {
    let root = person_of(state, &metadata.org, account).await?;
    let stream = IdentityStreamId::new(&metadata.org, &root);
    let unlink = IdentityCommand::Unlink { this: root.clone(), account: account.clone(), at };
    let written = state
        .bus
        .identity
        .execute_written(stream.as_str(), unlink, metadata)
        .await
        .map_err(|e| from_command(e, failure::identity))?;
    let mut unlinked = Vec::new();
    for event in &written.events {
        if let IdentityEvent::AccountUnlinked(u) = event {
            community_settlement::finish_unlink(&state.bus, &metadata.org, &root, &u.account, at, metadata)
                .await
                .map_err(broken)?;
            unlinked.push(u.account.clone());
        }
    }
    Ok(unlinked)
}
