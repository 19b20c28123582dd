//! What operators look at: health, readiness, metrics, request ids.

use crate::support::{chat_message, spawn_app, Answer};

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn health_ready_and_metrics_answer(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let health = Answer::read(app.http.get(app.url("/health")).send().await.unwrap()).await;
    assert_eq!((health.status, health.body["status"].as_str()), (200, Some("ok")));
    let ready = Answer::read(app.http.get(app.url("/ready")).send().await.unwrap()).await;
    assert_eq!((ready.status, ready.body["postgres"].as_str()), (200, Some("ok")));

    let token = app.token("acme", "chat:write");
    assert_eq!(app.post("/v1/chat/messages", &token, &chat_message("m1", "hi")).await.status, 202);
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    // The recorder is the process's: other tests of this binary count
    // their own statuses on the same route.
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("wavestack_http_requests_total")
                && l.contains("route=\"/v1/chat/messages\"")
                && l.contains("status=\"202\"")
        })
        .unwrap_or_else(|| panic!("no request counter for the chat route's 202 in:\n{metrics}"));
    assert!(line.contains("api=\"command\""), "{line}");
    assert!(metrics.contains("wavestack_http_request_duration_seconds_bucket"), "{metrics}");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn not_ready_when_postgres_is_gone(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    pool.close().await;
    let ready = Answer::read(app.http.get(app.url("/ready")).send().await.unwrap()).await;
    assert_eq!(ready.status, 503);
    // Liveness is about the process, not its dependencies.
    assert_eq!(app.http.get(app.url("/health")).send().await.unwrap().status(), 200);
}

/// Issue 26, item 17: `/ready` queried the API's own pool, so a process
/// busy enough to hold every connection (its batches) left the probe
/// waiting, and an orchestrator would pull it exactly then.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn ready_answers_while_every_connection_of_the_pool_is_taken(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let first = Answer::read(app.http.get(app.url("/ready")).send().await.unwrap()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    // An orchestrator's probe gives about a second; with every connection
    // held, the old check waited for one until its own 2 s timeout.
    for _ in 0..3 {
        let probe = app.http.get(app.url("/ready")).timeout(std::time::Duration::from_secs(1)).send().await;
        let ready = Answer::read(probe.expect("/ready answers within a second while the pool is taken")).await;
        assert_eq!((ready.status, ready.body["postgres"].as_str()), (200, Some("ok")), "{}", ready.body);
    }
    drop(held);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_sane_request_id_is_echoed_and_a_wild_one_replaced(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let echoed = app.http.get(app.url("/health")).header("x-request-id", "bot-7f3a").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "bot-7f3a");
    let wild = app.http.get(app.url("/health")).header("x-request-id", "x".repeat(200)).send().await.unwrap();
    let replaced = wild.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(replaced.len(), 36, "a fresh UUID: {replaced}");
}
