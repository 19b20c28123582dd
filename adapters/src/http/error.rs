//! One error shape for every refusal:
//! `{"error": {"code", "message", "field"?, "reason"?, "request_id"}}`.
//! `code` is stable and machine-readable; `field` names the offending input;
//! `reason` says what is wrong with it (`too_long`, `empty`, …).

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use wavestack_domain::value::ValueError;

pub use wavestack_api_types::error::{ErrorBody, ErrorEnvelope};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: `Result<_, ApiError>` is returned everywhere; keep it small.
    pub body: Box<ErrorBody>,
    /// The body's code, kept `'static` for metrics and callers.
    code: &'static str,
    retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                code: code.into(),
                message: message.into(),
                field: None,
                reason: None,
                request_id: None,
            }),
            code,
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.body.field = Some(field.into());
        self
    }

    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.body.reason = Some(reason.into());
        self
    }

    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// 400: the body is not JSON at all.
    pub fn malformed_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_json", message)
    }

    /// 422: a field is missing, of the wrong type, or its value is refused.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field}: {}", message.into());
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).with_field(field)
    }

    /// 422 from a value type's refusal, keeping its reason code.
    pub fn invalid_value(field: impl Into<String>, error: &ValueError) -> Self {
        Self::invalid_field(field, error.to_string()).with_reason(error.code())
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 426: a WebSocket route reached without a WebSocket upgrade.
    pub fn websocket_required(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UPGRADE_REQUIRED, "websocket_required", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    pub fn too_many_requests(retry_after: Duration) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; slow down")
            .with_retry_after(retry_after)
    }

    /// 503: a dependency is down; the client may retry.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message).with_retry_after(Duration::from_secs(1))
    }

    /// 500: our fault. Logged here, once, with its chain; the client sees
    /// only the request id to quote.
    pub fn internal(error: anyhow::Error) -> Self {
        tracing::error!(error = format!("{error:#}"), "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; quote the request id")
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub(super) fn render(&self) -> Response {
        let mut response = (self.status, Json(serde_json::json!({ "error": &self.body }))).into_response();
        if let Some(after) = self.retry_after {
            let seconds = after.as_secs_f64().ceil().max(1.0) as u64;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{}\"", self.code);
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.render();
        // The request-context middleware renders it again with the request id.
        response.extensions_mut().insert(self);
        response
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(error)
    }
}
