//! The Twitch gateway role: a streamer connects a channel through Twitch's
//! OAuth (against the fake), the role runs it, keeps its token alive, and
//! lets it go when Twitch revokes it. Real Postgres, the real application
//! layer.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::platform_auth::twitch::{TwitchOAuth, CHATBOT_SCOPES};
use wavestack_adapters::platform_connections::PlatformConnections;
use wavestack_adapters::platform_inbox::{Doorbells, PlatformInbox};
use wavestack_app::connections::{connect, Grant};
use wavestack_app::App;
use wavestack_domain::channel::PlatformConnection;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, ChannelId, ChatPlatform, OrgId, PlatformUserId, Timestamp};
use wavestack_gateways::fakes::twitch::{webhook_signature, Chatter, FakeTwitch, Timings};
use wavestack_gateways::twitch::webhook::WebhookVerifier;
use wavestack_gateways::twitch::{
    callback_router, AppToken, ConduitTransport, Transport, Twitch, TwitchConfig, TwitchRole, WebhookTransport,
    CALLBACK_PATH,
};
use wavestack_gateways::Secret;

const CLIENT_ID: &str = "wavestack-test-client";
const CLIENT_SECRET: &str = "client-secret-never-logged";
const REDIRECT: &str = "http://127.0.0.1:9/app/connections/twitch/callback";
const BROADCASTER: &str = "1971641";

struct Setup {
    fake: FakeTwitch,
    pool: PgPool,
    app: App,
    store: PlatformConnections,
    oauth: TwitchOAuth,
    org: OrgId,
}

async fn setup(pool: PgPool) -> Setup {
    let fake = FakeTwitch::start(CLIENT_ID, Timings::default()).await;
    fake.register_app(CLIENT_SECRET, REDIRECT);
    fake.sign_in_as(BROADCASTER, "streamer");
    let bus = Arc::new(CommandBus::new(pool.clone(), Policies::default()));
    let app = App::new(pool.clone(), bus);
    let store = PlatformConnections::new(pool.clone(), &[9; 32]);
    let oauth =
        TwitchOAuth::new(fake.id_url(), CLIENT_ID.into(), CLIENT_SECRET.into(), url::Url::parse(REDIRECT).unwrap());
    Setup { fake, pool, app, store, oauth, org: OrgId::parse("acme").unwrap() }
}

/// The browser's round trip: the authorize page redirects back with a
/// code and the state; the code is exchanged and the token validated.
async fn authorize(setup: &Setup) -> Grant {
    let state = "state-123";
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = http.get(setup.oauth.authorize_url(state)).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let back = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with(REDIRECT));
    let query: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(query["state"], state, "the state comes back");
    let granted = setup.oauth.exchange(&query["code"]).await.unwrap();
    assert!(setup.oauth.exchange(&query["code"]).await.is_err(), "a code is good once");
    let whose = setup.oauth.validate(&granted.tokens.access).await.unwrap();
    Grant {
        connection: PlatformConnection {
            platform_channel_id: PlatformUserId::parse(whose.user_id.clone()).unwrap(),
            bot_user_id: PlatformUserId::parse(whose.user_id).unwrap(),
            bot_login: whose.login,
            scopes: granted.scopes.clone(),
        },
        tokens: granted.tokens,
        expires_at: time::OffsetDateTime::now_utc() + granted.expires_in,
    }
}

/// The streamer's channel connected through OAuth, as the dashboard does.
async fn connected(pool: PgPool) -> Setup {
    let setup = setup(pool).await;
    let grant = authorize(&setup).await;
    let channel = ChannelId::parse("streamer").unwrap();
    connect(&setup.app, &setup.store, &owner(&setup.org), ChatPlatform::Twitch, &channel, grant).await.unwrap();
    setup
}

fn owner(org: &OrgId) -> EventMetadata {
    EventMetadata {
        org: org.clone(),
        actor: ActorId::parse("member:vic").unwrap(),
        correlation_id: uuid::Uuid::new_v4(),
        causation_id: None,
        request_id: None,
        occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    }
}

