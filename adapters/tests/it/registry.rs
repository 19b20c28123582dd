//! Registering the catalog in an external schema registry. Confluent Schema
//! Registry cannot run here (no JVM artifacts, no Docker), so a local server
//! speaking its documented `POST /subjects/{subject}/versions` stands in:
//! it assigns its own ids, as a real registry shared with other systems does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use wavestack_adapters::registry::register_catalog;
use wavestack_schemas::{AggregateKind, Codec, SchemaEntry, CATALOG};

#[derive(Default)]
struct Registry {
    /// (subject, schema text) → id
    ids: HashMap<(String, String), u32>,
    next: u32,
}

async fn register(
    State(registry): State<Arc<Mutex<Registry>>>,
    Path(subject): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let Some(schema) = body["schema"].as_str() else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error_code": 42201, "message": "no schema" })));
    };
    let mut registry = registry.lock().unwrap();
    let next = registry.next;
    let id = *registry.ids.entry((subject, schema.to_owned())).or_insert(next);
    if id == next {
        registry.next += 1;
    }
    (StatusCode::OK, Json(json!({ "id": id })))
}

async fn start_registry() -> (String, Arc<Mutex<Registry>>) {
    let registry = Arc::new(Mutex::new(Registry { next: 100, ..Registry::default() }));
    let app = Router::new().route("/subjects/{subject}/versions", post(register)).with_state(registry.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, registry)
}

#[tokio::test]
async fn the_registrys_ids_go_on_the_wire() {
    let (url, registry) = start_registry().await;
    let ids = register_catalog(&url, Duration::from_secs(5)).await.unwrap();
    assert_eq!(registry.lock().unwrap().ids.len(), CATALOG.len(), "every version of every subject registered");
    for entry in CATALOG {
        let assigned = registry.lock().unwrap().ids[&(entry.subject(), entry.text.to_owned())];
        assert_eq!(ids.id_of(entry), assigned);
        assert!(assigned >= 100);
    }
    // Registering again (a restart) gets the same ids back.
    assert_eq!(register_catalog(&url, Duration::from_secs(5)).await.unwrap(), ids);

    let codec = Codec::with_schema_ids(&ids).unwrap();
    let latest = SchemaEntry::latest(AggregateKind::Chat);
    assert_eq!(codec.schema_id(AggregateKind::Chat), ids.id_of(latest));
    assert_ne!(codec.schema_id(AggregateKind::Chat), latest.id);
}

#[tokio::test]
async fn an_unreachable_registry_fails_after_the_patience() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let error = register_catalog(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(format!("{error:#}").contains("registering"), "{error:#}");
}

#[tokio::test]
async fn a_refusal_by_the_registry_is_reported_at_once() {
    let app = Router::new().route(
        "/subjects/{subject}/versions",
        post(|| async { (StatusCode::CONFLICT, Json(json!({ "error_code": 409, "message": "incompatible schema" }))) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let error = register_catalog(&url, Duration::from_secs(30)).await.unwrap_err();
    assert!(error.to_string().contains("incompatible schema"), "{error}");
}
