//! The platform adapters against local servers that speak each platform's
//! documented protocol: YouTube's resumable upload and a Discord webhook.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::Router;
use sqlx::PgPool;
use wavestack_adapters::publishers::{DiscordPublisher, PublishOutcome, PublishRequest, Publisher, YoutubePublisher};
use wavestack_domain::value::TargetPlatform;

/// A YouTube upload endpoint: sessions by id, bytes as received.
#[derive(Default)]
struct FakeYoutube {
    base: Mutex<String>,
    sessions: Mutex<HashMap<usize, (u64, Vec<u8>)>>,
    opened: AtomicUsize,
    status_queries: AtomicUsize,
    /// Once, a chunk starting at or past half the file is cut in half and
    /// answered 503, as a dropped connection would leave it.
    interrupt_once: AtomicBool,
    /// Everything answers 503 while set.
    down: AtomicBool,
}

async fn open(
    State(yt): State<Arc<FakeYoutube>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    assert_eq!(query.get("uploadType").map(String::as_str), Some("resumable"));
    assert_eq!(headers["authorization"], "Bearer test-token");
    let metadata: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(metadata["snippet"]["title"], "The play");
    let total: u64 = headers["x-upload-content-length"].to_str().unwrap().parse().unwrap();
    let id = yt.opened.fetch_add(1, Ordering::SeqCst);
    yt.sessions.lock().unwrap().insert(id, (total, Vec::new()));
    let location = format!("{}/upload/session/{id}", yt.base.lock().unwrap());
    (StatusCode::OK, [("location", location)]).into_response()
}

