//! Every read model rebuilt by `wavestack replay`, from the event store
//! and from the Kafka log, equals the live one, table by table, after a
//! history that touches each of them: chat and points, a custom command and
//! its uses, a moderation filter and its strike, a giveaway drawn, a poll
//! voted, a clip rendered and one that failed, follows, a gift, a cheer, a
//! raid and their alerts.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{database_url, issue_token, post_json, record, start, Stack};
use serde_json::{json, Value};
use sqlx::PgPool;
use wavestack_projections::ProjectionKind;

fn said(user: &str, id: &str, text: &str, role: &str) -> Value {
    json!({"platform": "twitch", "channel": "shroud", "user_id": user, "message_id": id,
           "author": user, "text": text, "role": role})
}

async fn history(http: &reqwest::Client, stack: &Stack) {
    let bot = issue_token(stack, "acme", "chat:write");
    let manager = issue_token(stack, "acme", "channels:write");
    let clips = issue_token(stack, "acme", "clips:write");
    let chat = |messages: Vec<Value>| {
        let bot = bot.clone();
        async move {
            let answer = post_json(http, stack, &bot, "/v1/chat/messages", &json!({"messages": messages})).await;
            assert!(answer["results"].is_array(), "{answer}");
        }
    };
    let filter = http
        .put(format!("{}/v1/channels/twitch/shroud/filters/links", stack.command_api))
        .bearer_auth(&manager)
        .json(&json!({"enabled": true, "allowed_domains": []}))
        .send()
        .await
        .unwrap();
    assert!(filter.status().is_success(), "{:?}", filter.text().await);
    let giveaway = json!({"title": "a mug", "channels": ["twitch/shroud"]});
    let opened = post_json(http, stack, &manager, "/v1/giveaways", &giveaway).await;
    let giveaway_id = opened["giveaway_id"].as_str().unwrap_or_else(|| panic!("{opened}")).to_owned();
    let poll = json!({"question": "next game?", "options": ["doom", "quake"], "channels": ["twitch/shroud"],
                      "duration_seconds": 600});
    let poll = post_json(http, stack, &manager, "/v1/polls", &poll).await;
    let poll_id = poll["poll_id"].as_str().unwrap_or_else(|| panic!("{poll}")).to_owned();

    chat(vec![said("mod", "m1", "!commands add !hug hugs {args}", "moderator")]).await;
    let mut messages = Vec::new();
    for i in 0..30 {
        let user = format!("v{}", i % 6);
        let text = match i % 5 {
            0 => "!hug everyone".to_owned(),
            1 => "!join".to_owned(),
            2 => format!("!vote {}", 1 + i % 2),
            3 => "see spam.example/win".to_owned(),
            _ => format!("hello {i}"),
        };
        messages.push(said(&user, &format!("h{i}"), &text, "viewer"));
    }
    chat(messages).await;
    let policy = json!({"per_follow": 10, "per_sub_tier1": 100, "per_sub_tier2": 200, "per_sub_tier3": 500,
                        "per_100_bits": 5, "per_raid_viewer": 2});
    let set = http
        .put(format!("{}/v1/channels/twitch/shroud/support-policy", stack.command_api))
        .bearer_auth(&manager)
        .json(&policy)
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success(), "{:?}", set.text().await);
    let alert = json!({"template": "$(user) brought $(amount)", "enabled": true});
    let set = http
        .put(format!("{}/v1/channels/twitch/shroud/alerts/raid", stack.command_api))
        .bearer_auth(&manager)
        .json(&alert)
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success(), "{:?}", set.text().await);
    for happening in [
        json!({"event_id": "b1", "type": "online", "at": "2026-12-07T18:00:00Z"}),
        json!({"event_id": "b2", "type": "follow", "user_id": "v1", "user_name": "v1", "at": "2026-12-07T18:01:00Z"}),
        json!({"event_id": "b3", "type": "gift", "user_id": "v2", "user_name": "v2", "tier": "1", "amount": 3,
               "at": "2026-12-07T18:02:00Z"}),
        json!({"event_id": "b4", "type": "cheer", "amount": 500, "message": "anon", "at": "2026-12-07T18:03:00Z"}),
        json!({"event_id": "b5", "type": "raid", "user_id": "r9", "user_name": "r9", "amount": 12,
               "at": "2026-12-07T18:04:00Z"}),
    ] {
        let answer = post_json(http, stack, &bot, "/v1/channels/twitch/shroud/broadcast", &happening).await;
        assert_eq!(answer["events_written"], 1, "{answer}");
    }
    post_json(http, stack, &manager, &format!("/v1/giveaways/{giveaway_id}/draw"), &json!({"count": 1})).await;
    post_json(http, stack, &manager, &format!("/v1/polls/{poll_id}/close"), &json!({})).await;

    record(stack, "vods/night.mkv", 3);
    // One cut from the recording, one from past its end (the renderer fails it).
    for (start, title) in [(0, "rendered"), (100, "failed")] {
        let request = json!({"channel": "shroud", "source": "vods/night.mkv", "start_seconds": start,
                             "duration_seconds": 1, "title": title});
        let answer = post_json(http, stack, &clips, "/v1/clips", &request).await;
        assert!(answer["clip_id"].is_string(), "{answer}");
    }
}

