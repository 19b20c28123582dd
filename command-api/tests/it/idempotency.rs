//! `Idempotency-Key` over HTTP: replay, mismatch, per-org keys, and two
//! concurrent first requests writing once.

use crate::support;
use crate::support::{clip_request, spawn_app};
use serde_json::json;

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_retry_with_the_same_key_and_body_gets_the_original_answer(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "clips:write");
    let first = app.post_with_key("/v1/clips", &token, "clip-7", &clip_request()).await;
    assert_eq!(first.status, 202, "{first:?}");
    assert!(first.headers.get("idempotent-replayed").is_none());
    let retry = app.post_with_key("/v1/clips", &token, "clip-7", &clip_request()).await;
    assert_eq!(retry.status, 202);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(app.events_in("clip").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_same_key_with_another_body_is_422(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "clips:write");
    app.post_with_key("/v1/clips", &token, "clip-7", &clip_request()).await;
    let mut other = clip_request();
    other["title"] = json!("another moment");
    let answer = app.post_with_key("/v1/clips", &token, "clip-7", &other).await;
    assert_eq!((answer.status, answer.code()), (422, "idempotency_key_reused"));
    assert_eq!(answer.field(), "Idempotency-Key");
    assert_eq!(app.events_in("clip").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn keys_are_per_org(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let acme = app.post_with_key("/v1/clips", &app.token("acme", "clips:write"), "k", &clip_request()).await;
    let rival = app.post_with_key("/v1/clips", &app.token("rival", "clips:write"), "k", &clip_request()).await;
    assert_eq!((acme.status, rival.status), (202, 202));
    assert!(rival.headers.get("idempotent-replayed").is_none());
    assert_ne!(acme.body["clip_id"], rival.body["clip_id"]);
    assert_eq!(app.events_in("clip").await, 2);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn concurrent_first_requests_with_one_key_write_once(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "clips:write publications:write");
    let publication = json!({
        "asset": { "url": "https://cdn.example.com/highlight.mp4" },
        "targets": ["youtube", "discord"],
        "title": "Highlight of the night",
    });
    for (path, body) in [("/v1/clips", clip_request()), ("/v1/publications", publication)] {
        let key = format!("race-{path}");
        let sends = (0..8).map(|_| app.post_with_key(path, &token, &key, &body));
        let answers = futures::future::join_all(sends).await;
        for answer in &answers {
            assert_eq!(answer.status, 202, "{answer:?}");
            assert_eq!(answer.body, answers[0].body);
        }
        let fresh = answers.iter().filter(|a| a.headers.get("idempotent-replayed").is_none()).count();
        assert_eq!(fresh, 1, "exactly one request ran");
    }
    assert_eq!(app.events_in("clip").await, 1);
    assert_eq!(app.events_in("publication").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_refusal_is_replayed_but_a_transient_failure_is_not_kept(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "clips:write clips:work");
    let mut bad = clip_request();
    bad["duration_seconds"] = json!(0);
    let first = app.post_with_key("/v1/clips", &token, "bad", &bad).await;
    let again = app.post_with_key("/v1/clips", &token, "bad", &bad).await;
    assert_eq!((first.status, again.status), (422, 422));
    assert_eq!(again.headers["idempotent-replayed"], "true");

    // 409 (a conflict the client may resolve by waiting) is not kept.
    let clip = app.post("/v1/clips", &token, &clip_request()).await;
    let fail = format!("/v1/clips/{}/fail", clip.body["clip_id"].as_str().unwrap());
    let body = json!({ "reason": "ffmpeg exited 1", "retryable": true });
    let conflict = app.post_with_key(&fail, &token, "fail-1", &body).await;
    assert_eq!(conflict.status, 409, "{conflict:?}");
    app.post(&format!("/v1/clips/{}/start", clip.body["clip_id"].as_str().unwrap()), &token, &json!({})).await;
    let retried = app.post_with_key(&fail, &token, "fail-1", &body).await;
    assert_eq!(retried.status, 202, "{retried:?}");
    assert!(retried.headers.get("idempotent-replayed").is_none());
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_malformed_key_is_422(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "clips:write");
    let answer = app.post_with_key("/v1/clips", &token, &"k".repeat(256), &clip_request()).await;
    assert_eq!((answer.status, answer.field()), (422, "Idempotency-Key"));
    assert_eq!(app.events_in("clip").await, 0);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_batch_that_failed_on_our_side_is_written_by_its_retry(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = app.token("acme", "chat:write");
    // Our side fails: the event store refuses every write for a while.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
         CREATE TRIGGER refuse_writes BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_writes();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let batch = json!({ "messages": [support::chat_message("m-1", "hello"), support::chat_message("m-2", "again")] });
    let first = app.post_with_key("/v1/chat/messages", &token, "batch-1", &batch).await;
    assert_eq!((first.status, first.body["failed"].as_u64()), (202, Some(2)), "{first:?}");
    assert!(!first.body.to_string().contains("disk on fire"), "our failure's text stays ours: {first:?}");
    assert_eq!(app.events_in("chat").await, 0);

    sqlx::raw_sql("DROP TRIGGER refuse_writes ON events").execute(&pool).await.unwrap();
    let retry = app.post_with_key("/v1/chat/messages", &token, "batch-1", &batch).await;
    assert_eq!(retry.status, 202, "{retry:?}");
    assert!(retry.headers.get("idempotent-replayed").is_none(), "the failure was not kept as the answer");
    assert_eq!((retry.body["accepted"].as_u64(), retry.body["failed"].as_u64()), (Some(2), Some(0)), "{retry:?}");
    assert!(app.events_in("chat").await >= 2);

    // Now that it succeeded, the answer is kept.
    let again = app.post_with_key("/v1/chat/messages", &token, "batch-1", &batch).await;
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body, retry.body);
}

/// Issue 26, item 9: a new overlay key (shown once) sat in the stored
/// answer in plain text for a day, and requests were kept as a bare
/// SHA-256 of bodies that can hold a member's password.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_stored_answer_keeps_no_secret_in_the_clear(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = app.token("acme", "channels:write");
    let body = json!({ "platform": "twitch", "channel": "shroud", "label": "OBS" });
    let first = app.post_with_key("/v1/overlay-keys", &token, "key-1", &body).await;
    assert_eq!(first.status, 201, "{first:?}");
    let key = first.body["key"].as_str().unwrap().to_owned();
    let retry = app.post_with_key("/v1/overlay-keys", &token, "key-1", &body).await;
    assert_eq!((retry.status, &retry.body), (201, &first.body), "the retry still gets its key, once stored sealed");
    assert_eq!(retry.headers["idempotent-replayed"], "true");

    let (fingerprint, stored): (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT fingerprint, body FROM idempotency_keys WHERE org = 'acme' AND key = 'key-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!stored.windows(key.len()).any(|w| w == key.as_bytes()), "the overlay key is not stored in the clear");
    assert!(!String::from_utf8_lossy(&stored).contains("shroud"), "nor anything else of the answer");
    use sha2::Digest;
    let request = serde_json::to_vec(&body).unwrap();
    let bare = sha2::Sha256::new().chain_update("POST\0/v1/overlay-keys\0").chain_update(&request).finalize().to_vec();
    assert_ne!(fingerprint, bare, "the request's fingerprint is keyed");

    // Moved to another row (another org's key), a sealed answer does not open.
    sqlx::query("UPDATE idempotency_keys SET org = 'rival' WHERE org = 'acme' AND key = 'key-1'")
        .execute(&pool)
        .await
        .unwrap();
    let rival = app.token("rival", "channels:write");
    let moved = app.post_with_key("/v1/overlay-keys", &rival, "key-1", &body).await;
    assert_ne!(moved.body, first.body, "another org never gets acme's answer");
}
