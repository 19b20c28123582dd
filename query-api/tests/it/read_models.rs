//! The read-model routes against real Postgres: every bad parameter is
//! refused with the field at fault, a read model not built yet reads as
//! empty, and another org's rows are invisible.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;
use wavestack_adapters::auth::{KeyStore, ScopeSet, TokenSettings, Tokens};
use wavestack_domain::value::{ActorId, OrgId};
use wavestack_projections::queue::Queue;
use wavestack_projections::Projection;
use wavestack_query_api::{router, LiveHub, QueryConfig};

struct App {
    router: axum::Router,
    tokens: Arc<Tokens>,
    _keys: tempfile::TempDir,
}

fn app(pool: PgPool) -> App {
    let keys = tempfile::tempdir().unwrap();
    let store = Arc::new(KeyStore::open(keys.path()).unwrap());
    let tokens = Arc::new(Tokens::new(store, TokenSettings::default()));
    let config = QueryConfig::new(pool, tokens.clone(), LiveHub::new());
    App { router: router(config), tokens, _keys: keys }
}

impl App {
    fn token(&self, org: &str, scopes: &str) -> String {
        self.token_for("dashboard", org, scopes)
    }

    fn token_for(&self, subject: &str, org: &str, scopes: &str) -> String {
        let subject = ActorId::parse(subject).unwrap();
        let org = OrgId::parse(org).unwrap();
        self.tokens.issue(&subject, &org, &ScopeSet::parse(scopes).unwrap()).unwrap().access_token
    }

