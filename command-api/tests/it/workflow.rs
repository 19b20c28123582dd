//! A clip and its publication through every worker-facing transition.

use crate::support::{clip_request, spawn_app};
use serde_json::json;

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_clip_is_rendered_and_its_publication_published(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let bot = app.token("acme", "clips:write publications:write");
    let worker = app.token_for("renderer-1", "acme", "clips:work publications:work");

    let clip = app.post("/v1/clips", &bot, &clip_request()).await;
    assert_eq!((clip.status, clip.body["sequence"].clone()), (202, json!(1)), "{clip:?}");
    let clip_id = clip.body["clip_id"].as_str().unwrap().to_owned();
    assert_eq!(clip.body["aggregate_id"], format!("acme/{clip_id}"));

    let publication = app
        .post(
            "/v1/publications",
            &bot,
            &json!({
                "asset": { "clip_id": clip_id },
                "targets": ["youtube", "discord", "youtube"],
                "title": "The play",
                "caption": "what a moment\nclip by chat",
                "hashtags": ["#gaming", "clips"],
            }),
        )
        .await;
    assert_eq!(publication.status, 202, "{publication:?}");
    let publication_id = publication.body["publication_id"].as_str().unwrap().to_owned();
    let at = |path: &str| format!("/v1/publications/{publication_id}/{path}");

    // Not publishable before its clip is rendered.
    let early = app.post(&at("attempts"), &worker, &json!({ "target": "youtube" })).await;
    assert_eq!((early.status, early.code()), (409, "asset_not_ready"));

    let start = app.post(&format!("/v1/clips/{clip_id}/start"), &worker, &json!({})).await;
    assert_eq!(start.status, 202, "{start:?}");
    let rendered = json!({
        "uri": format!("https://cdn.example.com/clips/{clip_id}.mp4"),
        "thumbnail_uri": format!("https://cdn.example.com/clips/{clip_id}.jpg"),
        "duration_ms": 30000, "size_bytes": 1_234_567, "sha256": "ab".repeat(32),
    });
    let done = app.post(&format!("/v1/clips/{clip_id}/complete"), &worker, &rendered).await;
    assert_eq!((done.status, done.body["sequence"].clone()), (202, json!(3)), "{done:?}");

    let ready = app.post(&at("asset-ready"), &worker, &json!({ "media_uri": rendered["uri"] })).await;
    assert_eq!(ready.status, 202, "{ready:?}");
    let unknown = app.post(&at("attempts"), &worker, &json!({ "target": "tiktok" })).await;
    assert_eq!((unknown.status, unknown.code(), unknown.field()), (422, "unknown_target", "target"));
    assert_eq!(app.post(&at("attempts"), &worker, &json!({ "target": "youtube" })).await.status, 202);
    let published = app
        .post(
            &at("published"),
            &worker,
            &json!({ "target": "youtube", "post_id": "dQw4w9WgXcQ", "url": "https://youtu.be/dQw4w9WgXcQ" }),
        )
        .await;
    assert_eq!(published.status, 202, "{published:?}");
    assert_eq!(app.post(&at("attempts"), &worker, &json!({ "target": "discord" })).await.status, 202);
    let failed = app
        .post(
            &at("failed"),
            &worker,
            &json!({ "target": "discord", "error": "webhook answered 502", "retryable": true }),
        )
        .await;
    assert_eq!(failed.status, 202, "{failed:?}");

    let reschedule = app.post(&at("reschedule"), &bot, &json!({ "scheduled_at": "2026-12-01T18:00:00Z" })).await;
    assert_eq!(reschedule.status, 202, "{reschedule:?}");
    let cancel = app.post(&at("cancel"), &bot, &json!({})).await;
    assert_eq!(cancel.status, 202);
    let after = app.post(&at("reschedule"), &bot, &json!({ "scheduled_at": "2026-12-02T18:00:00Z" })).await;
    assert_eq!((after.status, after.code()), (409, "publication_cancelled"));
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_publication_with_an_idempotency_key_is_created_once(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let bot = app.token("acme", "publications:write");
    let body = json!({ "asset": { "url": "https://cdn.example.com/a.mp4" }, "targets": ["webhook"], "title": "A" });
    let first = app.post_with_key("/v1/publications", &bot, "post-1", &body).await;
    assert_eq!(first.status, 202);
    let bad = json!({ "asset": { "url": "https://cdn.example.com/a.mp4", "clip_id": "x" }, "targets": ["webhook"], "title": "A" });
    let answer = app.post("/v1/publications", &bot, &bad).await;
    assert_eq!((answer.status, answer.field()), (422, "asset"));
    let answer = app
        .post("/v1/publications", &bot, &json!({ "asset": { "url": "ftp://x" }, "targets": ["webhook"], "title": "A" }))
        .await;
    assert_eq!((answer.status, answer.field()), (422, "asset.url"));
    let answer = app
        .post("/v1/publications", &bot, &json!({ "asset": { "url": "https://x.y/z" }, "targets": [], "title": "A" }))
        .await;
    assert_eq!((answer.status, answer.field()), (422, "targets"));
    assert_eq!(app.events_in("publication").await, 1);
}
