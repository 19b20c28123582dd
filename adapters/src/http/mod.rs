//! What both HTTP APIs share: bearer tokens and scopes, the JSON error shape,
//! the JSON body extractor,
//! request ids, request logs and metrics, health and readiness, serving
//! with graceful shutdown.

mod auth;
mod caller_slots;
mod error;
mod health;
mod json;
mod metrics;
mod openapi;
mod password_gate;
mod query;
mod rate_limit;
mod request_context;
mod serve;
mod shed;

pub use auth::{authenticate, require_scope};
pub use caller_slots::{CallerSlot, CallerSlots};
pub use error::{ApiError, ErrorBody, ErrorEnvelope};
pub use health::{health_routes, HealthMonitor, Readiness};
pub use json::{from_value, parse_json, ValidJson};
pub use metrics::{metrics_handle, metrics_route};
pub use openapi::{document, openapi_route, BearerAuth, Refused};
pub use password_gate::{PasswordGate, PasswordLimits};
pub use query::{parse_query, ValidQuery};
pub use rate_limit::{limit_per_caller, KeyedLimiter, RateLimit, RateLimiter, RateLimits};
pub use request_context::{request_context, ApiName, RequestId};
pub use serve::{serve, serve_with, ServeLimits};
pub use shed::{shed_load, LoadLimits, LoadShedder};
