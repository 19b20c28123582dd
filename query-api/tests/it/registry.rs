//! The read-only registry speaks enough Confluent REST for deserializers:
//! a record framed by the relay's codec decodes with the schema fetched by
//! the id in its frame.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use tower::ServiceExt;

use wavestack_adapters::auth::{KeyStore, TokenSettings, Tokens};
use wavestack_query_api::{router, QueryConfig};
use wavestack_schemas::{AggregateKind, SchemaEntry, CATALOG};

fn config(serve_registry: bool) -> QueryConfig {
    // The registry never touches Postgres; a lazy pool is never connected.
    let pool = PgPoolOptions::new().connect_lazy("postgres://127.0.0.1:1/none").unwrap();
    static KEYS: std::sync::OnceLock<(tempfile::TempDir, Arc<Tokens>)> = std::sync::OnceLock::new();
    let (_, tokens) = KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(KeyStore::open(dir.path()).unwrap());
        (dir, Arc::new(Tokens::new(keys, TokenSettings::default())))
    });
    QueryConfig { serve_registry, ..QueryConfig::new(pool, tokens.clone(), wavestack_query_api::LiveHub::new()) }
}

fn app() -> axum::Router {
    router(config(true))
}

async fn call(method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let request = Request::builder().method(method).uri(uri);
    let request = match body {
        Some(body) => {
            request.header("content-type", "application/vnd.schemaregistry.v1+json").body(Body::from(body.to_string()))
        }
        None => request.body(Body::empty()),
    };
    let response = app().oneshot(request.unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_subject_and_id_is_served() {
    let (status, subjects) = call("GET", "/subjects", None).await;
    assert_eq!(status, StatusCode::OK);
    let expected: Vec<String> = AggregateKind::ALL.iter().map(|k| k.subject()).collect();
    assert_eq!(subjects, json!(expected));
    for entry in CATALOG {
        let (status, body) = call("GET", &format!("/schemas/ids/{}", entry.id), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["schema"], entry.text);
        let (_, latest) = call("GET", &format!("/subjects/{}/versions/latest", entry.subject()), None).await;
        let newest = SchemaEntry::latest(entry.aggregate);
        assert_eq!(latest["id"], newest.id);
        assert_eq!(latest["version"], newest.version);
    }
}

#[tokio::test]
async fn unknown_ids_and_subjects_get_confluent_error_codes() {
    let (status, body) = call("GET", "/schemas/ids/999", None).await;
    assert_eq!((status, body["error_code"].clone()), (StatusCode::NOT_FOUND, json!(40403)));
    let (status, body) = call("GET", "/subjects/nope-value/versions", None).await;
    assert_eq!((status, body["error_code"].clone()), (StatusCode::NOT_FOUND, json!(40401)));
    let subject = AggregateKind::Chat.subject();
    let (status, body) = call("GET", &format!("/subjects/{subject}/versions/99"), None).await;
    assert_eq!((status, body["error_code"].clone()), (StatusCode::NOT_FOUND, json!(40402)));
    let (status, body) = call("GET", &format!("/subjects/{subject}/versions/x"), None).await;
    assert_eq!((status, body["error_code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(42202)));
}

#[tokio::test]
async fn registering_is_read_only_but_a_held_schema_returns_its_id() {
    let entry = &CATALOG[0];
    let subject = entry.subject();
    let (status, body) =
        call("POST", &format!("/subjects/{subject}/versions"), Some(json!({ "schema": entry.text }))).await;
    assert_eq!((status, body["id"].clone()), (StatusCode::OK, json!(entry.id)));
    let other = r#"{"type":"record","name":"Other","fields":[]}"#;
    let (status, body) = call("POST", &format!("/subjects/{subject}/versions"), Some(json!({ "schema": other }))).await;
    assert_eq!((status, body["error_code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(42205)));
    let (status, body) = call("POST", &format!("/subjects/{subject}"), Some(json!({ "schema": entry.text }))).await;
    assert_eq!((status, body["version"].clone()), (StatusCode::OK, json!(entry.version)));
}

#[tokio::test]
async fn the_registry_is_absent_when_an_external_one_is_used() {
    let app = router(config(false));
    let response = app.oneshot(Request::get("/subjects").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
