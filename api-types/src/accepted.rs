//! The `202` every command route answers: whether the command wrote
//! something new, and the aggregate and its sequence after it.

use serde::{Deserialize, Serialize};

/// The body of every `202`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AcceptedBody {
    pub outcome: Outcome,
    pub aggregate_id: String,
    pub sequence: u64,
    pub events_written: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    /// Nothing new was written: a redelivered message, a retried create.
    Duplicate,
}
