//! Each domain refusal mapped to its HTTP status, once. Another org's
//! aggregate is `NotFound` (ids are scoped by org), so it is a 404.

use std::time::Duration;

use axum::http::StatusCode;
use wavestack_adapters::command_bus::CommandError;
use wavestack_adapters::http::ApiError;
use wavestack_app::community::{Failure, Refusal as FailureKind};
use wavestack_domain::broadcast::BroadcastError;
use wavestack_domain::channel::ChannelError;
use wavestack_domain::chat::ChatError;
use wavestack_domain::chat_command::CommandUseError;
use wavestack_domain::clip::ClipError;
use wavestack_domain::publication::PublicationError;

pub(crate) trait Refusal: std::error::Error {
    fn to_api_error(&self) -> ApiError;
}

impl Refusal for ClipError {
    fn to_api_error(&self) -> ApiError {
        let status = match self {
            ClipError::NotFound => StatusCode::NOT_FOUND,
            _ => StatusCode::CONFLICT,
        };
        ApiError::new(status, self.code(), self.to_string())
    }
}

impl Refusal for PublicationError {
    fn to_api_error(&self) -> ApiError {
        let status = match self {
            PublicationError::NotFound => StatusCode::NOT_FOUND,
            PublicationError::UnknownTarget { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::CONFLICT,
        };
        let error = ApiError::new(status, self.code(), self.to_string());
        match self {
            PublicationError::UnknownTarget { .. } => error.with_field("target"),
            _ => error,
        }
    }
}

impl Refusal for ChannelError {
    fn to_api_error(&self) -> ApiError {
        let status = match self {
            ChannelError::UnknownCommand(_) => StatusCode::NOT_FOUND,
            ChannelError::CommandExists(_) | ChannelError::NameTaken(_) | ChannelError::AliasedBy { .. } => {
                StatusCode::CONFLICT
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, self.code(), self.to_string()).with_field(self.field())
    }
}

impl Refusal for CommandUseError {
    fn to_api_error(&self) -> ApiError {
        // Uses are decided, never refused as commands.
        ApiError::internal(anyhow::anyhow!("command use refused: {self}"))
    }
}

impl Refusal for ChatError {
    fn to_api_error(&self) -> ApiError {
        match self {
            ChatError::OutOfRange { field, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, self.code(), self.to_string()).with_field(*field)
            }
            // Only a routing bug can send a message to another viewer's stream.
            ChatError::ViewerMismatch => ApiError::internal(anyhow::anyhow!("chat command refused: {self}")),
        }
    }
}

pub(crate) fn command_error<E: Refusal>(error: CommandError<E>) -> ApiError {
    match error {
        CommandError::Rejected(refusal) => refusal.to_api_error(),
        CommandError::Conflict => {
            ApiError::new(StatusCode::CONFLICT, "conflict", "the aggregate kept changing under this command; retry")
                .with_retry_after(Duration::from_secs(1))
        }
        CommandError::Store(error) => {
            // Logged here once, with its whole chain; the client gets none of it.
            tracing::error!(error = %wavestack_adapters::error_chain(&error), "event store failed");
            ApiError::unavailable("the event store is unavailable; retry")
        }
    }
}

/// A community step's failure: a refusal as its status, with the field at
/// fault; a broken store as an opaque 500.
pub(crate) fn failure_error(failure: Failure) -> ApiError {
    match failure {
        Failure::Refused { kind, code, field, message } => {
            let status = match kind {
                FailureKind::NotFound => StatusCode::NOT_FOUND,
                FailureKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                FailureKind::Conflict => StatusCode::CONFLICT,
                FailureKind::TooMany => StatusCode::TOO_MANY_REQUESTS,
            };
            let error = ApiError::new(status, code, message);
            match field {
                Some(field) => error.with_field(field),
                None => error,
            }
        }
        Failure::Broken(error) => ApiError::internal(error),
    }
}

/// A member's add or password set that failed: the team's refusal, or the
/// password store being unavailable (logged here, never shown).
pub(crate) fn member_error(error: wavestack_adapters::auth::AddMemberError) -> ApiError {
    use wavestack_adapters::auth::AddMemberError;
    match error {
        AddMemberError::Command(error) => command_error(error),
        AddMemberError::Password(error) => {
            tracing::error!(error = format!("{error:#}"), "storing a member's password failed");
            ApiError::unavailable("the password could not be stored; retry")
        }
    }
}

impl Refusal for BroadcastError {
    fn to_api_error(&self) -> ApiError {
        let error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, self.code(), self.to_string());
        match self.field() {
            Some(field) => error.with_field(field),
            None => error,
        }
    }
}
