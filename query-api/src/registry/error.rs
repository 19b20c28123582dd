//! Errors in the registry's own shape (`{"error_code", "message"}`), which
//! Confluent clients parse; the codes are Confluent's.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::CONTENT_TYPE;

#[derive(Debug)]
pub(super) struct RegistryError {
    status: StatusCode,
    code: u32,
    message: String,
}

impl RegistryError {
    pub(super) fn subject_not_found(subject: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: 40401, message: format!("Subject '{subject}' not found.") }
    }

    pub(super) fn version_not_found(version: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: 40402, message: format!("Version {version} not found.") }
    }

    pub(super) fn schema_not_found(id: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: 40403, message: format!("Schema {id} not found") }
    }

    pub(super) fn schema_not_found_in(subject: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: 40403, message: format!("Schema not found under '{subject}'") }
    }

    pub(super) fn invalid_version(version: &str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: 42202,
            message: format!("The specified version '{version}' is not a valid version id."),
        }
    }

    pub(super) fn invalid_schema(why: &str) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, code: 42201, message: format!("Invalid schema: {why}") }
    }

    pub(super) fn read_only(subject: &str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: 42205,
            message: format!("Subject {subject} is in read-only mode: WaveStack serves only its own schemas"),
        }
    }

    pub(super) fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let body = json!({ "error_code": self.code, "message": self.message });
        (self.status, [(header::CONTENT_TYPE, CONTENT_TYPE)], body.to_string()).into_response()
    }
}
