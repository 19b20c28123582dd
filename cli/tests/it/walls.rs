//! The attack suite: two orgs on one `wavestack up` (real Postgres, the
//! local broker, ffmpeg), each trying to reach what is the other's or the
//! operator's, and to make the stack fall over. Every case is refused, and
//! what is refused says nothing of what the other org has.

use std::time::{Duration, Instant};

use crate::support::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// POSTs JSON; the status and the body.
async fn post(http: &reqwest::Client, stack: &Stack, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let response =
        http.post(format!("{}{path}", stack.command_api)).bearer_auth(token).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// Waits until the clip's job has `status`, through the query API.
async fn until_clip(http: &reqwest::Client, stack: &Stack, token: &str, clip_id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let job = get_json(http, stack, token, &format!("/v1/clips/{clip_id}"), &[]).await;
        if job["status"] == status {
            return job;
        }
        assert!(Instant::now() < deadline, "clip {clip_id} never {status}: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn clip_body(source: &str, seconds: u32) -> Value {
    json!({ "channel": "shroud", "source": source, "start_seconds": 0, "duration_seconds": seconds, "title": "t" })
}

#[sqlx::test(migrations = false)]
async fn another_orgs_recordings_clips_files_destinations_and_keys_are_out_of_reach(pool: PgPool) {
    // Each org publishes to a webhook of its own; acme also to YouTube.
    let extra = "[[destinations]]\norg = \"acme\"\nplatform = \"webhook\"\nurl = \"http://127.0.0.1:9/acme\"\n\
                 secret = \"acme-webhook-secret\"\n\n[[destinations]]\norg = \"other\"\nplatform = \"webhook\"\n\
                 url = \"http://127.0.0.1:9/other\"\nsecret = \"other-webhook-secret\"\n";
    let stack = start_with(&pool, extra).await;
    let http = reqwest::Client::new();
    let acme = issue_token(&stack, "acme", "clips:write publications:write read admin");
    let other = issue_token(&stack, "other", "clips:write publications:write read admin");
    record_for(&stack, "acme", "vods/acme-private.mkv", 4);
    record_for(&stack, "other", "vods/own.mkv", 4);

    // A recording of acme's, asked for by other: the same answer as a path
    // that exists nowhere.
    let (status, stolen) = post(&http, &stack, &other, "/v1/clips", &clip_body("vods/acme-private.mkv", 2)).await;
    let (_, missing) = post(&http, &stack, &other, "/v1/clips", &clip_body("vods/no-such.mkv", 2)).await;
    assert_eq!((status, code(&stolen)), (422, "source_unavailable"), "{stolen}");
    assert_eq!(stolen["error"]["message"], missing["error"]["message"], "no oracle");
    let (status, own) = post(&http, &stack, &other, "/v1/clips", &clip_body("vods/own.mkv", 2)).await;
    assert_eq!(status, 202, "other's own recording: {own}");

    // acme's clip, rendered; its file is served to whoever has its URL…
    let (status, clip) = post(&http, &stack, &acme, "/v1/clips", &clip_body("vods/acme-private.mkv", 2)).await;
    assert_eq!(status, 202, "{clip}");
    let clip_id = clip["clip_id"].as_str().unwrap().to_owned();
    let job = until_clip(&http, &stack, &acme, &clip_id, "rendered").await;
    let media = job["media_uri"].as_str().unwrap().to_owned();
    assert_eq!(http.get(&media).send().await.unwrap().status(), 200);
    // …but the URL cannot be computed from the clip id.
    let hex = uuid::Uuid::parse_str(&clip_id).unwrap().simple().to_string();
    assert!(!media.contains(&hex), "{media}");
    for guess in [format!("{}/{}/{hex}.mp4", &hex[..2], &hex[2..4]), format!("{hex}.mp4"), format!("{clip_id}.mp4")] {
        let answer = http.get(format!("{}/files/{guess}", stack.query_api)).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{guess}");
    }
    // other cannot read acme's clip, nor wait on it, nor publish it.
    let answer = http.get(format!("{}/v1/clips/{clip_id}", stack.query_api)).bearer_auth(&other).send().await.unwrap();
    assert_eq!(answer.status(), 404);
    let by_id = json!({ "asset": { "clip_id": clip_id }, "targets": ["webhook"], "title": "mine now" });
    let (status, body) = post(&http, &stack, &other, "/v1/publications", &by_id).await;
    assert_eq!((status, code(&body)), (404, "clip_not_found"), "{body}");
    let by_url = json!({ "asset": { "url": media }, "targets": ["webhook"], "title": "mine now" });
    let (status, body) = post(&http, &stack, &other, "/v1/publications", &by_url).await;
    assert_eq!((status, code(&body)), (422, "asset_url_is_a_clip"), "{body}");

    // Destinations: other has no YouTube; nobody publishes where no adapter is.
    let hosted = |target: &str| json!({ "asset": { "url": "https://cdn.example.com/a.mp4" }, "targets": [target], "title": "t" });
    let (status, body) = post(&http, &stack, &other, "/v1/publications", &hosted("youtube")).await;
    assert_eq!(
        (status, code(&body), body["error"]["field"].as_str()),
        (422, "target_not_configured", Some("targets[0]"))
    );
    let (status, body) = post(&http, &stack, &acme, "/v1/publications", &hosted("tiktok")).await;
    assert_eq!((status, code(&body)), (422, "target_unsupported"), "{body}");
    let (status, _) = post(&http, &stack, &acme, "/v1/publications", &hosted("webhook")).await;
    assert_eq!(status, 202, "acme's own webhook");

    // The deployment's signing keys are the operator's.
    let jwks = |http: reqwest::Client, url: String| async move {
        let keys: Value = http.get(format!("{url}/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
        keys["keys"].as_array().unwrap().len()
    };
    let before = jwks(http.clone(), stack.command_api.clone()).await;
    for admin in [&acme, &other] {
        let (status, body) = post(&http, &stack, admin, "/v1/admin/keys/rotate", &json!({})).await;
        assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    }
    assert_eq!(jwks(http.clone(), stack.command_api.clone()).await, before);

    // Made-up methods share one metrics label.
    for n in 0..30 {
        let method = reqwest::Method::from_bytes(format!("FLOOD{n}").as_bytes()).unwrap();
        let _ = http.request(method, format!("{}/v1/chat/messages", stack.command_api)).send().await.unwrap();
    }
    let metrics = http.get(format!("{}/metrics", stack.command_api)).send().await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("FLOOD"), "a made-up method became a label");
    assert!(metrics.contains("method=\"other\""), "they are counted as `other`");
}

#[sqlx::test(migrations = false)]
async fn a_destinations_secret_is_nowhere_it_can_be_read_back(pool: PgPool) {
    // Nothing listens at acme's Discord webhook: every attempt fails with
    // the HTTP client's error, whose text names the URL, token and all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let token = "TOP-SECRET-discord-webhook-token-7f3a9c";
    let extra = format!(
        "[[destinations]]\norg = \"acme\"\nplatform = \"discord\"\nurl = \"http://127.0.0.1:{port}/api/webhooks/99/{token}\"\n"
    );
    let stack = start_with(&pool, &extra).await;
    let http = reqwest::Client::new();
    let acme = issue_token(&stack, "acme", "publications:write read audit:read");

    // A dashboard watches the live feed meanwhile.
    let url = format!("{}/v1/live?access_token={acme}", stack.query_api.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    socket.send(WsMessage::text(r#"{"subscribe": ["shroud"]}"#)).await.unwrap();
    let live = tokio::spawn(async move {
        let mut seen = String::new();
        while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            if let WsMessage::Text(text) = message {
                seen.push_str(&text);
            }
        }
        seen
    });

    let body = json!({ "asset": { "url": "https://cdn.example.com/a.mp4" }, "targets": ["discord"], "title": "t" });
    let (status, created) = post(&http, &stack, &acme, "/v1/publications", &body).await;
    assert_eq!(status, 202, "{created}");
    let id = created["publication_id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let publication = loop {
        let publication = get_json(&http, &stack, &acme, &format!("/v1/publications/{id}"), &[]).await;
        if publication["targets"][0]["last_error"].is_string() {
            break publication;
        }
        assert!(Instant::now() < deadline, "the attempt never failed: {publication}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let error = publication["targets"][0]["last_error"].as_str().unwrap();
    assert!(error.starts_with("no answer"), "{error}");

    let mut readable = vec![("the read model", publication.to_string())];
    // The auditors' log is its own projection: it may apply the failure a
    // moment after the queue's read model did.
    let events = loop {
        let events = get_json(&http, &stack, &acme, "/v1/events", &[("limit", "1000")]).await;
        if events["events"].as_array().unwrap().iter().any(|e| e["type"] == "TargetPublishFailed") {
            break events;
        }
        assert!(Instant::now() < deadline, "the event log never showed the failure: {events}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    readable.push(("the event log", events.to_string()));
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT payload::text || metadata::text FROM events").fetch_all(&pool).await.unwrap();
    readable.push(("the event store", stored.join("\n")));
    readable.push(("the Kafka log", raw_topic(&stack, "wavestack.publication.events.v1").await));
    readable.push(("the live feed", live.await.unwrap()));
    readable.push(("the stack's log", stack.log()));
    for (place, text) in readable {
        assert!(!text.contains(token) && !text.contains("TOP-SECRET"), "the webhook's token is in {place}");
    }
}

/// Every record of `topic` from the start, as lossy text.
async fn raw_topic(stack: &Stack, topic: &str) -> String {
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::Message;
    let consumer: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &stack.kafka)
        .set("group.id", format!("walls-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut text = String::new();
    let mut records = 0;
    while let Ok(Ok(message)) = tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await {
        text.push_str(&String::from_utf8_lossy(message.payload().unwrap_or_default()));
        records += 1;
    }
    assert!(records > 0, "nothing read from {topic}");
    text
}

#[sqlx::test(migrations = false)]
async fn floods_and_failures_are_refused_not_queued(pool: PgPool) {
    let stack = start_with_settings(&pool, "", |s| s.up.media.org_render_clips = 4).await;
    let http = reqwest::Client::new();
    let acme = issue_token(&stack, "acme", "chat:write clips:write read");
    let other = issue_token(&stack, "other", "clips:write read");
    record_for(&stack, "acme", "vods/long.mkv", 6);
    record_for(&stack, "other", "vods/own.mkv", 4);

    // One org floods the renderers: past its share it is refused at once,
    // and another org's clip is still rendered.
    let mut statuses = Vec::new();
    for n in 0..8 {
        let mut body = clip_body("vods/long.mkv", 5);
        body["start_seconds"] = json!(n % 2);
        body["reencode"] = json!(true);
        let (status, answer) = post(&http, &stack, &acme, "/v1/clips", &body).await;
        if status == 429 {
            assert_eq!(code(&answer), "render_quota_exceeded", "{answer}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 4, "{statuses:?}");
    let (status, theirs) = post(&http, &stack, &other, "/v1/clips", &clip_body("vods/own.mkv", 2)).await;
    assert_eq!(status, 202, "{theirs}");
    until_clip(&http, &stack, &other, theirs["clip_id"].as_str().unwrap(), "rendered").await;

    // A batch our side failed to write is not kept as the key's answer:
    // its retry writes it.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
         CREATE TRIGGER refuse_writes BEFORE INSERT ON events FOR EACH ROW
           WHEN (NEW.aggregate_type = 'chat') EXECUTE FUNCTION refuse_writes();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let message = |id: &str| {
        json!({ "platform": "twitch", "channel": "shroud", "user_id": "v1", "message_id": id, "author": "V",
                "text": "hello" })
    };
    let batch = json!({ "messages": [message("b-1"), message("b-2")] });
    let send = |batch: Value| {
        let request = http
            .post(format!("{}/v1/chat/messages", stack.command_api))
            .bearer_auth(&acme)
            .header("Idempotency-Key", "batch-7")
            .json(&batch);
        async move {
            let response = request.send().await.unwrap();
            let replayed = response.headers().contains_key("idempotent-replayed");
            (replayed, response.json::<Value>().await.unwrap())
        }
    };
    let (_, failed) = send(batch.clone()).await;
    assert_eq!(failed["failed"], 2, "{failed}");
    sqlx::raw_sql("DROP TRIGGER refuse_writes ON events").execute(&pool).await.unwrap();
    let (replayed, retried) = send(batch.clone()).await;
    assert!(!replayed, "the failure was kept as the answer: {retried}");
    assert_eq!((retried["accepted"].as_u64(), retried["failed"].as_u64()), (Some(2), Some(0)), "{retried}");

    // A socket does not outlive its token.
    let short = issue_token_for(&stack, "acme", "read", 3);
    let url = format!("{}/v1/live?access_token={short}", stack.query_api.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(20), socket.next()).await {
            Ok(Some(Ok(WsMessage::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("the socket outlived its token: {other:?}"),
        }
    };
    assert_eq!(closed.map(|f| u16::from(f.code)), Some(4001));
}
