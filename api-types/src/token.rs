//! The OAuth 2.0 client-credentials token endpoint (`POST /oauth/token`).

use serde::{Deserialize, Serialize};

/// The OAuth 2.0 client-credentials grant, as a form or as JSON; the
/// client may also authenticate with HTTP Basic instead of the body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
}

/// RFC 6749 §5.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds.
    pub expires_in: u64,
    /// Space-separated.
    pub scope: String,
}
