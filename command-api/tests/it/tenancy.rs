//! The wall between orgs at the command API: each org's recordings, clips,
//! publishing destinations and share of the renderers are its own, and a
//! request reaching for another org's is refused at once, in a way that
//! says nothing of what the other org has.

use std::time::Duration;

use crate::support::{clip_request, destinations, spawn_app_with, Options};
use serde_json::json;
use wavestack_adapters::media::{QuotaLimits, RenderQuota, SourcePolicy};
use wavestack_adapters::publishers::ConfiguredTargets;
use wavestack_command_api::Tenancy;

const CLIPS_BASE: &str = "http://127.0.0.1:8081/files";

/// Media of two orgs: acme has a private recording; rival has none.
fn media() -> (tempfile::TempDir, SourcePolicy) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("acme/vods")).unwrap();
    std::fs::create_dir_all(dir.path().join("rival")).unwrap();
    std::fs::write(dir.path().join("acme/vods/acme-private.mkv"), b"not really a video").unwrap();
    let policy = SourcePolicy::new(dir.path(), Vec::<String>::new()).unwrap();
    (dir, policy)
}

fn tenancy(pool: &sqlx::PgPool, sources: SourcePolicy, quota: QuotaLimits) -> Tenancy {
    Tenancy {
        targets: ConfiguredTargets::new(&destinations()),
        sources: Some(sources),
        clips_public_base: Some(CLIPS_BASE.into()),
        render_quota: Some(RenderQuota::new(pool.clone(), quota)),
    }
}

