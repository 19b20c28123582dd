//! The live feed's limits over a real socket: a socket does not outlive
//! its token unless the client re-authenticates, frames are capped, and a
//! caller holds a bounded number of sockets. And what it owes its clients
//! when Postgres's `LISTEN` is lost: a nudge to read afresh.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use wavestack_adapters::auth::{KeyStore, ScopeSet, TokenSettings, Tokens};
use wavestack_adapters::http::serve;
use wavestack_domain::value::{ActorId, OrgId};
use wavestack_query_api::{router, LiveHub, QueryConfig};

struct Live {
    url: String,
    tokens: Arc<Tokens>,
    _keys: tempfile::TempDir,
    cancel: CancellationToken,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The query API on port 0, issuing tokens that live `ttl`, its hub
/// listening on Postgres as `application_name` (so a test can cut just it).
async fn live_as(ttl: Duration, application_name: &str) -> Live {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let options: PgConnectOptions = url.parse().unwrap();
    let pool = PgPoolOptions::new().connect_lazy_with(options.application_name(application_name));
    let cancel = CancellationToken::new();
    let hub = LiveHub::new();
    tokio::spawn(hub.clone().listen(pool.clone(), cancel.clone()));
    let keys = tempfile::tempdir().unwrap();
    let store = Arc::new(KeyStore::open(keys.path()).unwrap());
    let tokens = Arc::new(Tokens::new(store, TokenSettings { ttl, ..TokenSettings::default() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v1/live", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(QueryConfig::new(pool, tokens.clone(), hub)), cancel.clone()));
    Live { url, tokens, _keys: keys, cancel }
}

async fn live(ttl: Duration) -> Live {
    live_as(ttl, "wavestack-live-test").await
}

impl Live {
    fn token(&self, subject: &str) -> String {
        let (subject, org) = (ActorId::parse(subject).unwrap(), OrgId::parse("acme").unwrap());
        self.tokens.issue(&subject, &org, &ScopeSet::parse("read").unwrap()).unwrap().access_token
    }

    async fn connect(
        &self,
        token: &str,
    ) -> Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>, WsError>
    {
        tokio_tungstenite::connect_async(format!("{}?access_token={token}", self.url)).await.map(|(socket, _)| socket)
    }
}

/// The next message that is not a ping, or `None` when the socket ended.
async fn next_message<S>(socket: &mut S) -> Option<Message>
where
    S: futures::Stream<Item = Result<Message, WsError>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(15), socket.next()).await.expect("nothing within 15 s") {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return Some(message),
            _ => return None,
        }
    }
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires() {
    let live = live(Duration::from_secs(2)).await;
    let mut socket = live.connect(&live.token("overlay")).await.unwrap();
    socket.send(Message::text(r#"{"subscribe": ["shroud"]}"#)).await.unwrap();
    assert!(matches!(next_message(&mut socket).await, Some(Message::Text(t)) if t.contains("subscribed")));
    match next_message(&mut socket).await {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(frame.code, CloseCode::from(4001));
            assert!(frame.reason.contains("token expired"), "{}", frame.reason);
        }
        other => panic!("expected a close for the expired token, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_that_re_authenticates_stays_connected() {
    // Tokens expire on whole seconds: the first within 3–4 s, the one
    // issued 2 s later within 5–6 s; 4.5 s in, only the first has expired,
    // with half a second to spare either way on a loaded machine.
    let live = live(Duration::from_secs(4)).await;
    let started = tokio::time::Instant::now();
    let mut socket = live.connect(&live.token("overlay")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let fresh = live.token("overlay");
    socket.send(Message::text(serde_json::json!({ "access_token": fresh }).to_string())).await.unwrap();
    assert!(matches!(next_message(&mut socket).await, Some(Message::Text(t)) if t.contains("authenticated")));
    // Past the first token's expiry the socket still answers.
    tokio::time::sleep_until(started + Duration::from_millis(4_500)).await;
    socket.send(Message::text(r#"{"subscribe": ["shroud"]}"#)).await.unwrap();
    assert!(matches!(next_message(&mut socket).await, Some(Message::Text(t)) if t.contains("subscribed")));
    // Another subject's token does not renew this socket.
    socket
        .send(Message::text(serde_json::json!({ "access_token": live.token("intruder") }).to_string()))
        .await
        .unwrap();
    assert!(matches!(next_message(&mut socket).await, Some(Message::Text(t)) if t.contains("wrong_principal")));
}

#[tokio::test]
async fn an_oversized_frame_ends_the_socket() {
    let live = live(Duration::from_secs(600)).await;
    let mut socket = live.connect(&live.token("overlay")).await.unwrap();
    let huge = format!(r#"{{"subscribe": ["{}"]}}"#, "a".repeat(200 * 1024));
    let _ = socket.send(Message::text(huge)).await;
    match next_message(&mut socket).await {
        None => {}
        Some(Message::Close(frame)) => {
            assert!(frame.is_none_or(|f| f.code == CloseCode::Size), "closed for its size")
        }
        Some(other) => panic!("a 200 KiB frame was taken: {other:?}"),
    }
}

#[tokio::test]
async fn a_caller_holds_a_bounded_number_of_sockets() {
    let live = live(Duration::from_secs(600)).await;
    let token = live.token("overlay");
    let mut sockets = Vec::new();
    for _ in 0..16 {
        sockets.push(live.connect(&token).await.unwrap());
    }
    match live.connect(&token).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!("a 17th socket: {:?}", other.map(|_| ())),
    }
    assert!(live.connect(&live.token("dashboard")).await.is_ok(), "another caller has its own");
    // A closed socket gives its place back.
    sockets.pop().unwrap().close(None).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while live.connect(&token).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "the place was never given back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_lost_listen_nudges_every_socket_to_read_afresh() {
    // What Postgres notified while the listener was away is lost to it; the
    // sockets are told so, and their pages read their state again.
    let name = format!("wavestack-live-cut-{}", std::process::id());
    let live = live_as(Duration::from_secs(600), &name).await;
    let mut socket = live.connect(&live.token("overlay")).await.unwrap();
    socket.send(Message::text(r#"{"subscribe": ["shroud"]}"#)).await.unwrap();
    assert!(matches!(next_message(&mut socket).await, Some(Message::Text(t)) if t.contains("subscribed")));

    let admin = sqlx::PgPool::connect(&std::env::var("DATABASE_URL").unwrap()).await.unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) cut",
    )
    .bind(&name)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(cut >= 1, "the hub's listening session is cut");
    match next_message(&mut socket).await {
        Some(Message::Text(text)) => assert_eq!(text.as_str(), r#"{"type":"resync"}"#),
        other => panic!("expected a resync after the listener reconnected, got {other:?}"),
    }
}