async fn chunk(
    State(yt): State<Arc<FakeYoutube>>,
    Path(id): Path<usize>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if yt.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let range = headers["content-range"].to_str().unwrap().to_owned();
    let mut sessions = yt.sessions.lock().unwrap();
    let Some((total, data)) = sessions.get_mut(&id) else { return StatusCode::NOT_FOUND.into_response() };
    let (total, have) = (*total, data.len() as u64);
    if range.starts_with("bytes */") {
        yt.status_queries.fetch_add(1, Ordering::SeqCst);
    } else {
        let (span, _) = range.trim_start_matches("bytes ").split_once('/').unwrap();
        let (start, _) = span.split_once('-').unwrap();
        let start: u64 = start.parse().unwrap();
        if start == have {
            if start >= total / 2 && yt.interrupt_once.swap(false, Ordering::SeqCst) {
                data.extend_from_slice(&body[..body.len() / 2]);
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            data.extend_from_slice(&body);
        }
    }
    let have = data.len() as u64;
    if have == total {
        return (StatusCode::CREATED, format!("{{\"id\": \"vid-{id}\"}}")).into_response();
    }
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    if have > 0 {
        response.headers_mut().insert("range", format!("bytes=0-{}", have - 1).parse().unwrap());
    }
    response
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn youtube(pool: &PgPool) -> (Arc<FakeYoutube>, YoutubePublisher) {
    let yt = Arc::new(FakeYoutube::default());
    let router = Router::new()
        .route("/upload/youtube/v3/videos", post(open))
        .route("/upload/session/{id}", put(chunk))
        .with_state(yt.clone());
    let base = serve(router).await;
    *yt.base.lock().unwrap() = base.clone();
    let publisher = YoutubePublisher::new(reqwest::Url::parse(&base).unwrap(), "test-token".into(), pool.clone())
        .unwrap()
        .with_chunk_units(1);
    (yt, publisher)
}

/// A clip-sized file of 1.1 MiB: five 256 KiB chunks.
fn clip_file(dir: &tempfile::TempDir) -> (std::path::PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..1_150_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let path = dir.path().join("clip.mp4");
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

fn request(target: TargetPlatform, file: Option<std::path::PathBuf>) -> PublishRequest {
    PublishRequest {
        publication_id: uuid::Uuid::new_v4(),
        target,
        attempt: 1,
        title: "The play".into(),
        caption: "what a night".into(),
        hashtags: vec!["gaming".into()],
        media_url: "http://127.0.0.1:8081/files/ab/cd/clip.mp4".into(),
        media_file: file,
        idempotency_key: format!("{}:{target}", uuid::Uuid::new_v4()),
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_youtube_upload_interrupted_halfway_resumes_where_the_server_stopped(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = clip_file(&dir);
    let (yt, publisher) = youtube(&pool).await;
    yt.interrupt_once.store(true, Ordering::SeqCst);
    let outcome = publisher.publish(&request(TargetPlatform::Youtube, Some(file))).await;
    assert_eq!(
        outcome,
        PublishOutcome::Published { post_id: "vid-0".into(), url: Some("https://youtu.be/vid-0".into()) }
    );
    assert!(!yt.interrupt_once.load(Ordering::SeqCst), "the interruption happened");
    assert_eq!(yt.status_queries.load(Ordering::SeqCst), 1, "asked where to resume");
    assert_eq!(yt.opened.load(Ordering::SeqCst), 1);
    assert_eq!(yt.sessions.lock().unwrap()[&0].1, bytes, "every byte once, in order");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM upload_sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0, "a finished session is forgotten");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_publisher_taking_over_resumes_the_stored_session(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = clip_file(&dir);
    let (yt, publisher) = youtube(&pool).await;
    // The first attempt breaks off halfway and the server stays down.
    yt.interrupt_once.store(true, Ordering::SeqCst);
    let request = request(TargetPlatform::Youtube, Some(file));
    let down = {
        let yt = yt.clone();
        tokio::spawn(async move {
            while yt.interrupt_once.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            yt.down.store(true, Ordering::SeqCst);
        })
    };
    let first = publisher.publish(&request).await;
    down.await.unwrap();
    assert!(matches!(first, PublishOutcome::Failed { retryable: true, .. }), "{first:?}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM upload_sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, 1, "the session outlives the attempt");

    // Another attempt (another publisher, same target) resumes it.
    yt.down.store(false, Ordering::SeqCst);
    let base = reqwest::Url::parse(&yt.base.lock().unwrap()).unwrap();
    let other = YoutubePublisher::new(base, "test-token".into(), pool.clone()).unwrap().with_chunk_units(1);
    let second = other.publish(&request).await;
    assert!(matches!(second, PublishOutcome::Published { .. }), "{second:?}");
    assert_eq!(yt.opened.load(Ordering::SeqCst), 1, "one upload session: the video exists once");
    assert_eq!(yt.sessions.lock().unwrap()[&0].1, bytes);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_youtube_upload_without_the_clip_file_fails_for_good(pool: PgPool) {
    let (_, publisher) = youtube(&pool).await;
    let outcome = publisher.publish(&request(TargetPlatform::Youtube, None)).await;
    assert!(matches!(outcome, PublishOutcome::Failed { retryable: false, .. }), "{outcome:?}");
}

/// What the fake Discord received: the payload and the attachment's size.
type Posted = Arc<Mutex<Vec<(serde_json::Value, Option<usize>)>>>;

async fn discord_webhook(
    State((posted, limited)): State<(Posted, Arc<AtomicBool>)>,
    Path((id, token)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    mut form: Multipart,
) -> Response {
    assert_eq!((id.as_str(), token.as_str()), ("123", "secret-token"));
    assert_eq!(query.get("wait").map(String::as_str), Some("true"));
    if limited.swap(false, Ordering::SeqCst) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}"#,
        )
            .into_response();
    }
    let (mut payload, mut attachment) = (serde_json::Value::Null, None);
    while let Some(field) = form.next_field().await.unwrap() {
        match field.name().unwrap() {
            "payload_json" => payload = serde_json::from_str(&field.text().await.unwrap()).unwrap(),
            "files[0]" => attachment = Some(field.bytes().await.unwrap().len()),
            other => panic!("unexpected field {other}"),
        }
    }
    posted.lock().unwrap().push((payload, attachment));
    (StatusCode::OK, r#"{"id": "m-1", "channel_id": "c-9", "guild_id": "g-7", "content": "…"}"#).into_response()
}

#[tokio::test]
async fn discord_gets_the_clip_as_an_attachment_and_its_rate_limit_is_honoured() {
    let posted: Posted = Arc::default();
    let limited = Arc::new(AtomicBool::new(true));
    let router = Router::new()
        .route("/api/webhooks/{id}/{token}", post(discord_webhook))
        .with_state((posted.clone(), limited.clone()));
    let base = serve(router).await;
    let webhook = reqwest::Url::parse(&format!("{base}/api/webhooks/123/secret-token")).unwrap();
    let publisher = DiscordPublisher::new(webhook, Duration::from_secs(10)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = clip_file(&dir);
    let request = request(TargetPlatform::Discord, Some(file));

    let limited_outcome = publisher.publish(&request).await;
    assert!(
        matches!(&limited_outcome, PublishOutcome::Failed { retryable: true, retry_after: Some(after), .. } if *after == Duration::from_millis(1500)),
        "{limited_outcome:?}"
    );
    let outcome = publisher.publish(&request).await;
    assert_eq!(
        outcome,
        PublishOutcome::Published {
            post_id: "m-1".into(),
            url: Some("https://discord.com/channels/g-7/c-9/m-1".into())
        }
    );
    let posted = posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].1, Some(bytes.len()), "the clip is attached");
    assert_eq!(posted[0].0["content"], "**The play**\nwhat a night\n#gaming");
    assert_eq!(posted[0].0["allowed_mentions"]["parse"], serde_json::json!([]));
}
