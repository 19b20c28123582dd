//! The platform accounts members sign in to the dashboard with (Sign in
//! with Twitch): linked by the member themself once the platform proved
//! the account theirs, ended by them or an owner. Who may sign in as whom
//! is the team's rule, so each link is an event with its actor.

use wavestack_adapters::command_bus::{CommandError, Written};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::team::{TeamCommand, TeamError, TeamEvent};
use wavestack_domain::value::{ChatPlatform, PlatformUserId, Username};

use crate::App;

/// `username` signs in with this account from now on (actor: themself).
pub async fn link(
    app: &App,
    metadata: &EventMetadata,
    username: &Username,
    platform: ChatPlatform,
    user_id: PlatformUserId,
    login: String,
) -> Result<Written<TeamEvent>, CommandError<TeamError>> {
    let command = TeamCommand::LinkSignIn {
        username: username.clone(),
        platform,
        user_id,
        login,
        by: username.clone(),
        at: metadata.occurred_at,
    };
    app.bus.team.execute_written(metadata.org.as_str(), command, metadata).await
}

/// Ends `username`'s sign-in with `platform`; `by` is themself or an owner.
pub async fn unlink(
    app: &App,
    metadata: &EventMetadata,
    username: &Username,
    platform: ChatPlatform,
    by: &Username,
) -> Result<Written<TeamEvent>, CommandError<TeamError>> {
    let command = TeamCommand::UnlinkSignIn {
        username: username.clone(),
        platform,
        by: Some(by.clone()),
        at: metadata.occurred_at,
    };
    app.bus.team.execute_written(metadata.org.as_str(), command, metadata).await
}
