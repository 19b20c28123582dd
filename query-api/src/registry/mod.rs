//! The schema registry's read API (Confluent REST, the subset deserializers
//! and tools such as kcat use), served from the catalog in `schemas/` with
//! its stable ids. Registering is refused (read-only) unless the schema is
//! already the one registered, in which case its id is returned, as a
//! registry does for a schema it already holds.

mod error;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;
use wavestack_schemas::{find_in_subject, AggregateKind, SchemaEntry, CATALOG};

use error::RegistryError;

pub(crate) const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The registry's routes: the one table its router and its part of the
/// OpenAPI document both come from.
fn table() -> Vec<UtoipaMethodRouter> {
    vec![
        routes!(subjects),
        routes!(lookup),
        routes!(versions, register),
        routes!(version),
        routes!(version_schema),
        routes!(schema_by_id),
        routes!(raw_schema_by_id),
        routes!(versions_of_id),
        routes!(subjects_of_id),
        routes!(schema_types),
        routes!(config),
        routes!(subject_config),
        routes!(mode),
    ]
}

fn parts() -> (Router, utoipa::openapi::OpenApi) {
    table().into_iter().fold(OpenApiRouter::new(), OpenApiRouter::routes).split_for_parts()
}

pub(crate) fn routes() -> Router {
    parts().0
}

/// The registry's part of the document.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    parts().1
}

