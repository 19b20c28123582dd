//! How a community step fails: refused (the client's or viewer's mistake,
//! a reply in chat or a JSON error naming the field) or broken (the
//! store; an opaque 500, or a logged failure in chat).

use axum::http::StatusCode;
use wavestack_adapters::command_bus::CommandError;
use wavestack_adapters::http::ApiError;
use wavestack_domain::channel::ChannelError;
use wavestack_domain::giveaway::GiveawayError;
use wavestack_domain::identity::IdentityError;
use wavestack_domain::poll::PollError;

#[derive(Debug)]
pub(crate) enum Failure {
    Refused { status: StatusCode, code: &'static str, field: Option<&'static str>, message: String },
    Broken(anyhow::Error),
}

impl Failure {
    pub(crate) fn refused(
        status: StatusCode,
        code: &'static str,
        field: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        Failure::Refused { status, code, field, message: message.into() }
    }

    /// What the bot says about it in chat, or the error for the caller.
    pub(crate) fn reply(self) -> anyhow::Result<String> {
        match self {
            Failure::Refused { message, .. } => Ok(message),
            Failure::Broken(error) => Err(error),
        }
    }

    pub(crate) fn into_api(self) -> ApiError {
        match self {
            Failure::Refused { status, code, field: Some(field), message } => {
                ApiError::new(status, code, message).with_field(field)
            }
            Failure::Refused { status, code, field: None, message } => ApiError::new(status, code, message),
            Failure::Broken(error) => ApiError::internal(error),
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
        other => Failure::Broken(anyhow::anyhow!("{}", wavestack_adapters::error_chain(&other))),
    }
}

pub(crate) fn giveaway(error: GiveawayError) -> Failure {
    let status = match error {
        GiveawayError::Unknown => StatusCode::NOT_FOUND,
        GiveawayError::OutOfRange { .. } | GiveawayError::Invalid { .. } | GiveawayError::NotAWinner(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::CONFLICT,
    };
    Failure::refused(status, error.code(), error.field(), error.to_string())
}

pub(crate) fn poll(error: PollError) -> Failure {
    let status = match error {
        PollError::Unknown => StatusCode::NOT_FOUND,
        PollError::OutOfRange { .. } | PollError::Invalid { .. } | PollError::NoSuchOption { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::CONFLICT,
    };
    Failure::refused(status, error.code(), error.field(), error.to_string())
}

pub(crate) fn channel(error: ChannelError) -> Failure {
    let status = match error {
        ChannelError::GiveawayRunning | ChannelError::PollRunning => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Failure::refused(status, error.code(), Some(error.field()), error.to_string())
}

pub(crate) fn identity(error: IdentityError) -> Failure {
    let status = match error {
        IdentityError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        IdentityError::NotLinked(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    };
    Failure::refused(status, error.code(), None, error.to_string())
}
