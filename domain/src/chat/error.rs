use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChatError {
    /// The command names a different viewer than the stream it was sent to:
    /// a routing bug, never a client's mistake.
    #[error("message is for a different viewer than this stream")]
    ViewerMismatch,
    #[error("{field} must be from {min} to {max}")]
    OutOfRange { field: &'static str, min: u32, max: u32 },
}

impl ChatError {
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::ViewerMismatch => "viewer_mismatch",
            ChatError::OutOfRange { .. } => "out_of_range",
        }
    }
}