fn role(setup: &Setup) -> TwitchRole {
    role_over(setup, Transport::WebSocket)
}

fn role_over(setup: &Setup, transport: Transport) -> TwitchRole {
    TwitchRole {
        app: setup.app.clone(),
        connections: setup.store.clone(),
        oauth: setup.oauth.clone(),
        twitch: Twitch::new(TwitchConfig {
            eventsub_url: setup.fake.eventsub_url(),
            helix_url: setup.fake.helix_url(),
            client_id: CLIENT_ID.into(),
            keepalive_seconds: 10,
            transport,
        }),
        pool: setup.pool.clone(),
    }
}

async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..1500 {
        if let Some(found) = check() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not within 30 s: {what}");
}

async fn channel_events(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT event_type, payload::text, metadata->>'actor' FROM events
          WHERE aggregate_type = 'channel' AND event_type LIKE 'Platform%' ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_channel_connected_through_oauth_is_run_answered_and_kept_alive(pool: PgPool) {
    let setup = setup(pool.clone()).await;
    // Short-lived tokens: the role must refresh them while the channel runs.
    setup.fake.set_token_lifetime(Duration::from_secs(4));
    let grant = authorize(&setup).await;
    let first_access = grant.tokens.access.clone();
    let channel = ChannelId::parse("streamer").unwrap();
    connect(&setup.app, &setup.store, &owner(&setup.org), ChatPlatform::Twitch, &channel, grant).await.unwrap();

    let events = channel_events(&pool).await;
    assert_eq!(events.len(), 1);
    let (kind, payload, actor) = &events[0];
    assert_eq!((kind.as_str(), actor.as_str()), ("PlatformConnected", "member:vic"), "who connected it");
    for scope in CHATBOT_SCOPES {
        assert!(payload.contains(scope), "the scopes granted are recorded: {payload}");
    }
    assert!(!payload.contains(&first_access), "no token in the event");

    let stop = CancellationToken::new();
    let running = tokio::spawn(role(&setup).run(stop.clone()));
    setup.fake.wait_for_subscriptions("channel.chat.message", 1).await;
    let asked = setup.fake.say(BROADCASTER, "streamer", &Chatter::viewer("4145994", "viewer32"), "!points");
    let reply = eventually("the reply", || setup.fake.sent().into_iter().next()).await;
    assert_eq!(reply.reply_parent_message_id.as_deref(), Some(asked.as_str()));

    // The token outlives none of this: refreshed in place, the first one is
    // dead, and chat is still answered on the same session.
    eventually("a refresh", || (setup.fake.refreshes() >= 2).then_some(())).await;
    assert!(!setup.fake.token_is_live(&first_access));
    let stored = setup.store.one("acme", "twitch", "streamer").await.unwrap().unwrap();
    assert_ne!(stored.tokens.access, first_access, "the refreshed token is stored");
    let again = setup.fake.say(BROADCASTER, "streamer", &Chatter::viewer("4145995", "viewer33"), "!points");
    eventually("a reply after refreshing", || {
        setup.fake.sent().iter().any(|s| s.reply_parent_message_id.as_deref() == Some(again.as_str())).then_some(())
    })
    .await;
    assert_eq!(setup.fake.sessions_opened(), 1, "refreshing did not reopen the session");
    assert_eq!(stored.state, "connected");
    stop.cancel();
    running.await.unwrap().unwrap();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_revoked_authorization_shows_revoked_and_is_recorded_by_the_gateway(pool: PgPool) {
    let setup = connected(pool.clone()).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn(role(&setup).run(stop.clone()));
    // Every subscription made (the last one asked for), then revoked: a
    // revocation while subscribing is a refused call, not a revocation.
    setup.fake.wait_for_subscriptions("channel.chat.clear", 1).await;
    setup.fake.revoke(BROADCASTER);
    // The row shows it first (stopping the channel matters most), then the
    // event records it.
    for _ in 0..750 {
        let state = setup.store.one("acme", "twitch", "streamer").await.unwrap().map(|c| c.state);
        let recorded = channel_events(&pool).await.last().is_some_and(|(kind, _, _)| kind == "PlatformDisconnected");
        if state.as_deref() == Some("token_revoked") && recorded {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shown = setup.store.one("acme", "twitch", "streamer").await.unwrap().unwrap();
    assert_eq!(shown.state, "token_revoked", "the dashboard shows the token revoked");
    let events = channel_events(&pool).await;
    let (kind, payload, actor) = events.last().unwrap();
    assert_eq!((kind.as_str(), actor.as_str()), ("PlatformDisconnected", "svc:gateway-twitch"));
    assert!(payload.contains("authorization_revoked"), "{payload}");
    // Not run again until connected again; the role goes on.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(!running.is_finished());
    assert_eq!(setup.fake.sessions_opened(), 1);
    stop.cancel();
    running.await.unwrap().unwrap();
}

/// The deployment's webhook secret in these tests.
const WEBHOOK_SECRET: &str = "webhook-secret-never-logged";

/// A process's webhook callback, served on a port of its own; its URL.
async fn serve_callback(pool: &PgPool) -> (url::Url, tokio::task::JoinHandle<()>) {
    let verifier = WebhookVerifier::new(Secret::new(WEBHOOK_SECRET)).unwrap();
    let router = callback_router(verifier, PlatformInbox::new(pool.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}{CALLBACK_PATH}", listener.local_addr().unwrap())).unwrap();
    (url, tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }))
}

fn webhook(setup: &Setup, callback: &url::Url) -> Transport {
    Transport::Webhook(WebhookTransport {
        callback: callback.clone(),
        secret: Secret::new(WEBHOOK_SECRET),
        app_token: Arc::new(AppToken::new(setup.oauth.clone())),
        inbox: PlatformInbox::new(setup.pool.clone()),
        doorbells: Doorbells::default(),
    })
}

/// The messages the fake's Send Chat Message answered, in order.
fn answered(fake: &FakeTwitch) -> Vec<String> {
    fake.sent().into_iter().filter_map(|s| s.reply_parent_message_id).collect()
}

async fn waiting_in_inbox(pool: &PgPool) -> i64 {
    PlatformInbox::new(pool.clone()).count(["acme", "twitch", "streamer"]).await.unwrap()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn webhook_deliveries_taken_by_any_process_are_answered_once_in_order_by_the_lease_holder(pool: PgPool) {
    let setup = connected(pool.clone()).await;
    // Twitch reaches process B's callback; process A holds the channel.
    let (callback, _process_b) = serve_callback(&pool).await;
    let stop_a = CancellationToken::new();
    let process_a = tokio::spawn(role_over(&setup, webhook(&setup, &callback)).run(stop_a.clone()));
    setup.fake.wait_for_subscriptions("channel.chat.message", 1).await;
    let subscriptions = setup.fake.subscriptions();
    assert!(subscriptions.iter().all(|s| s.method == "webhook"), "{subscriptions:?}");
    assert!(setup.fake.app_tokens_issued() >= 1, "made with the app's token");

    let asked: Vec<String> = (0..5)
        .map(|i| setup.fake.say(BROADCASTER, "streamer", &Chatter::viewer(&format!("41459{i}"), "viewer"), "!points"))
        .collect();
    eventually("five replies", || (answered(&setup.fake).len() >= 5).then_some(())).await;
    assert_eq!(answered(&setup.fake), asked, "each answered once, in the order said");

    // A delivery posted again as it was (Twitch retrying, or a replay
    // within the ten minutes) is acknowledged and not heard again.
    let log = setup.fake.webhook_log();
    let (last, status) = log.iter().rev().find(|(d, _)| d.message_type == "notification").unwrap();
    assert_eq!(*status, 204);
    assert_eq!(setup.fake.post_again(last).await, 204);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(answered(&setup.fake).len(), 5, "a redelivery is not answered again");

    // Forged, stale and incomplete deliveries are refused, by the header at fault.
    let http = reqwest::Client::new();
    let post = |id: &str, timestamp: &str, signature: &str, body: &str| {
        http.post(callback.clone())
            .header("Twitch-Eventsub-Message-Id", id)
            .header("Twitch-Eventsub-Message-Timestamp", timestamp)
            .header("Twitch-Eventsub-Message-Signature", signature)
            .header("Twitch-Eventsub-Message-Type", "notification")
            .body(body.to_owned())
            .send()
    };
    let forged_body = last.body.replace("!points", "!give everything");
    let refused = post(
        "forged-1",
        &last.timestamp,
        &webhook_signature(WEBHOOK_SECRET, "forged-1", &last.timestamp, &last.body),
        &forged_body,
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 403);
    let error: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        (error["error"]["code"].as_str(), error["error"]["field"].as_str()),
        (Some("bad_signature"), Some("twitch-eventsub-message-signature"))
    );
    let old = (time::OffsetDateTime::now_utc() - time::Duration::minutes(11))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let stale = post("stale-1", &old, &webhook_signature(WEBHOOK_SECRET, "stale-1", &old, &last.body), &last.body)
        .await
        .unwrap();
    assert_eq!(stale.status(), 403);
    let error: serde_json::Value = stale.json().await.unwrap();
    assert_eq!(error["error"]["code"], "stale_delivery");
    let unsigned = http.post(callback.clone()).body(last.body.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 400);
    let error: serde_json::Value = unsigned.json().await.unwrap();
    assert_eq!(error["error"]["code"], "missing_header");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(answered(&setup.fake).len(), 5, "nothing refused was heard");
    assert_eq!(waiting_in_inbox(&pool).await, 0, "what was heard is forgotten");

    // Process A stops; chat goes on. Twitch still reaches B, which keeps
    // the deliveries until a process holds the channel again.
    stop_a.cancel();
    process_a.await.unwrap().unwrap();
    let meanwhile: Vec<String> = (0..3)
        .map(|i| setup.fake.say(BROADCASTER, "streamer", &Chatter::viewer(&format!("51459{i}"), "later"), "!points"))
        .collect();
    for _ in 0..250 {
        if waiting_in_inbox(&pool).await == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(waiting_in_inbox(&pool).await, 3, "kept while no process holds the channel");
    assert_eq!(answered(&setup.fake).len(), 5);
    let stop_c = CancellationToken::new();
    let process_c = tokio::spawn(role_over(&setup, webhook(&setup, &callback)).run(stop_c.clone()));
    eventually("the waiting messages answered", || (answered(&setup.fake).len() >= 8).then_some(())).await;
    assert_eq!(answered(&setup.fake)[5..], meanwhile[..], "answered once each, in order, by the next holder");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(waiting_in_inbox(&pool).await, 0);

    // The secret is in no event and no table row.
    let found: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM events WHERE payload::text LIKE $1 OR metadata::text LIKE $1)
              + (SELECT count(*) FROM platform_inbox WHERE body::text LIKE $1)
              + (SELECT count(*) FROM platform_connections WHERE scopes::text LIKE $1)",
    )
    .bind(format!("%{WEBHOOK_SECRET}%"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(found, 0);
    stop_c.cancel();
    process_c.await.unwrap().unwrap();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_webhook_revocation_shows_the_token_revoked(pool: PgPool) {
    let setup = connected(pool.clone()).await;
    let (callback, _server) = serve_callback(&pool).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn(role_over(&setup, webhook(&setup, &callback)).run(stop.clone()));
    // Every subscription made (the last one asked for), then revoked.
    setup.fake.wait_for_subscriptions("channel.chat.clear", 1).await;
    setup.fake.revoke(BROADCASTER);
    for _ in 0..750 {
        let state = setup.store.one("acme", "twitch", "streamer").await.unwrap().map(|c| c.state);
        if state.as_deref() == Some("token_revoked") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shown = setup.store.one("acme", "twitch", "streamer").await.unwrap().unwrap();
    assert_eq!(shown.state, "token_revoked", "the dashboard shows the token revoked");
    let revocations = setup.fake.webhook_log().into_iter().filter(|(d, _)| d.message_type == "revocation").count();
    assert!(revocations >= 1, "Twitch posted the revocation");
    assert!(!running.is_finished(), "the role goes on");
    stop.cancel();
    running.await.unwrap().unwrap();
}

fn conduit(setup: &Setup, shards: u32) -> Transport {
    let app_token = Arc::new(AppToken::new(setup.oauth.clone()));
    Transport::Conduit(ConduitTransport::new(
        shards,
        app_token,
        PlatformInbox::new(setup.pool.clone()),
        Doorbells::default(),
    ))
}

/// How many shards each live process holds, fewest first.
async fn shards_per_process(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT count(l.*) FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory'
          WHERE a.application_name = 'wavestack.conduit-shard:' AND a.datname = current_database()
          GROUP BY a.pid ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn enabled_shards(fake: &FakeTwitch) -> usize {
    fake.conduits().iter().flat_map(|c| &c.shards).filter(|s| s.status == "enabled").count()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn conduit_shards_spread_over_the_processes_and_a_stopped_ones_are_taken_over(pool: PgPool) {
    let setup = connected(pool.clone()).await;
    let stop_a = CancellationToken::new();
    let process_a = tokio::spawn(role_over(&setup, conduit(&setup, 4)).run(stop_a.clone()));
    let stop_b = CancellationToken::new();
    let process_b = tokio::spawn(role_over(&setup, conduit(&setup, 4)).run(stop_b.clone()));
    setup.fake.wait_for_subscriptions("channel.chat.message", 1).await;
    let conduits = setup.fake.conduits();
    assert_eq!(conduits.len(), 1, "one conduit for the deployment, whichever process made it");
    assert_eq!(conduits[0].shards.len(), 4);
    let subscriptions = setup.fake.subscriptions();
    assert!(subscriptions.iter().all(|s| s.method == "conduit"), "{subscriptions:?}");
    // The shards spread: two each (the first process let two go when the
    // second came).
    for _ in 0..750 {
        if shards_per_process(&pool).await == [2, 2] && enabled_shards(&setup.fake).await == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert_eq!(shards_per_process(&pool).await, [2, 2]);
    assert_eq!(enabled_shards(&setup.fake).await, 4);

    // Twitch spreads the channel's chat over the shards, both processes'
    // alike; the channel's holder answers each message once.
    let asked: Vec<String> = (0..8)
        .map(|i| setup.fake.say(BROADCASTER, "streamer", &Chatter::viewer(&format!("41459{i}"), "viewer"), "!points"))
        .collect();
    eventually("eight replies", || (answered(&setup.fake).len() >= 8).then_some(())).await;
    let mut replied = answered(&setup.fake);
    replied.sort();
    let mut expected = asked.clone();
    expected.sort();
    assert_eq!(replied, expected, "each answered once");
    assert_eq!(setup.fake.delivered_by_shard_session().len(), 4, "every shard carried some");

    // One process stops: the other takes its shards, and chat goes on.
    stop_a.cancel();
    process_a.await.unwrap().unwrap();
    for _ in 0..750 {
        if shards_per_process(&pool).await == [4] && enabled_shards(&setup.fake).await == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert_eq!(shards_per_process(&pool).await, [4], "the survivor holds every shard");
    let later = setup.fake.say(BROADCASTER, "streamer", &Chatter::viewer("5145", "later"), "!points");
    eventually("the survivor answers", || answered(&setup.fake).contains(&later).then_some(())).await;
    assert_eq!(answered(&setup.fake).len(), 9);
    stop_b.cancel();
    process_b.await.unwrap().unwrap();
}
