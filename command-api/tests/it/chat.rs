//! Chat over HTTP: single messages, batches with per-message outcomes.

use crate::support::{chat_message, spawn_app, spawn_app_with, Options};
use serde_json::json;
use wavestack_command_api::Limits;

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_message_is_accepted_with_its_aggregate_and_sequence(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "chat:write");
    let answer = app.post("/v1/chat/messages", &token, &chat_message("m1", "!clip that was great")).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    assert_eq!(answer.body["outcome"], "accepted");
    assert_eq!(answer.body["aggregate_id"], "acme/twitch/shroud/viewer-1");
    // Received, command invoked, points awarded.
    assert_eq!(answer.body["events_written"], 3);
    assert_eq!(answer.body["sequence"], 3);
    assert!(answer.headers.get("x-request-id").is_some());

    let again = app.post("/v1/chat/messages", &token, &chat_message("m1", "!clip that was great")).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["outcome"], "duplicate");
    assert_eq!(again.body["sequence"], 3);
    assert_eq!(app.events_in("chat").await, 3);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_org_comes_from_the_token_and_events_carry_who_and_which_request(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token_for("discord-bot", "other-org", "chat:write");
    let response = app
        .http
        .post(app.url("/v1/chat/messages"))
        .bearer_auth(&token)
        .header("x-request-id", "req-42")
        .json(&chat_message("m1", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let (aggregate_id, metadata): (String, serde_json::Value) =
        sqlx::query_as("SELECT aggregate_id, metadata FROM events ORDER BY sequence LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(aggregate_id, "other-org/twitch/shroud/viewer-1");
    assert_eq!(metadata["org"], "other-org");
    assert_eq!(metadata["actor"], "discord-bot");
    assert_eq!(metadata["request_id"], "req-42");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_batch_reports_each_message_and_refuses_only_the_bad_ones(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "chat:write");
    let mut other_viewer = chat_message("m3", "from someone else");
    other_viewer["user_id"] = json!("viewer-2");
    let batch = json!({ "messages": [
        chat_message("m1", "first"),
        chat_message("m2", &"x".repeat(501)),
        other_viewer,
        chat_message("m1", "first"),
        chat_message("m4", "second from viewer one"),
    ]});
    let answer = app.post("/v1/chat/messages", &token, &batch).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    let results = answer.body["results"].as_array().unwrap();
    let outcomes: Vec<&str> = results.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["accepted", "refused", "accepted", "duplicate", "accepted"]);
    assert_eq!(results[1]["error"]["field"], "messages[1].text");
    assert_eq!(results[1]["error"]["reason"], "too_long");
    assert_eq!((answer.body["accepted"].clone(), answer.body["refused"].clone()), (json!(3), json!(1)));
    // Messages of one viewer are applied in the batch's order.
    assert!(results[4]["sequence"].as_u64() > results[0]["sequence"].as_u64());
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'ChatMessageReceived'->>'text' FROM events
          WHERE aggregate_id = 'acme/twitch/shroud/viewer-1' AND event_type = 'ChatMessageReceived'
          ORDER BY sequence",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(texts, ["first", "second from viewer one"]);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn an_oversized_or_empty_batch_is_refused_whole(pool: sqlx::PgPool) {
    let limits = Limits { batch_messages: 3, ..Limits::default() };
    let app = spawn_app_with(pool, Options { limits, ..Options::default() }).await;
    let token = app.token("acme", "chat:write");
    let messages: Vec<_> = (0..4).map(|i| chat_message(&format!("m{i}"), "hi")).collect();
    let answer = app.post("/v1/chat/messages", &token, &json!({ "messages": messages })).await;
    assert_eq!((answer.status, answer.code()), (413, "payload_too_large"));
    assert_eq!(answer.field(), "messages");
    let answer = app.post("/v1/chat/messages", &token, &json!({ "messages": [] })).await;
    assert_eq!((answer.status, answer.field()), (422, "messages"));
    let answer = app.post("/v1/chat/messages", &token, &json!({ "messages": [], "extra": 1 })).await;
    assert_eq!((answer.status, answer.field()), (422, "extra"));
    assert_eq!(app.all_events().await, 0);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_batch_of_five_hundred_is_accepted(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let token = app.token("acme", "chat:write");
    let messages: Vec<_> = (0..500)
        .map(|i| {
            let mut m = chat_message(&format!("m{i}"), "hi");
            m["user_id"] = json!(format!("viewer-{}", i % 50));
            m
        })
        .collect();
    let answer = app.post("/v1/chat/messages", &token, &json!({ "messages": messages })).await;
    assert_eq!(answer.status, 202);
    assert_eq!(answer.body["accepted"], 500);
    let received: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ChatMessageReceived'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(received, 500);
}
