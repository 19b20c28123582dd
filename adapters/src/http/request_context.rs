//! Around every request: a request id (the caller's `X-Request-Id` if it is
//! sane, else a new one) echoed in the response and in error bodies, a span
//! that every log line of the request carries, one access log line, and
//! the request metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

use super::error::ApiError;

pub(super) const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Which API a metric or log line is from: `command` or `query`.
#[derive(Debug, Clone, Copy)]
pub struct ApiName(pub &'static str);

/// The request's id, for handlers that write it into events.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_context(State(api): State<ApiName>, mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!("request", api = api.0, request_id = %id, %method, route = %route);
    let started = Instant::now();

    let mut response = next.run(request).instrument(span.clone()).await;

    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        let mut error = error;
        error.body.request_id = Some(id.clone());
        response = error.render();
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1e3, "request"));
    let labels = [("api", api.0.to_owned()), ("route", route), ("method", method_label(&method).to_owned())];
    metrics::histogram!("wavestack_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    let mut labels = labels.to_vec();
    labels.push(("status", status.to_string()));
    metrics::counter!("wavestack_http_requests_total", &labels).increment(1);
    response
}

/// A metric label for the method: the standard ones by name, anything a
/// caller made up as `other`, so made-up methods cannot grow `/metrics`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN.iter().find(|(known, _)| known == method).map_or("other", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::from_bytes(b"FLOOD1").unwrap()), "other");
        assert_eq!(method_label(&Method::from_bytes(b"FLOOD2").unwrap()), "other");
    }
}
