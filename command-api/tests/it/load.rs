//! Shedding load instead of falling over: requests past the in-flight
//! bound and past their deadline are answered 503 at once, a connection
//! that trickles its headers is closed, chat batches pay per message, and
//! the token endpoint refuses floods before doing any argon2 work.

use crate::support;
use std::time::Duration;

use crate::support::{chat_message, spawn_app_with, Options, CLIENT_ID, CLIENT_SECRET};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wavestack_adapters::http::ServeLimits;
use wavestack_command_api::{LoadLimits, RateLimit, RateLimits, TokenLimits};

/// Every write to the event store takes `seconds` (a slow disk, a lock).
async fn slow_writes(pool: &sqlx::PgPool, seconds: f64) {
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION slow_writes() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$;
         CREATE TRIGGER slow_writes BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION slow_writes();"
    ))
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn past_the_in_flight_bound_the_answer_is_503_at_once(pool: sqlx::PgPool) {
    slow_writes(&pool, 2.0).await;
    let load = LoadLimits { max_in_flight: 1, ..LoadLimits::default() };
    let app = spawn_app_with(pool, Options { load, ..Options::default() }).await;
    let token = app.token("acme", "chat:write");
    let first = chat_message("m-1", "hello");
    let slow = app.post("/v1/chat/messages", &token, &first);
    let shed = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.post("/v1/chat/messages", &token, &chat_message("m-2", "hello")).await
    };
    let (slow, shed) = tokio::join!(slow, shed);
    assert_eq!(slow.status, 202, "{slow:?}");
    assert_eq!((shed.status, shed.code()), (503, "overloaded"), "{shed:?}");
    assert!(shed.headers.get("retry-after").is_some());
    // Probes are answered whatever the load.
    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_request_past_its_deadline_is_503_and_writes_nothing(pool: sqlx::PgPool) {
    slow_writes(&pool, 3.0).await;
    let load = LoadLimits { request_timeout: Duration::from_millis(500), ..LoadLimits::default() };
    let app = spawn_app_with(pool, Options { load, ..Options::default() }).await;
    let token = app.token("acme", "chat:write");
    let answer = app.post("/v1/chat/messages", &token, &chat_message("m-1", "hello")).await;
    assert_eq!((answer.status, answer.code()), (503, "request_timeout"), "{answer:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(app.all_events().await, 0, "the abandoned write was rolled back");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_connection_that_trickles_its_headers_is_closed(pool: sqlx::PgPool) {
    let serve = ServeLimits { header_read_timeout: Duration::from_secs(1), ..ServeLimits::default() };
    let app = spawn_app_with(pool, Options { serve, ..Options::default() }).await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream.write_all(b"POST /v1/chat/messages HTTP/1.1\r\nHost: wavestack\r\n").await.unwrap();
    // The rest of the head never comes: the server hangs up (perhaps with
    // a 408 first) instead of holding the connection forever.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after 10 s");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}

/// Issue 26, item 6: the protocol detection waited for the first bytes with
/// no limit, so these were never closed.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn connections_that_send_nothing_or_one_byte_are_closed_within_the_header_timeout(pool: sqlx::PgPool) {
    let serve = ServeLimits { header_read_timeout: Duration::from_secs(1), ..ServeLimits::default() };
    let app = spawn_app_with(pool, Options { serve, ..Options::default() }).await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    let mut one_byte = tokio::net::TcpStream::connect(&address).await.unwrap();
    one_byte.write_all(b"P").await.unwrap();
    silent.push(one_byte);
    let mut half_preface = tokio::net::TcpStream::connect(&address).await.unwrap();
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    silent.push(half_preface);
    for (n, mut stream) in silent.into_iter().enumerate() {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "connection {n} was still open 5 s after connecting (timeout 1 s)");
    }
    // A client that does speak is served as before, on a connection it keeps.
    let token = app.token("acme", "chat:write");
    let answer = app.post("/v1/chat/messages", &token, &chat_message("after", "hi")).await;
    assert_eq!(answer.status, 202, "{answer:?}");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_batch_pays_for_each_of_its_messages(pool: sqlx::PgPool) {
    let rate_limits = RateLimits { per_caller: RateLimit::new(1, 10), per_org: RateLimit::new(1, 15) };
    let app = spawn_app_with(pool, Options { rate_limits: Some(rate_limits), ..Options::default() }).await;
    let token = app.token("acme", "chat:write");
    let batch = |from: usize, n: usize| json!({ "messages": (from..from + n).map(|i| chat_message(&format!("m-{i}"), "hi")).collect::<Vec<_>>() });
    let first = app.post("/v1/chat/messages", &token, &batch(0, 8)).await;
    assert_eq!((first.status, first.body["accepted"].as_u64()), (202, Some(8)), "{first:?}");
    let written = app.events_in("chat").await;
    let over = app.post("/v1/chat/messages", &token, &batch(8, 8)).await;
    assert_eq!((over.status, over.code()), (429, "rate_limited"), "8 + 8 messages are over 10: {over:?}");
    assert!(over.headers.get("retry-after").is_some());
    assert_eq!(app.events_in("chat").await, written, "the refused batch wrote nothing");
    // Another caller of the same org has its own quota, within the org's.
    let other = app.token_for("other-bot", "acme", "chat:write");
    assert_eq!(app.post("/v1/chat/messages", &other, &batch(100, 5)).await.status, 202);
    let org_over = app.post("/v1/chat/messages", &other, &batch(200, 5)).await;
    assert_eq!((org_over.status, org_over.code()), (429, "rate_limited"), "the org's 15 are spent: {org_over:?}");
    // Another org is untouched.
    let rival = app.token("rival", "chat:write");
    assert_eq!(app.post("/v1/chat/messages", &rival, &batch(0, 10)).await.status, 202);
}

async fn request_token(app: &support::TestApp, client_id: &str) -> support::Answer {
    let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", CLIENT_SECRET)];
    support::Answer::read(app.http.post(app.url("/v1/auth/token")).form(&form).send().await.unwrap()).await
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_flood_of_made_up_clients_is_refused_before_argon2(pool: sqlx::PgPool) {
    let token_limits = TokenLimits {
        per_address: RateLimit::new(1, 3),
        global: RateLimit::new(1_000, 1_000),
        ..TokenLimits::default()
    };
    let app = spawn_app_with(pool, Options { token_limits, ..Options::default() }).await;
    let mut codes = Vec::new();
    for i in 0..10 {
        codes.push(request_token(&app, &format!("made-up-{i}")).await.code().to_owned());
    }
    assert_eq!(&codes[..3], ["invalid_client"; 3], "{codes:?}");
    assert!(codes[3..].iter().all(|c| c == "rate_limited"), "{codes:?}");
    // Refused before its body is read: 429, not 413 for the 2 MiB it sends.
    let huge = "x".repeat(2 * 1024 * 1024);
    let answer = support::Answer::read(
        app.http
            .post(app.url("/v1/auth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (429, "rate_limited"), "{answer:?}");
    // The source address is spent, whichever id it names: the real client
    // waits its turn too, and gets its token once the bucket refills.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let real = request_token(&app, CLIENT_ID).await;
    assert_eq!(real.status, 200, "{real:?}");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn argon2_work_is_capped_in_concurrency(pool: sqlx::PgPool) {
    let token_limits = TokenLimits {
        per_address: RateLimit::new(1_000, 1_000),
        global: RateLimit::new(1_000, 1_000),
        concurrent_verifications: 1,
        verify_wait: Duration::from_millis(1),
    };
    let app = spawn_app_with(pool, Options { token_limits, ..Options::default() }).await;
    let ids: Vec<String> = (0..16).map(|i| format!("made-up-{i}")).collect();
    let answers = futures::future::join_all(ids.iter().map(|id| request_token(&app, id))).await;
    let busy = answers.iter().filter(|a| a.status == 503 && a.code() == "busy").count();
    let verified = answers.iter().filter(|a| a.code() == "invalid_client").count();
    assert_eq!(busy + verified, 16, "{answers:?}");
    assert!(busy > 0 && verified > 0, "one verification at a time, the rest refused: {busy} busy");
}
