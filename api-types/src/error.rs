//! One error shape for every refusal and failure of both APIs:
//! `{"error": {"code", "message", "field"?, "reason"?, "request_id"?}}`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Every refusal and failure of both APIs: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// `code` and `reason` are borrowed where the server writes them (a fixed
/// set of codes) and owned where a client reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable.
    #[schema(value_type = String)]
    pub code: Cow<'static, str>,
    pub message: String,
    /// The request field at fault (`messages[2].text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why the field was refused (`too_long`, `empty`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub reason: Option<Cow<'static, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