    async fn get(&self, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::builder().uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = self.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn bad_parameters_are_refused_with_the_field_at_fault(pool: PgPool) {
    let app = app(pool);
    let token = app.token("acme", "read audit:read");
    let cases = [
        ("/v1/channels/shroud/analytics?bucket=week", "bucket"),
        ("/v1/channels/shroud/analytics?from=yesterday", "from"),
        ("/v1/channels/shroud/analytics?to=2026-13-01T00:00:00Z", "to"),
        ("/v1/channels/shroud/analytics?from=2026-11-22T10:00:00Z&to=2026-11-22T09:00:00Z", "from"),
        ("/v1/channels/shroud/analytics?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("/v1/channels/shroud/analytics?min_sequence=3", "aggregate_id"),
        ("/v1/channels/shroud/analytics?colour=red", "colour"),
        ("/v1/channels/NOT%20A%20CHANNEL/analytics", "channel"),
        ("/v1/clips?status=lost", "status"),
        ("/v1/clips?channel=a%20b", "channel"),
        ("/v1/clips?limit=0", "limit"),
        ("/v1/clips?limit=501", "limit"),
        ("/v1/clips?cursor=garbage", "cursor"),
        ("/v1/clips?limit=ten", "limit"),
        ("/v1/clips?min_sequence=abc", "min_sequence"),
        ("/v1/clips/6f1c1d3e-8c43-4b7e-9a53-1f9a2b3c4d5e?status=rendered", "status"),
        ("/v1/publications?platform=myspace", "platform"),
        ("/v1/publications?status=done", "status"),
        ("/v1/publications?cursor=1.2", "cursor"),
        ("/v1/events?from=noon", "from"),
        ("/v1/events?cursor=-4", "cursor"),
        ("/v1/events?limit=1001", "limit"),
        ("/v1/events?kind=x", "kind"),
        ("/v1/channels/twitch/shroud/moderation?action=kick", "action"),
        ("/v1/channels/twitch/shroud/moderation?filter=nsfw", "filter"),
        ("/v1/channels/twitch/shroud/moderation?cursor=yesterday", "cursor"),
        ("/v1/channels/twitch/shroud/moderation?limit=501", "limit"),
        ("/v1/channels/twitch/shroud/moderation?user_id=", "user_id"),
        ("/v1/channels/myspace/shroud/moderation", "platform"),
        ("/v1/channels/twitch/shroud/viewers/v-1/standing?verbose=1", "verbose"),
    ];
    for (uri, field) in cases {
        let (status, body) = app.get(uri, Some(&token)).await;
        assert!(status.is_client_error() && status != StatusCode::NOT_FOUND, "{uri}: {status} {body}");
        assert_eq!(body["error"]["field"], field, "{uri}: {body}");
        assert!(body["error"]["request_id"].is_string(), "{uri}: {body}");
    }
    let (status, body) =
        app.get("/v1/channels/shroud/analytics?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", Some(&token)).await;
    assert_eq!((status, body["error"]["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("range_too_large")));

    // Ids that cannot exist are simply not found.
    for uri in ["/v1/clips/not-a-uuid", "/v1/publications/42", "/v1/clips/6f1c1d3e-8c43-4b7e-9a53-1f9a2b3c4d5e"] {
        let (status, body) = app.get(uri, Some(&token)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{uri}");
    }

    // Scopes: the event log needs audit:read, the rest read; no token, 401.
    let reader = app.token("acme", "read");
    let (status, body) = app.get("/v1/events", Some(&reader)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("insufficient_scope")));
    let auditor = app.token("acme", "audit:read");
    assert_eq!(app.get("/v1/clips", Some(&auditor)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/v1/events", Some(&auditor)).await.0, StatusCode::OK);
    assert_eq!(app.get("/v1/channels/shroud/analytics", None).await.0, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn read_models_not_built_yet_read_as_empty(pool: PgPool) {
    let app = app(pool);
    let token = app.token("acme", "read audit:read");
    let (status, series) = app
        .get(
            "/v1/channels/shroud/analytics?bucket=hour&from=2026-11-22T00:30:00Z&to=2026-11-22T03:00:00Z",
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{series}");
    let starts: Vec<&str> =
        series["points"].as_array().unwrap().iter().map(|p| p["bucket_start"].as_str().unwrap()).collect();
    assert_eq!(starts, ["2026-11-22T00:00:00Z", "2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z"]);
    assert!(series["points"].as_array().unwrap().iter().all(|p| p["messages"] == 0 && p["unique_chatters"] == 0));
    let (status, standing) = app.get("/v1/channels/twitch/shroud/viewers/v-1/standing", Some(&token)).await;
    assert_eq!((status, standing["strikes"].as_u64()), (StatusCode::OK, Some(0)), "{standing}");
    for (uri, key) in [
        ("/v1/clips", "clips"),
        ("/v1/publications", "publications"),
        ("/v1/events", "events"),
        ("/v1/channels/twitch/shroud/moderation", "entries"),
    ] {
        let (status, page) = app.get(uri, Some(&token)).await;
        assert_eq!((status, page[key].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{uri}: {page}");
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn another_orgs_clips_are_invisible(pool: PgPool) {
    sqlx::query("CREATE SCHEMA projection_queue").execute(&pool).await.unwrap();
    for statement in Queue.create_tables("projection_queue") {
        sqlx::query(&statement).execute(&pool).await.unwrap();
    }
    let clip_id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO projection_queue.rm_clip_jobs (clip_stream, org, clip_id, channel, title, source, start_ms,
            duration_ms, container, reencode, requested_by, status, requested_at, updated_at)
         VALUES ($1, 'acme', $2, 'shroud', 'ace', 'vods/a.mkv', 0, 30000, 'mp4', false, 'bot', 'requested', now(), now())",
    )
    .bind(format!("acme/{clip_id}"))
    .bind(clip_id)
    .execute(&pool)
    .await
    .unwrap();
    let app = app(pool);
    let (ours, rival) = (app.token("acme", "read"), app.token("rival", "read"));
    let (status, job) = app.get(&format!("/v1/clips/{clip_id}"), Some(&ours)).await;
    assert_eq!((status, job["status"].as_str()), (StatusCode::OK, Some("requested")));
    assert_eq!(app.get(&format!("/v1/clips/{clip_id}"), Some(&rival)).await.0, StatusCode::NOT_FOUND);
    let (_, page) = app.get("/v1/clips", Some(&rival)).await;
    assert_eq!(page["clips"].as_array().unwrap().len(), 0);
    // Nor can a rival wait on our aggregates.
    let uri = format!("/v1/clips?aggregate_id=acme/{clip_id}&min_sequence=1");
    assert_eq!(app.get(&uri, Some(&rival)).await.0, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn many_reads_waiting_for_their_writes_are_answered_when_applied(pool: PgPool) {
    let app = Arc::new(app(pool.clone()));
    // Five dashboards of acme: one caller may wait at most 64 times at once.
    let tokens: Vec<String> = (0..5).map(|n| app.token_for(&format!("dash-{n}"), "acme", "read")).collect();
    // The leaderboard's read model as its projection would have created it.
    let leaderboard = wavestack_projections::leaderboard::Leaderboard;
    let schema = wavestack_projections::runtime::live_schema(leaderboard.name());
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await.unwrap();
    for statement in leaderboard.create_tables(&schema) {
        sqlx::query(&statement).execute(&pool).await.unwrap();
    }
    sqlx::query(&format!(
        "CREATE TABLE IF NOT EXISTS {schema}.positions (aggregate_id text PRIMARY KEY, last_sequence bigint NOT NULL)"
    ))
    .execute(&pool)
    .await
    .unwrap();
    // Every stream waited on is written up to sequence 2 in the event store
    // (a wait for a sequence never written is refused at once, not waited for).
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'chat', 'acme/twitch/shroud/' || p || i, s, 'ChatMessageReceived', '1', '{}', '{}'
           FROM unnest(ARRAY['u', 'g']) AS p, generate_series(0, 299) AS i, generate_series(1, 2) AS s
          ORDER BY 2, 3",
    )
    .execute(&pool)
    .await
    .unwrap();
    // 300 readers, each waiting for its own viewer's sequence 2.
    let readers: Vec<_> = (0..300)
        .map(|i| {
            let (app, token) = (app.clone(), tokens[i % 5].clone());
            tokio::spawn(async move {
                let uri = format!(
                    "/v1/channels/shroud/leaderboard?aggregate_id=acme/twitch/shroud/u{i}&min_sequence=2&wait_ms=3000"
                );
                app.get(&uri, Some(&token)).await.0
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A sixth caller: its 65th wait at once is refused, not queued.
    let greedy = app.token_for("greedy", "acme", "read");
    let waits: Vec<_> = (0..65)
        .map(|i| {
            let (app, token) = (app.clone(), greedy.clone());
            tokio::spawn(async move {
                let uri = format!(
                    "/v1/channels/shroud/leaderboard?aggregate_id=acme/twitch/shroud/g{i}&min_sequence=2&wait_ms=1000"
                );
                app.get(&uri, Some(&token)).await
            })
        })
        .collect();
    let mut refused = 0;
    for wait in waits {
        let (status, body) = wait.await.unwrap();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body["error"]["code"], "too_many_waits", "{body}");
            refused += 1;
        } else {
            assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
        }
    }
    assert_eq!(refused, 1, "exactly the wait past the bound");
    let long = format!("/v1/channels/shroud/leaderboard?aggregate_id=acme/{}&min_sequence=1", "x".repeat(600));
    let (status, body) = app.get(&long, Some(&greedy)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("aggregate_id")));
    // The projection applies every viewer but the last, in one go.
    sqlx::query(&format!(
        "INSERT INTO {schema}.positions SELECT 'acme/twitch/shroud/u' || i, 2 FROM generate_series(0, 298) AS i"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for reader in readers {
        statuses.push(reader.await.unwrap());
    }
    assert!(statuses[..299].iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert_eq!(statuses[299], StatusCode::GATEWAY_TIMEOUT, "the one never applied times out");
    // A sequence its stream never reached is no write of the caller's.
    let beyond = "/v1/channels/shroud/leaderboard?aggregate_id=acme/twitch/shroud/u1&min_sequence=3";
    let (status, body) = app.get(beyond, Some(&greedy)).await;
    assert_eq!((status, body["error"]["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_written")));
}