#[utoipa::path(
    get,
    path = "/schemas/types",
    tag = "schema registry",
    responses((status = 200, description = "The schema types served: AVRO", body = Vec<String>, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn schema_types() -> Response {
    ok(json!(["AVRO"]))
}

#[utoipa::path(
    get,
    path = "/config",
    tag = "schema registry",
    responses((status = 200, description = "The compatibility every subject keeps", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn config() -> Response {
    ok(compatibility())
}

#[utoipa::path(
    get,
    path = "/mode",
    tag = "schema registry",
    responses((status = 200, description = "`READONLY`", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn mode() -> Response {
    ok(json!({ "mode": "READONLY" }))
}

/// The registry's error shape (Confluent's).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct RegistryErrorBody {
    error_code: u32,
    message: String,
}

fn ok(body: Value) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body.to_string()).into_response()
}

fn compatibility() -> Value {
    json!({ "compatibilityLevel": "BACKWARD_TRANSITIVE" })
}

fn subject_entries(subject: &str) -> Result<Vec<&'static SchemaEntry>, RegistryError> {
    let kind = AggregateKind::ALL
        .into_iter()
        .find(|k| k.subject() == subject)
        .ok_or_else(|| RegistryError::subject_not_found(subject))?;
    Ok(SchemaEntry::versions(kind))
}

fn by_id(id: &str) -> Result<&'static SchemaEntry, RegistryError> {
    let id: u32 = id.parse().map_err(|_| RegistryError::schema_not_found(id))?;
    CATALOG.iter().find(|e| e.id == id).ok_or_else(|| RegistryError::schema_not_found(&id.to_string()))
}

fn described(entry: &SchemaEntry) -> Value {
    json!({ "subject": entry.subject(), "version": entry.version, "id": entry.id, "schema": entry.text })
}

#[utoipa::path(
    get,
    path = "/subjects",
    tag = "schema registry",
    responses((status = 200, description = "Every subject", body = Vec<String>, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn subjects() -> Response {
    let subjects: Vec<String> = AggregateKind::ALL.iter().map(|k| k.subject()).collect();
    ok(json!(subjects))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions",
    tag = "schema registry",
    params(("subject" = String, Path, description = "`<topic>-value`")),
    responses((status = 200, description = "The subject's versions", body = Vec<u32>, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn versions(Path(subject): Path<String>) -> Result<Response, RegistryError> {
    let versions: Vec<u32> = subject_entries(&subject)?.iter().map(|e| e.version).collect();
    Ok(ok(json!(versions)))
}

/// `latest`, `-1` or a version number.
fn find_version(subject: &str, version: &str) -> Result<&'static SchemaEntry, RegistryError> {
    let entries = subject_entries(subject)?;
    let found = match version {
        "latest" | "-1" => entries.last().copied(),
        number => {
            let number: u32 = number.parse().map_err(|_| RegistryError::invalid_version(version))?;
            entries.into_iter().find(|e| e.version == number)
        }
    };
    found.ok_or_else(|| RegistryError::version_not_found(version))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}",
    tag = "schema registry",
    params(("subject" = String, Path, description = "`<topic>-value`"), ("version" = String, Path, description = "A version number, `latest` or -1")),
    responses((status = 200, description = "One version: subject, version, id, schema", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn version(Path((subject, version)): Path<(String, String)>) -> Result<Response, RegistryError> {
    Ok(ok(described(find_version(&subject, &version)?)))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/schema",
    tag = "schema registry",
    params(("subject" = String, Path, description = "`<topic>-value`"), ("version" = String, Path, description = "A version number, `latest` or -1")),
    responses((status = 200, description = "The version's schema itself", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn version_schema(Path((subject, version)): Path<(String, String)>) -> Result<Response, RegistryError> {
    Ok(ok(serde_json::from_str(find_version(&subject, &version)?.text).expect("catalog schemas are JSON")))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}",
    tag = "schema registry",
    params(("id" = String, Path, description = "A schema id")),
    responses((status = 200, description = "The schema, as a string under `schema`", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn schema_by_id(Path(id): Path<String>) -> Result<Response, RegistryError> {
    Ok(ok(json!({ "schema": by_id(&id)?.text })))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/schema",
    tag = "schema registry",
    params(("id" = String, Path, description = "A schema id")),
    responses((status = 200, description = "The schema itself", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn raw_schema_by_id(Path(id): Path<String>) -> Result<Response, RegistryError> {
    Ok(ok(serde_json::from_str(by_id(&id)?.text).expect("catalog schemas are JSON")))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/versions",
    tag = "schema registry",
    params(("id" = String, Path, description = "A schema id")),
    responses((status = 200, description = "Where the schema is registered", body = Vec<Object>, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn versions_of_id(Path(id): Path<String>) -> Result<Response, RegistryError> {
    let entry = by_id(&id)?;
    Ok(ok(json!([{ "subject": entry.subject(), "version": entry.version }])))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/subjects",
    tag = "schema registry",
    params(("id" = String, Path, description = "A schema id")),
    responses((status = 200, description = "The subjects holding the schema", body = Vec<String>, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn subjects_of_id(Path(id): Path<String>) -> Result<Response, RegistryError> {
    Ok(ok(json!([by_id(&id)?.subject()])))
}

#[utoipa::path(
    get,
    path = "/config/{subject}",
    tag = "schema registry",
    params(("subject" = String, Path, description = "`<topic>-value`")),
    responses((status = 200, description = "The subject's compatibility", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn subject_config(Path(subject): Path<String>) -> Result<Response, RegistryError> {
    subject_entries(&subject)?;
    Ok(ok(compatibility()))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SchemaRequest {
    schema: String,
    #[serde(default, rename = "schemaType")]
    schema_type: Option<String>,
}

fn matching(subject: &str, body: &[u8]) -> Result<&'static SchemaEntry, RegistryError> {
    subject_entries(subject)?;
    let request: SchemaRequest =
        serde_json::from_slice(body).map_err(|e| RegistryError::invalid_schema(&e.to_string()))?;
    if request.schema_type.as_deref().is_some_and(|t| t != "AVRO") {
        return Err(RegistryError::invalid_schema("only AVRO schemas are served here"));
    }
    find_in_subject(subject, &request.schema)
        .map_err(|e| RegistryError::invalid_schema(&e.to_string()))?
        .ok_or_else(|| RegistryError::schema_not_found_in(subject))
}

/// `POST /subjects/{subject}`: is this schema registered under the subject?
#[utoipa::path(
    post,
    path = "/subjects/{subject}",
    tag = "schema registry",
    params(("subject" = String, Path, description = "`<topic>-value`")),
    request_body = SchemaRequest,
    responses((status = 200, description = "The version that holds the schema", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn lookup(Path(subject): Path<String>, body: Bytes) -> Result<Response, RegistryError> {
    Ok(ok(described(matching(&subject, &body)?)))
}

/// `POST /subjects/{subject}/versions`: read-only; a schema already held is
/// answered with its id, anything else refused.
#[utoipa::path(
    post,
    path = "/subjects/{subject}/versions",
    tag = "schema registry",
    params(("subject" = String, Path, description = "`<topic>-value`")),
    request_body = SchemaRequest,
    responses((status = 200, description = "The id of a schema already held (read-only: nothing else is registered)", body = Object, content_type = "application/vnd.schemaregistry.v1+json"), (status = "default", description = "The registry's own error shape (40401 subject, 40402 version, 40403 schema not found, 42202 invalid version, 42201 invalid schema, 42205 read-only)", body = RegistryErrorBody, content_type = "application/vnd.schemaregistry.v1+json"))
)]
async fn register(Path(subject): Path<String>, body: Bytes) -> Result<Response, RegistryError> {
    match matching(&subject, &body) {
        Ok(entry) => Ok(ok(json!({ "id": entry.id }))),
        Err(error) if error.is_not_found() => Err(RegistryError::read_only(&subject)),
        Err(error) => Err(error),
    }
}
