//! The query-string extractor: axum's own `Query` refuses in plain text;
//! this one answers the JSON error shape (422, naming the parameter when
//! serde says which, or which value it refused).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::json::named_field;

#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or("")).map(ValidQuery)
    }
}

/// A query string into `T`, refused as `ValidQuery` refuses.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let message = error.inner().to_string();
        // The path names the parameter whose value was refused; unknown
        // and missing parameters are named only in serde's message.
        let path = error.path().to_string();
        let field = ["unknown field `", "missing field `"]
            .iter()
            .find_map(|prefix| named_field(&message, prefix))
            .map(str::to_owned)
            .or_else(|| (path != ".").then_some(path))
            .unwrap_or_else(|| "query".to_owned());
        ApiError::invalid_field(field, message).with_reason("invalid_type")
    })
}
