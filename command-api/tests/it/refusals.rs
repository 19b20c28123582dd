//! Every refusal the API promises, over HTTP: the status, the stable code,
//! the field at fault, and nothing written.

use std::num::NonZeroU32;

use crate::support::{chat_message, clip_request, spawn_app, spawn_app_with, Answer, Options};
use serde_json::json;
use wavestack_command_api::{Limits, RateLimit};

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn malformed_json_is_400_and_a_wrong_content_type_415(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "chat:write");
    let send = |content_type: &'static str, body: &'static str| {
        app.http
            .post(app.url("/v1/chat/messages"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let answer = Answer::read(send("application/json", "{\"platform\": ").await.unwrap()).await;
    assert_eq!((answer.status, answer.code()), (400, "malformed_json"));
    assert!(answer.body["error"]["request_id"].is_string());
    let answer = Answer::read(send("text/plain", "{}").await.unwrap()).await;
    assert_eq!((answer.status, answer.code()), (415, "unsupported_media_type"));
    assert_eq!(app.all_events().await, 0);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn invalid_fields_are_422_naming_the_field(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "chat:write clips:write");
    let cases = [
        ("/v1/chat/messages", json!({"text": "a"}), "platform", "invalid_type"),
        (
            "/v1/chat/messages",
            {
                let mut m = chat_message("m", "hi");
                m["platform"] = json!("myspace");
                m
            },
            "platform",
            "unknown_variant",
        ),
        (
            "/v1/chat/messages",
            {
                let mut m = chat_message("m", "hi");
                m["channel"] = json!("a/b");
                m
            },
            "channel",
            "invalid_characters",
        ),
        (
            "/v1/chat/messages",
            {
                let mut m = chat_message("m", "hi");
                m["author"] = json!("x".repeat(65));
                m
            },
            "author",
            "too_long",
        ),
        (
            "/v1/chat/messages",
            {
                let mut m = chat_message("m", "hi");
                m["sent_at"] = json!("yesterday");
                m
            },
            "sent_at",
            "invalid",
        ),
        (
            "/v1/chat/messages",
            {
                let mut m = chat_message("m", "hi");
                m["text"] = json!(7);
                m
            },
            "text",
            "invalid_type",
        ),
        (
            "/v1/chat/messages",
            {
                let mut m = chat_message("m", "hi");
                m["org"] = json!("evil");
                m
            },
            "org",
            "invalid_type",
        ),
        (
            "/v1/clips",
            {
                let mut c = clip_request();
                c["source"] = json!("concat:/etc/passwd");
                c
            },
            "source",
            "invalid",
        ),
        (
            "/v1/clips",
            {
                let mut c = clip_request();
                c["duration_seconds"] = json!(0);
                c
            },
            "duration_seconds",
            "out_of_range",
        ),
        (
            "/v1/clips",
            {
                let mut c = clip_request();
                c["container"] = json!("avi");
                c
            },
            "container",
            "unknown_variant",
        ),
        (
            "/v1/clips",
            {
                let mut c = clip_request();
                c["title"] = json!("t".repeat(121));
                c
            },
            "title",
            "too_long",
        ),
    ];
    for (path, body, field, reason) in cases {
        let answer = app.post(path, &token, &body).await;
        assert_eq!(answer.status, 422, "{path} {body}: {answer:?}");
        assert_eq!(answer.code(), "invalid_field", "{body}");
        assert_eq!(answer.field(), field, "{body}");
        assert_eq!(answer.body["error"]["reason"], reason, "{body}");
    }
    assert_eq!(app.all_events().await, 0);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_missing_or_invalid_token_is_401(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let body = chat_message("m", "hi");
    let answer = Answer::read(app.http.post(app.url("/v1/chat/messages")).json(&body).send().await.unwrap()).await;
    assert_eq!((answer.status, answer.code()), (401, "missing_token"));
    assert!(answer.headers.get("www-authenticate").is_some());
    let answer = app.post("/v1/chat/messages", "not-a-jwt", &body).await;
    assert_eq!((answer.status, answer.code()), (401, "invalid_token"));
    let basic = app
        .http
        .post(app.url("/v1/chat/messages"))
        .header("authorization", "Basic Ym90OnNlY3JldA==")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(Answer::read(basic).await.code(), "missing_token");
    assert_eq!(app.all_events().await, 0);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_missing_scope_is_403_before_the_body_is_read(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let reader = app.token("acme", "read");
    let answer = app.post("/v1/chat/messages", &reader, &chat_message("m", "hi")).await;
    assert_eq!((answer.status, answer.code()), (403, "insufficient_scope"));
    // Even an invalid body gets the 403: the scope is checked first.
    let answer = app.post("/v1/clips", &reader, &json!({"nonsense": true})).await;
    assert_eq!(answer.status, 403);
    // Requesting a clip does not let a bot move it through rendering.
    let writer = app.token("acme", "clips:write");
    let clip = app.post("/v1/clips", &writer, &clip_request()).await;
    let start = format!("/v1/clips/{}/start", clip.body["clip_id"].as_str().unwrap());
    assert_eq!(app.post(&start, &writer, &json!({})).await.status, 403);
    assert_eq!(app.events_in("clip").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn another_orgs_aggregate_is_404_not_403(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let acme = app.token("acme", "clips:write");
    let clip = app.post("/v1/clips", &acme, &clip_request()).await;
    let clip_id = clip.body["clip_id"].as_str().unwrap();
    let rival = app.token("rival", "clips:work");
    let answer = app.post(&format!("/v1/clips/{clip_id}/start"), &rival, &json!({})).await;
    assert_eq!((answer.status, answer.code()), (404, "not_found"));
    let answer = app.post("/v1/clips/not-a-uuid/start", &rival, &json!({})).await;
    assert_eq!((answer.status, answer.code()), (404, "not_found"));
    assert_eq!(app.events_in("clip").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn an_illegal_transition_is_409(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "clips:write clips:work");
    let clip = app.post("/v1/clips", &token, &clip_request()).await;
    let clip_id = clip.body["clip_id"].as_str().unwrap();
    let complete = json!({
        "uri": "https://cdn.example.com/clips/x.mp4", "thumbnail_uri": "https://cdn.example.com/clips/x.jpg",
        "duration_ms": 30000, "size_bytes": 1000, "sha256": "a".repeat(64),
    });
    let answer = app.post(&format!("/v1/clips/{clip_id}/complete"), &token, &complete).await;
    assert_eq!((answer.status, answer.code()), (409, "illegal_transition"), "{answer:?}");
    assert_eq!(app.events_in("clip").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_body_over_the_limit_is_413_and_writes_nothing(pool: sqlx::PgPool) {
    let limits = Limits { body_bytes: 2048, ..Limits::default() };
    let app = spawn_app_with(pool, Options { limits, ..Options::default() }).await;
    let token = app.token("acme", "chat:write");
    let messages: Vec<_> = (0..40).map(|i| chat_message(&format!("m{i}"), "hello there")).collect();
    let answer = app.post("/v1/chat/messages", &token, &json!({ "messages": messages })).await;
    assert_eq!((answer.status, answer.code()), (413, "payload_too_large"));
    // Through the idempotency layer, which reads the body itself.
    let answer = app.post_with_key("/v1/chat/messages", &token, "k1", &json!({ "messages": messages })).await;
    assert_eq!((answer.status, answer.code()), (413, "payload_too_large"));
    assert_eq!(app.all_events().await, 0);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_caller_over_its_rate_is_429_with_retry_after(pool: sqlx::PgPool) {
    let rate_limit = RateLimit { per_second: NonZeroU32::new(1).unwrap(), burst: NonZeroU32::new(3).unwrap() };
    let app = spawn_app_with(pool, Options { rate_limit, ..Options::default() }).await;
    let token = app.token("acme", "chat:write");
    let mut statuses = Vec::new();
    for i in 0..5 {
        let answer = app.post("/v1/chat/messages", &token, &chat_message(&format!("m{i}"), "hi")).await;
        if answer.status == 429 {
            assert_eq!(answer.code(), "rate_limited");
            assert!(answer.headers.get("retry-after").is_some());
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [202, 202, 202, 429, 429]);
    // Another caller has its own bucket.
    let other = app.token_for("other-bot", "acme", "chat:write");
    assert_eq!(app.post("/v1/chat/messages", &other, &chat_message("o1", "hi")).await.status, 202);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn unknown_routes_and_methods_answer_json(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let answer = Answer::read(app.http.get(app.url("/v1/nothing")).send().await.unwrap()).await;
    assert_eq!((answer.status, answer.code()), (404, "not_found"));
    let answer = Answer::read(app.http.get(app.url("/v1/chat/messages")).send().await.unwrap()).await;
    assert_eq!((answer.status, answer.code()), (405, "method_not_allowed"));
}

/// Whatever a client sends, the answer is never a 5xx and a refusal never
/// writes: random JSON values at every command route.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn arbitrary_bodies_never_get_a_server_error(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "chat:write clips:write clips:work publications:write publications:work");
    let id = "0b7c6a4e-5b1f-4c3e-9c6e-2f1d0a9b8c7d";
    let routes = [
        "/v1/chat/messages".to_owned(),
        "/v1/clips".to_owned(),
        format!("/v1/clips/{id}/start"),
        format!("/v1/clips/{id}/complete"),
        format!("/v1/clips/{id}/fail"),
        "/v1/publications".to_owned(),
        format!("/v1/publications/{id}/reschedule"),
        format!("/v1/publications/{id}/cancel"),
        format!("/v1/publications/{id}/attempts"),
        format!("/v1/publications/{id}/published"),
        format!("/v1/publications/{id}/failed"),
    ];
    let values = [
        json!(null),
        json!(1),
        json!("s"),
        json!([]),
        json!([1, 2]),
        json!({}),
        json!({"messages": 5}),
        json!({"messages": [null]}),
        json!({"asset": {"clip_id": "x", "url": "y"}, "targets": [], "title": ""}),
        json!({"start_seconds": -1, "duration_seconds": 1e308, "channel": "", "source": ""}),
        json!({"scheduled_at": "2026-13-45T99:00:00Z"}),
        json!({"target": "youtube", "error": "", "retryable": "no"}),
        json!({"reason": "\u{0000}", "retryable": true}),
        json!({"start_seconds": "NaN"}),
    ];
    for route in &routes {
        for value in &values {
            let answer = app.post(route, &token, value).await;
            assert!(answer.status < 500, "{route} {value}: {answer:?}");
            assert!(answer.body["error"]["code"].is_string() || answer.status == 202, "{route} {value}: {answer:?}");
        }
    }
}
