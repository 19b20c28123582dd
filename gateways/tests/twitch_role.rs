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
use wavestack_app::connections::{connect, Grant};
use wavestack_app::App;
use wavestack_domain::channel::PlatformConnection;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, ChannelId, ChatPlatform, OrgId, PlatformUserId, Timestamp};
use wavestack_gateways::fakes::twitch::{Chatter, FakeTwitch, Timings};
use wavestack_gateways::twitch::{Twitch, TwitchConfig, TwitchRole};

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
    TwitchRole {
        app: setup.app.clone(),
        connections: setup.store.clone(),
        oauth: setup.oauth.clone(),
        twitch: Twitch::new(TwitchConfig {
            eventsub_url: setup.fake.eventsub_url(),
            helix_url: setup.fake.helix_url(),
            client_id: CLIENT_ID.into(),
            keepalive_seconds: 10,
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
    let setup = setup(pool.clone()).await;
    let grant = authorize(&setup).await;
    let channel = ChannelId::parse("streamer").unwrap();
    connect(&setup.app, &setup.store, &owner(&setup.org), ChatPlatform::Twitch, &channel, grant).await.unwrap();
    let stop = CancellationToken::new();
    let running = tokio::spawn(role(&setup).run(stop.clone()));
    setup.fake.wait_for_subscriptions("channel.chat.message", 1).await;
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
