use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChatError {
    /// The command names a different viewer than the stream it was sent to:
    /// a routing bug, never a client's mistake.
    #[error("message is for a different viewer than this stream")]
    ViewerMismatch,
}
