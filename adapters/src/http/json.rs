//! The JSON body extractor: 415 for another content type, 413 over the body
//! limit, 400 for malformed JSON, 422 naming the field for a missing field
//! or a wrong type. axum's own `Json` answers these in plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;

#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large("the request body is larger than the limit")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(ValidJson)
    }
}

/// Parses JSON, naming the path of the offending field on a data error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        refusal(&path, error.into_inner())
    })?;
    deserializer.end().map_err(|trailing| refusal(".", trailing))?;
    Ok(value)
}

/// Parses one element of an already parsed body (a batch item), naming
/// fields under `prefix` (`messages[3]`).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let path = match (prefix, path.as_str()) {
            ("", path) => path.to_owned(),
            (prefix, ".") => prefix.to_owned(),
            (prefix, path) => format!("{prefix}.{path}"),
        };
        refusal(&path, error.into_inner())
    })
}

fn refusal(path: &str, error: serde_json::Error) -> ApiError {
    match error.classify() {
        serde_json::error::Category::Data => {
            let message = strip_position(&error.to_string());
            ApiError::invalid_field(field_of(path, &message), message).with_reason("invalid_type")
        }
        _ => ApiError::malformed_json(format!("the body is not valid JSON: {error}")),
    }
}

/// serde reports a missing field at its parent's path, naming the field in
/// the message; put it in the path. (An unknown field's path is its own.)
fn field_of(path: &str, message: &str) -> String {
    let missing = named_field(message, "missing field `");
    match (missing, path) {
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_owned(),
        (None, path) => path.to_owned(),
    }
}

/// The field serde names after `prefix` (`missing field \`x\``, `unknown field \`x\``).
pub(super) fn named_field<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message.strip_prefix(prefix).and_then(|rest| rest.split('`').next())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Message {
        text: String,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Batch {
        messages: Vec<Message>,
    }

    #[test]
    fn names_the_field_at_fault() {
        let error = parse_json::<Batch>(br#"{"messages":[{"text":"a","count":1},{"text":"b"}]}"#).unwrap_err();
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.body.field.as_deref(), Some("messages[1].count"));
        let error = parse_json::<Message>(br#"{"text":1,"count":1}"#).unwrap_err();
        assert_eq!(error.body.field.as_deref(), Some("text"));
        let error = parse_json::<Message>(br#"{"text":"a","count":1,"extra":true}"#).unwrap_err();
        assert_eq!(error.body.field.as_deref(), Some("extra"));
    }

    #[test]
    fn malformed_json_is_a_400() {
        for body in [&b"{"[..], b"", b"not json", b"{\"text\":\"a\",\"count\":1} trailing"] {
            let error = parse_json::<Message>(body).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
            assert_eq!(error.code(), "malformed_json");
        }
    }
}
