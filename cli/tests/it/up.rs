//! The one-command stack, as an operator runs it: `wavestack up` with a
//! config file, a token from the token endpoint, a chat message, a clip and
//! a publication posted over HTTP; their events read back from the broker
//! and decoded with nothing but the Confluent frame and the schema fetched
//! from the query API by the id in it; then SIGTERM, and a clean exit.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Message};
use serde_json::{json, Value};
use sqlx::PgPool;
use wavestack_api_types::chat::{BatchBody, BatchPost, ChatMessageBody, MessageResult};
use wavestack_api_types::clips::{ClipAccepted, RequestClipBody};
use wavestack_api_types::publications::{AssetBody, CreateBody, PublicationAccepted};

#[sqlx::test(migrations = false)]
async fn up_serves_commands_and_the_log_decodes_through_the_query_api(pool: PgPool) {
    // The real binary: this test ends with the operator's SIGTERM.
    let stack = start_binary(&pool).await;
    let http = reqwest::Client::new();
    let token = token(&http, &stack).await;
    let token = token.as_str();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", stack.command_api)).bearer_auth(token).json(&body).send()
    };
    let message = ChatMessageBody {
        platform: "twitch".into(),
        channel: "shroud".into(),
        user_id: "42".into(),
        message_id: "msg-1".into(),
        author: "Ada".into(),
        role: None,
        text: "what a play".into(),
        sent_at: Some("2026-11-22T10:00:00Z".into()),
        emotes: None,
    };
    let chat = post("/v1/chat/messages", serde_json::to_value(&message).unwrap()).await.unwrap();
    assert_eq!(chat.status(), 202);
    // The stream recording the clip is cut from: 8 s, H.264/AAC.
    record(&stack, "vods/night.mkv", 8);
    let clip = RequestClipBody {
        channel: "shroud".into(),
        source: "vods/night.mkv".into(),
        start_seconds: 2.0,
        duration_seconds: 3.0,
        container: None,
        reencode: false,
        title: "the play".into(),
    };
    let clip: ClipAccepted =
        post("/v1/clips", serde_json::to_value(&clip).unwrap()).await.unwrap().json().await.unwrap();
    let clip_id = clip.clip_id.to_string();
    let publication = CreateBody {
        asset: AssetBody { clip_id: Some(clip_id.clone()), url: None },
        targets: vec!["youtube".into()],
        title: "The play".into(),
        caption: String::new(),
        hashtags: Vec::new(),
        scheduled_at: None,
    };
    let publication = post("/v1/publications", serde_json::to_value(&publication).unwrap()).await.unwrap();
    assert_eq!(publication.status(), 202);
    let publication: PublicationAccepted = publication.json().await.unwrap();

    // The queue state and the event log show them (read-your-writes).
    let read = |path: String, token: String, query: Vec<(&'static str, String)>| {
        let request = http.get(format!("{}{path}", stack.query_api)).bearer_auth(token).query(&query);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, job) =
        read(format!("/v1/clips/{clip_id}"), token.to_owned(), vec![("min_sequence", "1".into())]).await;
    assert_eq!((status, job["channel"].as_str()), (200, Some("shroud")), "{job}");
    let ryw = vec![
        ("aggregate_id", publication.accepted.aggregate_id.clone()),
        ("min_sequence", publication.accepted.sequence.to_string()),
        ("platform", "youtube".to_owned()),
    ];
    let (status, page) = read("/v1/publications".into(), token.to_owned(), ryw).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["publications"][0]["channel"], "shroud", "{page}");
    assert_eq!(page["publications"][0]["targets"][0]["status"], "pending", "{page}");
    let auditor = issue_token(&stack, "acme", "audit:read");
    let by_clip = vec![("aggregate_id", format!("acme/{clip_id}"))];
    let deadline = Instant::now() + Duration::from_secs(30);
    let events = loop {
        let (status, page) = read("/v1/events".into(), auditor.clone(), by_clip.clone()).await;
        assert_eq!(status, 200, "{page}");
        if !page["events"].as_array().unwrap().is_empty() || Instant::now() > deadline {
            break page["events"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(events[0]["type"], "ClipRequested", "{events}");
    assert_eq!(events[0]["actor"], "e2e-bot");
    let (status, refused) = read("/v1/events".into(), token.to_owned(), vec![]).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("insufficient_scope")), "{refused}");

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &stack.kafka)
        .set("group.id", format!("e2e-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer
        .subscribe(&["wavestack.chat.events.v1", "wavestack.clip.events.v1", "wavestack.publication.events.v1"])
        .unwrap();
    // Chat: received + points; clip: requested; publication: created. The
    // workers' own events (the renderer's claim and result, the publication's
    // asset marked ready) come in between.
    let mut decoded = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while decoded.len() < 4 {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, consumer.recv()).await.expect("records arrive in time").unwrap();
        let event = decode(&http, &stack.query_api, message.payload().unwrap()).await;
        if event["actor"].as_str().is_some_and(|a| a.starts_with("svc:")) {
            continue;
        }
        decoded.push(event);
    }
    let text = decoded.iter().find_map(|e| e["payload"].get("text").cloned()).expect("the chat message");
    assert_eq!(text, "what a play");
    assert!(decoded.iter().all(|e| e["org"] == "acme" && e["actor"] == "e2e-bot"), "{decoded:#?}");
    let clip_event = decoded.iter().find(|e| e["aggregate_id"] == format!("acme/{clip_id}")).expect("clip event");
    assert_eq!(clip_event["payload"]["title"], "the play");
    assert_eq!(clip_event["payload"]["source"], "vods/night.mkv");

    // The renderer cuts it; the query API lists it and serves the file,
    // with range requests.
    let deadline = Instant::now() + Duration::from_secs(60);
    let job = loop {
        let (_, job) = read(format!("/v1/clips/{clip_id}"), token.to_owned(), vec![]).await;
        if job["status"] == "rendered" || Instant::now() > deadline {
            break job;
        }
        assert_ne!(job["status"], "failed", "{job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["status"], "rendered", "{job}");
    let duration = job["rendered_duration_ms"].as_i64().unwrap();
    assert!((2000..=4100).contains(&duration), "{job}");
    let media = job["media_uri"].as_str().unwrap();
    assert!(media.starts_with(&format!("{}/files/", stack.query_api)), "{media}");
    let partial = http.get(media).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(partial.status(), 206);
    assert_eq!(partial.bytes().await.unwrap().len(), 100);
    let whole = http.get(media).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(whole.len() as i64, job["size_bytes"].as_i64().unwrap());
    let thumbnail = http.get(job["thumbnail_uri"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(thumbnail.headers()["content-type"], "image/jpeg");
    let (status, page) = read("/v1/clips".into(), token.to_owned(), vec![("status", "rendered".into())]).await;
    assert_eq!((status, page["clips"][0]["clip_id"].as_str()), (200, Some(clip_id.as_str())), "{page}");
    let missing = http.get(format!("{}/files/no/such.mp4", stack.query_api)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"]["code"], "not_found");

    // `wavestack status` reads what `/ready` reports, for an operator.
    let status = Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .args(["status", "--json"])
        .env("DATABASE_URL", database_url(&pool))
        .env("KAFKA_BROKERS", &stack.kafka)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["broker"]["reachable"], true, "{report}");
    let names: Vec<&str> = report["consumers"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    for projection in ["projection.leaderboard", "projection.analytics", "projection.queue", "projection.audit"] {
        assert!(names.contains(&projection), "{report}");
    }
    let table = Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .arg("status")
        .env("DATABASE_URL", database_url(&pool))
        .env("KAFKA_BROKERS", &stack.kafka)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(table.contains("reachable") && table.contains("projection.leaderboard"), "{table}");

    // SIGTERM: a clean exit, with the local broker gone.
    let mut stack = stack;
    let child = stack.child.as_mut().unwrap();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "wavestack up did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(std::net::TcpStream::connect(&stack.kafka).is_err(), "the local broker stopped with it");
}

/// Thousands of chat messages from many viewers through the command API;
/// the leaderboard and the channel analytics served by the query API must
/// equal what this test computes on its own from the messages it sent.
#[sqlx::test(migrations = false)]
async fn the_leaderboard_and_analytics_equal_what_was_sent(pool: PgPool) {
    let stack = start(&pool).await;
    let http = reqwest::Client::new();
    let token = token(&http, &stack).await;
    let mut rng = fastrand::Rng::with_seed(42);
    // (channel, user) -> (points, messages); the clock per viewer only moves forward.
    let mut expected: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    let mut clocks: std::collections::HashMap<String, (i64, Option<i64>)> = Default::default();
    let mut last_write: std::collections::HashMap<String, (String, u64)> = Default::default();
    let mut analytics = ExpectedAnalytics::default();
    let base = 1_800_000_000i64;
    for batch in 0..12 {
        let mut messages = Vec::new();
        for n in 0..250 {
            let who = rng.usize(..120);
            let channel = ["shroud", "pokimane", "xqc"][who % 3];
            let user = format!("viewer-{who}");
            let (now, last_award) = clocks.entry(user.clone()).or_insert((0, None));
            *now += rng.i64(1..=90);
            let totals = expected.entry((channel.to_owned(), user.clone())).or_insert((0, 0));
            totals.1 += 1;
            if last_award.is_none_or(|last| *now - last >= 60) {
                *last_award = Some(*now);
                totals.0 += 1;
            }
            let sent_at = time::OffsetDateTime::from_unix_timestamp(base + *now).unwrap();
            // A built-in: an unknown `!word` is chat, not a command.
            let text = if rng.u8(..10) == 0 { "!points" } else { "gg" };
            analytics.count(channel, &user, sent_at, text.starts_with('!'));
            messages.push(ChatMessageBody {
                platform: "twitch".into(),
                channel: channel.to_string(),
                user_id: user.to_string(),
                message_id: format!("b{batch}-{n}"),
                author: format!("Viewer {who}"),
                role: None,
                text: text.into(),
                sent_at: Some(sent_at.format(&time::format_description::well_known::Rfc3339).unwrap()),
                emotes: None,
            });
        }
        let posted = BatchPost { messages };
        let answer =
            post_json(&http, &stack, &token, "/v1/chat/messages", &serde_json::to_value(&posted).unwrap()).await;
        let answer: BatchBody = serde_json::from_value(answer).unwrap();
        assert_eq!(answer.accepted, 250, "{answer:?}");
        for (message, result) in posted.messages.into_iter().zip(answer.results) {
            let MessageResult::Accepted(result) = result else { panic!("not accepted: {result:?}") };
            let entry = last_write.entry(message.user_id).or_insert((result.aggregate_id, 0));
            entry.1 = entry.1.max(result.sequence);
        }
    }

    // Read-your-writes: wait until every viewer's last write is applied
    // to both read models.
    for (aggregate, sequence) in last_write.values() {
        for path in ["leaderboard", "analytics"] {
            let response = http
                .get(format!("{}/v1/channels/shroud/{path}", stack.query_api))
                .bearer_auth(&token)
                .query(&[("aggregate_id", aggregate.as_str()), ("min_sequence", &sequence.to_string())])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        }
    }
    assert_eq!(analytics.served(&http, &stack, &token, base).await, analytics.expected());
    let mut seen: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    for channel in ["shroud", "pokimane", "xqc"] {
        let mut cursor: Option<String> = None;
        let mut last_rank = 0;
        loop {
            let mut request = http
                .get(format!("{}/v1/channels/{channel}/leaderboard", stack.query_api))
                .bearer_auth(&token)
                .query(&[("limit", "7")]);
            if let Some(cursor) = &cursor {
                request = request.query(&[("cursor", cursor.as_str())]);
            }
            let page: Value = request.send().await.unwrap().json().await.unwrap();
            for entry in page["entries"].as_array().unwrap() {
                last_rank += 1;
                assert_eq!(entry["rank"], last_rank, "ranks are consecutive across pages");
                let key = (channel.to_owned(), entry["user_id"].as_str().unwrap().to_owned());
                seen.insert(key, (entry["points"].as_i64().unwrap(), entry["messages"].as_i64().unwrap()));
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
    }
    assert_eq!(seen, expected);

    // Another org sees nothing, and cannot wait on this org's aggregates.
    let rival = issue_token(&stack, "rival", "read");
    let url = format!("{}/v1/channels/shroud/leaderboard", stack.query_api);
    let page: Value = http.get(&url).bearer_auth(&rival).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["entries"], json!([]));
    let (aggregate, sequence) = last_write.values().next().unwrap();
    let probe = http
        .get(&url)
        .bearer_auth(&rival)
        .query(&[("aggregate_id", aggregate.as_str()), ("min_sequence", &sequence.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 404);
    // And without a token, nothing at all.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
}

/// (channel, bucket, bucket start) → messages, chatters, commands.
#[derive(Default)]
struct ExpectedAnalytics {
    buckets: std::collections::BTreeMap<(String, &'static str, i64), BucketTally>,
}

/// Messages, chatters, commands.
type BucketTally = (i64, std::collections::BTreeSet<String>, i64);

type AnalyticsSeen = std::collections::BTreeMap<(String, &'static str, i64), (i64, i64, i64)>;

impl ExpectedAnalytics {
    const BUCKETS: [(&'static str, i64); 3] = [("minute", 60), ("hour", 3600), ("day", 86_400)];

    fn count(&mut self, channel: &str, user: &str, at: time::OffsetDateTime, command: bool) {
        for (bucket, length) in Self::BUCKETS {
            let start = at.unix_timestamp() - at.unix_timestamp().rem_euclid(length);
            let entry = self.buckets.entry((channel.to_owned(), bucket, start)).or_default();
            entry.0 += 1;
            entry.1.insert(user.to_owned());
            entry.2 += i64::from(command);
        }
    }

    fn expected(&self) -> AnalyticsSeen {
        self.buckets.iter().map(|(key, (m, chatters, c))| (key.clone(), (*m, chatters.len() as i64, *c))).collect()
    }

    /// The non-empty buckets the query API serves over the test's hours.
    async fn served(&self, http: &reqwest::Client, stack: &Stack, token: &str, base: i64) -> AnalyticsSeen {
        let rfc3339 = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let mut seen = AnalyticsSeen::new();
        for channel in ["shroud", "pokimane", "xqc"] {
            for (bucket, _) in Self::BUCKETS {
                let series: Value = http
                    .get(format!("{}/v1/channels/{channel}/analytics", stack.query_api))
                    .bearer_auth(token)
                    .query(&[("bucket", bucket), ("from", &rfc3339(base - 86_400)), ("to", &rfc3339(base + 86_400))])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                for point in series["points"].as_array().unwrap_or_else(|| panic!("{series}")) {
                    let counts = (
                        point["messages"].as_i64().unwrap(),
                        point["unique_chatters"].as_i64().unwrap(),
                        point["commands"].as_i64().unwrap(),
                    );
                    if counts != (0, 0, 0) {
                        let start = time::OffsetDateTime::parse(
                            point["bucket_start"].as_str().unwrap(),
                            &time::format_description::well_known::Rfc3339,
                        )
                        .unwrap();
                        seen.insert((channel.to_owned(), bucket, start.unix_timestamp()), counts);
                    }
                }
            }
        }
        seen
    }
}

/// A dashboard on the live feed sees a leaderboard change within a second
/// of the command that caused it; another org's dashboard sees nothing.
#[sqlx::test(migrations = false)]
async fn the_live_feed_pushes_leaderboard_changes_within_a_second(pool: PgPool) {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as Ws;

    let stack = start(&pool).await;
    let http = reqwest::Client::new();
    let token = token(&http, &stack).await;
    let ws_url = stack.query_api.replace("http://", "ws://");
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("{ws_url}/v1/live?access_token={token}")).await.expect("connects");
    socket.send(Ws::text(r#"{"subscribe": ["shroud"]}"#)).await.unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert_eq!(serde_json::from_str::<Value>(ack.to_text().unwrap()).unwrap()["type"], "subscribed");

    let rival = issue_token(&stack, "rival", "read");
    let (mut rival_socket, _) =
        tokio_tungstenite::connect_async(format!("{ws_url}/v1/live?access_token={rival}")).await.unwrap();
    rival_socket.send(Ws::text(r#"{"subscribe": ["shroud"]}"#)).await.unwrap();
    rival_socket.next().await.unwrap().unwrap();

    // Unauthenticated and malformed requests are refused.
    assert!(tokio_tungstenite::connect_async(format!("{ws_url}/v1/live")).await.is_err());
    socket.send(Ws::text("hello")).await.unwrap();
    let refusal: Value = serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(refusal["code"], "invalid_message");

    // Warm-up: the projection starts reading shortly after the APIs are
    // ready; measure from when it is running.
    let warmup = json!({ "platform": "twitch", "channel": "warmup", "user_id": "w", "message_id": "w-1",
                         "author": "W", "text": "hi" });
    let warmup = post_json(&http, &stack, &token, "/v1/chat/messages", &warmup).await;
    let caught_up = http
        .get(format!("{}/v1/channels/warmup/leaderboard", stack.query_api))
        .bearer_auth(&token)
        .query(&[
            ("aggregate_id", warmup["aggregate_id"].as_str().unwrap()),
            ("min_sequence", &warmup["sequence"].to_string()),
            ("wait_ms", "30000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(caught_up.status(), 200);
    // The other read models and the worker groups start beside the
    // leaderboard (each takes its partitions within a heartbeat, 2 s); the
    // latency is of a running stack, not of one still starting.
    tokio::time::sleep(Duration::from_secs(3)).await;

    for attempt in 0..3 {
        let response = http
            .post(format!("{}/v1/chat/messages", stack.command_api))
            .bearer_auth(&token)
            .json(&json!({ "platform": "twitch", "channel": "shroud", "user_id": format!("fan-{attempt}"),
                           "message_id": format!("live-{attempt}"), "author": "Fan", "text": "pog" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let accepted = std::time::Instant::now();
        let change = tokio::time::timeout(Duration::from_secs(1), async {
            loop {
                let message = socket.next().await.unwrap().unwrap();
                let value: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
                let changes = value["changes"].as_array().cloned().unwrap_or_default();
                if value["type"] == "leaderboard" && changes.iter().any(|c| c["user_id"] == format!("fan-{attempt}")) {
                    return value;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no leaderboard change within a second (attempt {attempt})"));
        assert_eq!(change["channel"], "shroud");
        assert!(change.get("org").is_none(), "the org is not echoed");
        eprintln!("live change after {:?}", accepted.elapsed());
    }
    let nothing = tokio::time::timeout(Duration::from_millis(300), rival_socket.next()).await;
    assert!(nothing.is_err(), "another org's dashboard got {nothing:?}");
}

/// A viewer types `!clip 10`: the last ten seconds of the channel's
/// recording, up to the moment of the message, are cut, listed, and
/// published to the channel's webhook receiver (signed).
#[sqlx::test(migrations = false)]
async fn a_chat_clip_command_cuts_the_last_seconds_of_the_recording_and_publishes_it(pool: PgPool) {
    // The receiver: keeps what it gets, checks the signature.
    let received: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(received): axum::extract::State<std::sync::Arc<std::sync::Mutex<Vec<Value>>>>,
                 headers: axum::http::HeaderMap,
                 body: String| async move {
                    let timestamp = headers["x-wavestack-timestamp"].to_str().unwrap();
                    let expected =
                        wavestack_adapters::publishers::sign(b"hook-secret", format!("{timestamp}.{body}").as_bytes());
                    if headers["x-wavestack-signature"] != expected.as_str() {
                        return axum::http::StatusCode::UNAUTHORIZED;
                    }
                    received.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                    axum::http::StatusCode::OK
                },
            ),
        )
        .with_state(received.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let started = 1_800_000_000i64;
    let rfc3339 = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let recording = format!(
        "[[destinations]]\norg = \"acme\"\nplatform = \"webhook\"\nurl = \"{receiver_url}\"\nsecret = \"hook-secret\"\n\
         \n[[recordings]]\norg = \"acme\"\nchannel = \"shroud\"\nsource = \"live/shroud.mkv\"\n\
         started_at = \"{}\"\npublish_to = [\"webhook\"]\n",
        rfc3339(started)
    );
    let stack = start_with(&pool, &recording).await;
    record(&stack, "live/shroud.mkv", 20);
    let http = reqwest::Client::new();
    let token = token(&http, &stack).await;
    let message = json!({ "platform": "twitch", "channel": "shroud", "user_id": "42", "message_id": "clip-it",
                          "author": "Ada", "text": "!clip 10", "sent_at": rfc3339(started + 15) });
    let answer = post_json(&http, &stack, &token, "/v1/chat/messages", &message).await;
    assert_eq!(answer["outcome"], "accepted", "{answer}");

    let deadline = Instant::now() + Duration::from_secs(60);
    let clip = loop {
        let page = get_json(&http, &stack, &token, "/v1/clips", &[("channel", "shroud"), ("status", "rendered")]).await;
        if let Some(clip) = page["clips"].as_array().and_then(|c| c.first()) {
            break clip.clone();
        }
        assert!(Instant::now() < deadline, "no rendered clip: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((clip["start_ms"].as_i64(), clip["duration_ms"].as_i64()), (Some(5_000), Some(10_000)), "{clip}");
    assert_eq!(clip["requested_by"], "twitch:42");
    assert_eq!(clip["source"], "live/shroud.mkv");
    let rendered = clip["rendered_duration_ms"].as_i64().unwrap();
    assert!((9_000..=11_100).contains(&rendered), "{clip}");
    // The same message again (a bot retrying) clips nothing more.
    post_json(&http, &stack, &token, "/v1/chat/messages", &message).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = get_json(&http, &stack, &token, "/v1/clips", &[]).await;
    assert_eq!(all["clips"].as_array().unwrap().len(), 1, "{all}");

    // The queued publication goes out to the receiver once, with the clip.
    let deadline = Instant::now() + Duration::from_secs(60);
    while received.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "nothing published");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0]["media_url"], clip["media_uri"], "{received:?}");
    let published = [("status", "published"), ("platform", "webhook")];
    let page = get_json(&http, &stack, &token, "/v1/publications", &published).await;
    assert_eq!(page["publications"].as_array().map(Vec::len), Some(1), "{page}");
}
