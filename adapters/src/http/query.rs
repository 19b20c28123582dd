//! The query-string extractor: axum's own `Query` refuses in plain text;
//! this one answers the JSON error shape (422, naming the parameter when
//! serde says which).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::json::named_field;

pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query).map(ValidQuery).map_err(|error| {
            let message = error.to_string();
            let field = ["unknown field `", "missing field `"]
                .iter()
                .find_map(|prefix| named_field(&message, prefix))
                .unwrap_or("query")
                .to_owned();
            ApiError::invalid_field(field, message).with_reason("invalid_type")
        })
    }
}
