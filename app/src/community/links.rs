//! Identity linking from chat: `!link` issues a code (whispered: it is
//! never said in chat nor written to the log), `!verify CODE` on another
//! platform links the two accounts' people, `!unlink` takes this account
//! out of its person.

use crate::settlement::community::{self as settlement, CommunityError};
use wavestack_domain::identity::{IdentityCommand, IdentityError, IdentityEvent, Redeem};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{Account, IdentityStreamId, Timestamp};

use super::failure::{self, from_command, Failure};
use crate::App;

fn broken(error: CommunityError) -> Failure {
    failure::broken(&error)
}

/// A new code for `account`'s person (`root`): the code, to whisper.
pub async fn issue(
    app: &App,
    metadata: &EventMetadata,
    account: &Account,
    root: &Account,
    at: Timestamp,
) -> Result<String, Failure> {
    let code = wavestack_adapters::community_secrets::LinkCodes::new_code();
    let code_digest = app.link_codes.digest(&metadata.org, &code).await?;
    let issue = IdentityCommand::IssueCode { this: root.clone(), issued_by: account.clone(), code_digest, at };
    let stream = IdentityStreamId::new(&metadata.org, root);
    app.bus.identity.execute(stream.as_str(), issue, metadata).await.map_err(|e| from_command(e, failure::identity))?;
    Ok(code)
}

/// Redeems `code` for `account`'s person (`from_root`): the person's
/// accounts after.
pub async fn verify(
    app: &App,
    metadata: &EventMetadata,
    account: &Account,
    from_root: &Account,
    code: &str,
    at: Timestamp,
) -> Result<Vec<Account>, Failure> {
    let own = IdentityStreamId::new(&metadata.org, account);
    let mine = app.bus.identity.load(own.as_str()).await.map_err(|e| from_command(e, failure::identity))?;
    mine.check_attempts(at).map_err(failure::identity)?;
    let failed = || async {
        let fail = IdentityCommand::FailAttempt { at };
        app.bus.identity.execute(own.as_str(), fail, metadata).await.map_err(|e| from_command(e, failure::identity))?;
        Err::<Vec<Account>, _>(failure::identity(IdentityError::InvalidCode))
    };
    let digest = app.link_codes.digest(&metadata.org, code).await?;
    let Some(issuer) = app.link_codes.issuer_of(&metadata.org, &digest).await? else { return failed().await };
    let from = app
        .bus
        .identity
        .load(IdentityStreamId::new(&metadata.org, from_root).as_str())
        .await
        .map_err(|e| from_command(e, failure::identity))?;
    let redeem = Redeem {
        this: issuer.account().clone(),
        code_digest: digest,
        from_root: from_root.clone(),
        accounts: from.accounts_with(from_root),
        merge_id: uuid::Uuid::new_v4(),
        at,
    };
    let written =
        match app.bus.identity.execute_written(issuer.as_str(), IdentityCommand::Redeem(redeem), metadata).await {
            Ok(written) => written,
            Err(wavestack_adapters::command_bus::CommandError::Rejected(
                IdentityError::InvalidCode | IdentityError::NotRoot { .. },
            )) => return failed().await,
            Err(error) => return Err(from_command(error, failure::identity)),
        };
    for event in &written.events {
        if let IdentityEvent::CodeRedeemed(redeemed) = event {
            settlement::finish_merge(&app.bus, &metadata.org, issuer.account(), redeemed, metadata)
                .await
                .map_err(broken)?;
        }
    }
    let root = app.bus.identity.load(issuer.as_str()).await.map_err(|e| from_command(e, failure::identity))?;
    Ok(root.accounts_with(issuer.account()))
}

/// Takes `account` out of its person (`root`); the root's own account
/// dissolves the person. The accounts unlinked.
pub async fn unlink(
    app: &App,
    metadata: &EventMetadata,
    account: &Account,
    root: &Account,
    at: Timestamp,
) -> Result<Vec<Account>, Failure> {
    let stream = IdentityStreamId::new(&metadata.org, root);
    let unlink = IdentityCommand::Unlink { this: root.clone(), account: account.clone(), at };
    let written = app
        .bus
        .identity
        .execute_written(stream.as_str(), unlink, metadata)
        .await
        .map_err(|e| from_command(e, failure::identity))?;
    let mut unlinked = Vec::new();
    for event in &written.events {
        if let IdentityEvent::AccountUnlinked(u) = event {
            settlement::finish_unlink(&app.bus, &metadata.org, root, &u.account, at, metadata).await.map_err(broken)?;
            unlinked.push(u.account.clone());
        }
    }
    Ok(unlinked)
}
