//! How a community step fails: refused (the client's or viewer's mistake:
//! a reply in chat, or an error naming the field at the API) or broken
//! (the store: a logged failure in chat, an opaque error at the API).

use wavestack_adapters::command_bus::CommandError;
use wavestack_domain::channel::ChannelError;
use wavestack_domain::giveaway::GiveawayError;
use wavestack_domain::identity::IdentityError;
use wavestack_domain::poll::PollError;

/// What kind of refusal it is; each edge says it its own way (the command
/// API as 404, 422, 409 or 429).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing of that id is there (or it is another org's).
    NotFound,
    /// The request itself is wrong.
    Invalid,
    /// Right, but not now: the state it would change does not allow it.
    Conflict,
    /// Too many attempts; wait.
    TooMany,
}

#[derive(Debug)]
pub enum Failure {
    Refused { kind: Refusal, code: &'static str, field: Option<&'static str>, message: String },
    Broken(anyhow::Error),
}

impl Failure {
    pub fn refused(kind: Refusal, code: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        Failure::Refused { kind, code, field, message: message.into() }
    }

    /// What the bot says about it in chat, or the error for the caller.
    pub fn reply(self) -> anyhow::Result<String> {
        match self {
            Failure::Refused { message, .. } => Ok(message),
            Failure::Broken(error) => Err(error),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Broken(error)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Broken(error.into())
    }
}

/// Maps a store outcome's refusal with `refusal`, anything else is broken.
pub(crate) fn from_command<E: std::error::Error + Send + Sync + 'static>(
    error: CommandError<E>,
    refusal: impl FnOnce(E) -> Failure,
) -> Failure {
    match error {
        CommandError::Rejected(e) => refusal(e),
        other => broken(&other),
    }
}

/// A failure of the store, with its whole chain.
pub(crate) fn broken(error: &(dyn std::error::Error + 'static)) -> Failure {
    Failure::Broken(anyhow::anyhow!("{}", wavestack_adapters::error_chain(error)))
}

pub(crate) fn giveaway(error: GiveawayError) -> Failure {
    let kind = match error {
        GiveawayError::Unknown => Refusal::NotFound,
        GiveawayError::OutOfRange { .. } | GiveawayError::Invalid { .. } | GiveawayError::NotAWinner(_) => {
            Refusal::Invalid
        }
        _ => Refusal::Conflict,
    };
    Failure::refused(kind, error.code(), error.field(), error.to_string())
}

pub(crate) fn poll(error: PollError) -> Failure {
    let kind = match error {
        PollError::Unknown => Refusal::NotFound,
        PollError::OutOfRange { .. } | PollError::Invalid { .. } | PollError::NoSuchOption { .. } => Refusal::Invalid,
        _ => Refusal::Conflict,
    };
    Failure::refused(kind, error.code(), error.field(), error.to_string())
}

pub(crate) fn channel(error: ChannelError) -> Failure {
    let kind = match error {
        ChannelError::GiveawayRunning | ChannelError::PollRunning => Refusal::Conflict,
        _ => Refusal::Invalid,
    };
    Failure::refused(kind, error.code(), Some(error.field()), error.to_string())
}

pub(crate) fn identity(error: IdentityError) -> Failure {
    let kind = match error {
        IdentityError::TooManyAttempts { .. } => Refusal::TooMany,
        IdentityError::NotLinked(_) => Refusal::NotFound,
        _ => Refusal::Conflict,
    };
    Failure::refused(kind, error.code(), None, error.to_string())
}