/// Until the relay and every consumer have nothing left, and the store has
/// stopped growing (the renderer is done).
async fn settled(http: &reqwest::Client, stack: &Stack, pool: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last_count = -1;
    loop {
        let ready: Value = http.get(format!("{}/ready", stack.query_api)).send().await.unwrap().json().await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(pool).await.unwrap();
        let idle = ready["relay"]["events_behind"] == 0
            && ready["consumers"].as_array().is_some_and(|c| c.iter().all(|c| c["records_behind"] == 0));
        let clips_done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE aggregate_type = 'clip' AND event_type IN ('ClipRendered', 'ClipRenderingFailed')",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if idle && clips_done == 2 && count == last_count {
            return;
        }
        last_count = count;
        assert!(Instant::now() < deadline, "the stack never settled: {ready}");
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

/// Every row of every read-model table of `schema`, as JSON, sorted; the
/// audit log's own insertion counter and clock left out.
async fn tables(pool: &PgPool, schema: &str) -> Vec<(String, Value)> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = $1 AND table_name LIKE 'rm\\_%' ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for name in names {
        let rows: Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(j ORDER BY j::text), '[]'::jsonb)
               FROM (SELECT to_jsonb(t) - 'position' - 'recorded_at' AS j FROM {schema}.{name} t) rows"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((name, rows));
    }
    out
}

#[sqlx::test(migrations = false)]
async fn every_projection_rebuilt_from_the_store_and_from_the_log_equals_the_live_one(pool: PgPool) {
    let stack = start(&pool).await;
    let http = reqwest::Client::new();
    history(&http, &stack).await;
    settled(&http, &stack, &pool).await;

    for kind in ProjectionKind::ALL {
        let live = tables(&pool, &format!("projection_{}", kind.name())).await;
        assert!(!live.is_empty(), "{} has tables", kind.name());
        assert!(
            live.iter().any(|(_, rows)| rows.as_array().is_some_and(|r| !r.is_empty())),
            "the history reached {}",
            kind.name()
        );
        for source in ["store", "log"] {
            let into = format!("rebuilt_{}_{source}", kind.name());
            let out = Command::new(env!("CARGO_BIN_EXE_wavestack"))
                .args(["replay", "--projection", kind.name(), "--source", source, "--into", &into])
                .env("DATABASE_URL", database_url(&pool))
                .env("KAFKA_BROKERS", &stack.kafka)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let rebuilt = tables(&pool, &into).await;
            assert_eq!(rebuilt.len(), live.len(), "{into}");
            for ((table, live_rows), (_, rebuilt_rows)) in live.iter().zip(&rebuilt) {
                assert_eq!(rebuilt_rows, live_rows, "{into}.{table} differs from the live model");
            }
        }
    }
}