fn clip_of(source: &str, seconds: u32) -> serde_json::Value {
    let mut body = clip_request();
    body["source"] = json!(source);
    body["duration_seconds"] = json!(seconds);
    body
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn another_orgs_recording_is_refused_like_a_missing_one(pool: sqlx::PgPool) {
    let (_media, sources) = media();
    let tenancy = tenancy(&pool, sources, QuotaLimits::default());
    let app = spawn_app_with(pool, Options { tenancy, ..Options::default() }).await;
    let acme = app.post("/v1/clips", &app.token("acme", "clips:write"), &clip_of("vods/acme-private.mkv", 30)).await;
    assert_eq!(acme.status, 202, "acme's own recording: {acme:?}");

    let rival = app.token("rival", "clips:write");
    let theirs = app.post("/v1/clips", &rival, &clip_of("vods/acme-private.mkv", 30)).await;
    let missing = app.post("/v1/clips", &rival, &clip_of("vods/nothing-here.mkv", 30)).await;
    let climbing = app.post("/v1/clips", &rival, &clip_of("../acme/vods/acme-private.mkv", 30)).await;
    for answer in [&theirs, &missing, &climbing] {
        assert_eq!((answer.status, answer.code(), answer.field()), (422, "source_unavailable", "source"), "{answer:?}");
        assert_eq!(answer.body["error"]["message"], missing.body["error"]["message"], "one text for every case");
    }
    assert_eq!(app.events_in("clip").await, 1, "nothing of rival's was written");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_publication_of_another_orgs_clip_is_404(pool: sqlx::PgPool) {
    let (_media, sources) = media();
    let tenancy = tenancy(&pool, sources, QuotaLimits::default());
    let app = spawn_app_with(pool, Options { tenancy, ..Options::default() }).await;
    let clip = app.post("/v1/clips", &app.token("acme", "clips:write"), &clip_of("vods/acme-private.mkv", 30)).await;
    let clip_id = clip.body["clip_id"].as_str().unwrap().to_owned();

    let rival = app.token("rival", "publications:write");
    let body = json!({ "asset": { "clip_id": clip_id }, "targets": ["webhook"], "title": "Stolen" });
    let answer = app.post("/v1/publications", &rival, &body).await;
    assert_eq!((answer.status, answer.code(), answer.field()), (404, "clip_not_found", "asset.clip_id"), "{answer:?}");
    // Ours, and a URL of our own files named by URL instead of by clip id.
    let acme = app.token("acme", "publications:write");
    assert_eq!(app.post("/v1/publications", &acme, &body).await.status, 202);
    let by_url =
        json!({ "asset": { "url": format!("{CLIPS_BASE}/ab/cd/0123.mp4") }, "targets": ["webhook"], "title": "T" });
    let answer = app.post("/v1/publications", &rival, &by_url).await;
    assert_eq!((answer.status, answer.code(), answer.field()), (422, "asset_url_is_a_clip", "asset.url"), "{answer:?}");
    assert_eq!(app.events_in("publication").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_target_the_org_has_not_configured_is_refused_at_creation(pool: sqlx::PgPool) {
    let (_media, sources) = media();
    let mut tenancy = tenancy(&pool, sources, QuotaLimits::default());
    // Only acme's webhook this time.
    let acme_webhook: Vec<_> =
        destinations().into_iter().filter(|d| d.org.as_str() == "acme" && d.platform.as_str() == "webhook").collect();
    tenancy.targets = ConfiguredTargets::new(&acme_webhook);
    let app = spawn_app_with(pool, Options { tenancy, ..Options::default() }).await;
    let hosted = |targets: serde_json::Value| json!({ "asset": { "url": "https://cdn.example.com/a.mp4" }, "targets": targets, "title": "T" });
    let acme = app.token("acme", "publications:write");
    let rival = app.token("rival", "publications:write");
    assert_eq!(app.post("/v1/publications", &acme, &hosted(json!(["webhook"]))).await.status, 202);
    let cases = [
        (&rival, json!(["webhook"]), "target_not_configured", "targets[0]"),
        (&acme, json!(["webhook", "discord"]), "target_not_configured", "targets[1]"),
        (&acme, json!(["tiktok"]), "target_unsupported", "targets[0]"),
        (&acme, json!(["webhook", "instagram"]), "target_unsupported", "targets[1]"),
    ];
    for (token, targets, code, field) in cases {
        let answer = app.post("/v1/publications", token, &hosted(targets.clone())).await;
        assert_eq!((answer.status, answer.code(), answer.field()), (422, code, field), "{targets}: {answer:?}");
    }
    assert_eq!(app.events_in("publication").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn one_org_cannot_queue_more_than_its_share_of_the_renderers(pool: sqlx::PgPool) {
    let (media_dir, sources) = media();
    std::fs::write(media_dir.path().join("rival/vod.mkv"), b"x").unwrap();
    let quota = QuotaLimits { max_clips: 10, max_queued: Duration::from_secs(100), ..QuotaLimits::default() };
    let tenancy = tenancy(&pool, sources, quota);
    let app = spawn_app_with(pool, Options { tenancy, ..Options::default() }).await;
    let acme = app.token("acme", "clips:write");
    for n in 0..3 {
        let answer =
            app.post_with_key("/v1/clips", &acme, &format!("k{n}"), &clip_of("vods/acme-private.mkv", 30)).await;
        assert_eq!(answer.status, 202, "{answer:?}");
    }
    // A retry of an accepted request is not counted again.
    let retry = app.post_with_key("/v1/clips", &acme, "k0", &clip_of("vods/acme-private.mkv", 30)).await;
    assert_eq!(retry.status, 202);
    let over = app.post("/v1/clips", &acme, &clip_of("vods/acme-private.mkv", 30)).await;
    assert_eq!((over.status, over.code()), (429, "render_quota_exceeded"), "90 s + 30 s is over 100 s: {over:?}");
    assert!(over.headers.get("retry-after").is_some());
    assert_eq!(app.events_in("clip").await, 3);
    // Another org's share is its own.
    let rival = app.post("/v1/clips", &app.token("rival", "clips:write"), &clip_of("vod.mkv", 60)).await;
    assert_eq!(rival.status, 202, "{rival:?}");
}
