//! Registering the log's schemas in an external, Confluent-compatible
//! schema registry (`SCHEMA_REGISTRY_URL`), so records carry its ids.
//! Without one, the query API serves the catalog's ids read-only.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;
use serde_json::json;
use wavestack_schemas::{AggregateKind, SchemaEntry, SchemaIds};

pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

#[derive(Deserialize)]
struct Registered {
    id: u32,
}

/// Registers every version of every subject, oldest first (so the
/// registry's compatibility check sees them in order), and returns the ids
/// it assigned. Registering an already registered schema returns its id.
/// Retries for `patience` while the registry is not reachable yet.
pub async fn register_catalog(base_url: &str, patience: Duration) -> anyhow::Result<SchemaIds> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let base = base_url.trim_end_matches('/');
    let mut ids = HashMap::new();
    for kind in AggregateKind::ALL {
        for entry in SchemaEntry::versions(kind) {
            let id = register(&client, base, entry, patience).await?;
            tracing::info!(subject = %entry.subject(), version = entry.version, id, "schema registered");
            ids.insert(entry.id, id);
        }
    }
    Ok(SchemaIds::assigned(ids))
}

async fn register(
    client: &reqwest::Client,
    base: &str,
    entry: &SchemaEntry,
    patience: Duration,
) -> anyhow::Result<u32> {
    let url = format!("{base}/subjects/{}/versions", entry.subject());
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let sent = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .json(&json!({ "schema": entry.text }))
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                let registered: Registered = response.json().await.context("reading the registry's answer")?;
                return Ok(registered.id);
            }
            Ok(response) if response.status().is_client_error() => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                bail!("the schema registry refused {} v{}: {status} {body}", entry.subject(), entry.version);
            }
            Ok(response) if tokio::time::Instant::now() >= deadline => {
                bail!("the schema registry answered {} for {}", response.status(), entry.subject());
            }
            Err(error) if tokio::time::Instant::now() >= deadline => {
                return Err(error).with_context(|| format!("registering {} at {url}", entry.subject()));
            }
            _ => {
                tracing::info!(url, "schema registry not ready; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
