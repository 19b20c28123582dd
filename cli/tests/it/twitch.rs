//! Twitch end to end, on the fake Twitch with the whole stack: an owner
//! connects the channel from the dashboard through Twitch's OAuth, the bot
//! answers in the channel, the owner disconnects it; the tokens and the
//! client secret are nowhere to be read; and a gateway process killed
//! with SIGKILL hands its channel to the other within 15 s, over either
//! EventSub transport (over webhooks, losing no message).

use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use wavestack_adapters::auth::add_member;
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_domain::value::{MemberRole, OrgId, Username};
use wavestack_gateways::fakes::twitch::{Chatter, FakeTwitch, Timings};

use crate::support::{self, Stack};

const CLIENT_ID: &str = "wavestack-e2e-client";
const CLIENT_SECRET: &str = "e2e-client-secret-must-not-leak";
const PASSWORD: &str = "correct horse battery staple";
const BROADCASTER: &str = "1971641";

async fn member(pool: &PgPool, username: &str, role: MemberRole) {
    let bus = CommandBus::new(pool.clone(), Policies::default());
    let metadata = support::metadata("acme", "operator:test");
    let (org, username) = (OrgId::parse("acme").unwrap(), Username::parse(username).unwrap());
    add_member(&bus, pool, &org, &username, role, PASSWORD, None, &metadata).await.unwrap();
}

struct Browser {
    cookie: String,
    csrf: String,
}

impl Browser {
    /// A request of the dashboard's pages, with the session's cookie and
    /// (for a write) its CSRF token.
    fn request(&self, http: &reqwest::Client, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        http.request(method, url).header(COOKIE, &self.cookie).header("x-csrf-token", &self.csrf)
    }
}

async fn login(http: &reqwest::Client, stack: &Stack, username: &str) -> Browser {
    let response = http
        .post(format!("{}/app/api/login", stack.query_api))
        .json(&serde_json::json!({ "org": "acme", "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    Browser { cookie, csrf: body["csrf"].as_str().unwrap().to_owned() }
}

/// The org's connections as the dashboard reads them.
async fn connections(http: &reqwest::Client, stack: &Stack, who: &Browser) -> Value {
    let url = format!("{}/app/api/connections", stack.query_api);
    http.get(url).header(COOKIE, &who.cookie).send().await.unwrap().json().await.unwrap()
}

/// A stack whose Twitch application is the fake's, its redirect URL
/// registered there.
async fn start_with_twitch(pool: &PgPool, fake: &FakeTwitch) -> Stack {
    let stack = support::start_with_settings(pool, "", |settings| {
        let twitch = &mut settings.up.twitch;
        twitch.twitch_client_id = Some(CLIENT_ID.into());
        twitch.twitch_client_secret = Some(wavestack_gateways::Secret::new(CLIENT_SECRET));
        twitch.twitch_id_url = fake.id_url();
        twitch.twitch_helix_url = fake.helix_url();
        twitch.twitch_eventsub_url = fake.eventsub_url();
    })
    .await;
    fake.register_app(CLIENT_SECRET, &format!("{}/app/connections/twitch/callback", stack.query_api));
    stack
}

fn twitch_env(fake: &FakeTwitch) -> Vec<(&'static str, String)> {
    vec![
        ("WAVESTACK_TWITCH_CLIENT_ID", CLIENT_ID.to_owned()),
        ("WAVESTACK_TWITCH_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("WAVESTACK_TWITCH_ID_URL", fake.id_url().to_string()),
        ("WAVESTACK_TWITCH_HELIX_URL", fake.helix_url().to_string()),
        ("WAVESTACK_TWITCH_EVENTSUB_URL", fake.eventsub_url().to_string()),
    ]
}

async fn eventually<T>(what: &str, seconds: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if let Some(found) = check() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within {seconds} s: {what}");
}

/// Every row of every table (events and read models alike), as text.
async fn everything_stored(pool: &PgPool) -> String {
    let schemas: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema::text, table_name::text FROM information_schema.tables
          WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut all = String::new();
    for (schema, table) in schemas {
        let rows: Option<String> =
            sqlx::query_scalar(&format!("SELECT string_agg(t::text, '\n') FROM \"{schema}\".\"{table}\" t"))
                .fetch_one(pool)
                .await
                .unwrap();
        all.push_str(&rows.unwrap_or_default());
    }
    all
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn an_owner_connects_twitch_from_the_dashboard_and_the_bot_answers_there(pool: PgPool) {
    let fake = FakeTwitch::start(CLIENT_ID, Timings::default()).await;
    fake.sign_in_as(BROADCASTER, "streamer");
    let stack = start_with_twitch(&pool, &fake).await;
    member(&pool, "vic", MemberRole::Owner).await;
    member(&pool, "mo", MemberRole::Moderator).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let vic = login(&http, &stack, "vic").await;
    let mo = login(&http, &stack, "mo").await;
    let start = |who: &Browser| {
        who.request(&http, reqwest::Method::POST, format!("{}/app/api/connections/twitch/start", stack.query_api))
            .send()
    };
    assert_eq!(start(&mo).await.unwrap().status(), StatusCode::FORBIDDEN, "only an owner connects");

    // The owner's browser: start, Twitch's authorize page, back to the callback.
    let started = start(&vic).await.unwrap();
    assert_eq!(started.status(), StatusCode::OK);
    let flow_cookie = started.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(flow_cookie.contains("SameSite=Lax") && flow_cookie.contains("HttpOnly"), "{flow_cookie}");
    let flow_cookie = flow_cookie.split(';').next().unwrap().to_owned();
    let authorize = started.json::<Value>().await.unwrap()["authorize_url"].as_str().unwrap().to_owned();
    assert!(authorize.contains("user%3Awrite%3Achat") && authorize.contains("state="), "{authorize}");
    let consent = http.get(&authorize).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let callback = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    // Without the browser's cookie (another browser), the state does not hold.
    let elsewhere = http.get(&callback).send().await.unwrap();
    assert!(elsewhere.headers()[LOCATION].to_str().unwrap().ends_with("error=state_refused"));
    let back = http.get(&callback).header(COOKIE, format!("{}; {flow_cookie}", vic.cookie)).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()[LOCATION], "/app#/connections?connected=twitch/streamer");

    let listed: Value = connections(&http, &stack, &mo).await;
    let connection = &listed["connections"][0];
    assert_eq!((connection["platform"].as_str(), connection["channel"].as_str()), (Some("twitch"), Some("streamer")));
    assert_eq!(connection["missing_scopes"], serde_json::json!([]));

    // The gateway runs it: chat is answered on Twitch.
    fake.wait_for_subscriptions("channel.chat.message", 1).await;
    let asked = fake.say(BROADCASTER, "streamer", &Chatter::viewer("4145994", "viewer32"), "!points");
    let reply = eventually("a reply", 15, || fake.sent().into_iter().next()).await;
    assert_eq!(reply.reply_parent_message_id.as_deref(), Some(asked.as_str()));
    let state: Value = connections(&http, &stack, &vic).await;
    assert_eq!(state["connections"][0]["state"], "connected");

    // A moderator presses "send a test message": the bot says it at once,
    // and a second press within ten seconds is refused.
    let test_message = |who: &Browser| {
        who.request(
            &http,
            reqwest::Method::POST,
            format!("{}/app/api/connections/twitch/streamer/test-message", stack.query_api),
        )
        .send()
    };
    let said = test_message(&mo).await.unwrap();
    assert_eq!(said.status(), StatusCode::OK);
    let said: Value = said.json().await.unwrap();
    let on_twitch = fake.sent().into_iter().find(|m| m.message_id == said["message_id"].as_str().unwrap()).unwrap();
    assert_eq!(on_twitch.message, wavestack_query_api::TEST_MESSAGE);
    assert_eq!((on_twitch.broadcaster_id.as_str(), on_twitch.reply_parent_message_id), (BROADCASTER, None));
    let again = test_message(&vic).await.unwrap();
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.json::<Value>().await.unwrap()["error"]["code"], "too_many_test_messages");

    // No token and no client secret is in any table, event or log line.
    let tokens = fake.live_tokens_of(BROADCASTER);
    assert!(!tokens.is_empty());
    let stored = everything_stored(&pool).await;
    let log = stack.log();
    for secret in tokens.iter().map(String::as_str).chain([CLIENT_SECRET]) {
        assert!(!stored.contains(secret), "a secret is stored in the clear");
        assert!(!log.contains(secret), "a secret is in the log");
    }

    // The owner disconnects: the token is revoked at Twitch, the gateway lets go.
    let disconnect = format!("{}/app/api/connections/twitch/streamer/disconnect", stack.query_api);
    let disconnected = vic.request(&http, reqwest::Method::POST, disconnect).send().await.unwrap();
    assert_eq!(disconnected.status(), StatusCode::OK);
    assert_eq!(disconnected.json::<Value>().await.unwrap()["revoked_at_platform"], true);
    assert!(tokens.iter().all(|t| !fake.token_is_live(t)), "revoked at Twitch");
    assert_eq!(test_message(&vic).await.unwrap().status(), StatusCode::NOT_FOUND, "nothing to test once disconnected");
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_type, metadata->>'actor' FROM events
          WHERE aggregate_type = 'channel' AND event_type LIKE 'Platform%' ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [("PlatformConnected", "member:vic"), ("PlatformDisconnected", "member:vic")];
    assert_eq!(events.iter().map(|(e, a)| (e.as_str(), a.as_str())).collect::<Vec<_>>(), expected);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_gateway_killed_with_sigkill_hands_its_channel_over_within_15_seconds(pool: PgPool) {
    let fake = FakeTwitch::start(CLIENT_ID, Timings::default()).await;
    fake.register_app(CLIENT_SECRET, "http://127.0.0.1:9/app/connections/twitch/callback");
    // Processes of one deployment share its key directory: the signing
    // keys, and the secret the channels' tokens are sealed with.
    let keys = tempfile::tempdir().unwrap();
    std::fs::set_permissions(keys.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut env = twitch_env(&fake);
    env.push(("WAVESTACK_KEY_DIR", keys.path().display().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = support::start_binary_with_env(&pool, &env).await;
    connect_directly(&pool, keys.path(), &fake).await;
    fake.wait_for_subscriptions("channel.chat.message", 1).await;
    let second = support::start_binary_beside(&pool, &env).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(fake.sessions_opened(), 1, "the second process leaves a leased channel alone");

    let killed_at = Instant::now();
    let _dir = first.kill();
    let taken = eventually("the channel taken over", 30, || {
        let chat = |s: &&wavestack_gateways::fakes::twitch::Subscription| {
            s.kind == "channel.chat.message" && s.status == "enabled"
        };
        (fake.sessions_opened() >= 2 && fake.subscriptions().iter().filter(chat).count() == 1).then(Instant::now)
    })
    .await;
    let took = taken - killed_at;
    eprintln!("handed over in {} ms", took.as_millis());
    assert!(took < Duration::from_secs(15), "handed over in {took:?}");
    let asked = fake.say(BROADCASTER, "streamer", &Chatter::viewer("4145994", "viewer32"), "!points");
    eventually("the survivor answers", 15, || {
        fake.sent().iter().any(|s| s.reply_parent_message_id.as_deref() == Some(asked.as_str())).then_some(())
    })
    .await;
    drop(second);
}

/// What the dashboard's callback does, without a browser, with the
/// deployment's secret from the shared key directory.
async fn connect_directly(pool: &PgPool, key_dir: &std::path::Path, fake: &FakeTwitch) {
    use wavestack_adapters::platform_auth::twitch::TwitchOAuth;
    use wavestack_adapters::platform_connections::PlatformConnections;

    let redirect = url::Url::parse("http://127.0.0.1:9/app/connections/twitch/callback").unwrap();
    let oauth = TwitchOAuth::new(fake.id_url(), CLIENT_ID.into(), CLIENT_SECRET.into(), redirect);
    let keys = wavestack_adapters::auth::KeyStore::open(key_dir).unwrap();
    let store = PlatformConnections::new(pool.clone(), &keys.secret("platform-tokens").unwrap());
    let bus = std::sync::Arc::new(CommandBus::new(pool.clone(), Policies::default()));
    let app = wavestack_app::App::new(pool.clone(), bus);
    let org = OrgId::parse("acme").unwrap();
    wavestack::commands::bench::twitch::connect_through_fake(fake, &oauth, &app, &store, &org, BROADCASTER, "streamer")
        .await
        .unwrap();
}

/// To Twitch's authorize page and back to the callback, in the browser
/// that started the flow: the callback's response.
async fn through_twitch(
    http: &reqwest::Client,
    started: reqwest::Response,
    session: Option<&str>,
) -> reqwest::Response {
    assert_eq!(started.status(), StatusCode::OK);
    let flow = started.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let authorize = started.json::<Value>().await.unwrap()["authorize_url"].as_str().unwrap().to_owned();
    assert!(authorize.contains("scope=openid"), "a sign-in asks for nothing the bot could use: {authorize}");
    let consent = http.get(&authorize).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let callback = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    let cookies = match session {
        Some(session) => format!("{session}; {flow}"),
        None => flow,
    };
    http.get(&callback).header(COOKIE, cookies).send().await.unwrap()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_member_links_twitch_and_signs_in_with_it_and_nobody_else_does(pool: PgPool) {
    let fake = FakeTwitch::start(CLIENT_ID, Timings::default()).await;
    let stack = start_with_twitch(&pool, &fake).await;
    member(&pool, "vic", MemberRole::Owner).await;
    member(&pool, "mo", MemberRole::Moderator).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let link = |who: &Browser| {
        who.request(&http, reqwest::Method::POST, format!("{}/app/api/account/twitch/link", stack.query_api)).send()
    };
    let sign_in = || {
        http.post(format!("{}/app/api/login/twitch", stack.query_api)).json(&serde_json::json!({"org": "acme"})).send()
    };

    // Mo proves their Twitch account and links it.
    let mo = login(&http, &stack, "mo").await;
    fake.sign_in_as("5550", "mo_tv");
    let linked = through_twitch(&http, link(&mo).await.unwrap(), Some(&mo.cookie)).await;
    assert_eq!(linked.headers()[LOCATION], "/app#/account?linked=twitch");
    let shown: Value = mo
        .request(&http, reqwest::Method::GET, format!("{}/app/api/account/twitch", stack.query_api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["twitch"]["login"], "mo_tv");

    // Signing in with that Twitch account opens a session as mo.
    let back = through_twitch(&http, sign_in().await.unwrap(), None).await;
    assert_eq!(back.headers()[LOCATION], "/app?org=acme");
    let session = back
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("wavestack_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    let session = session.split(';').next().unwrap().to_owned();
    let who: Value = http
        .get(format!("{}/app/api/session", stack.query_api))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((who["username"].as_str(), who["role"].as_str()), (Some("mo"), Some("moderator")));

    // The owner cannot take mo's Twitch account for themself.
    let vic = login(&http, &stack, "vic").await;
    let taken = through_twitch(&http, link(&vic).await.unwrap(), Some(&vic.cookie)).await;
    assert_eq!(taken.headers()[LOCATION], "/app#/account?error=account_taken");

    // An account no member linked signs in as nobody.
    fake.sign_in_as("777", "stranger");
    let refused = through_twitch(&http, sign_in().await.unwrap(), None).await;
    assert_eq!(refused.headers()[LOCATION], "/app?org=acme#/login?error=not_linked");
    assert!(refused
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("wavestack_session=")));

    // Every Twitch token of a sign-in was revoked once read, and none is
    // in any table, event or log line.
    assert!(fake.live_tokens_of("5550").is_empty() && fake.live_tokens_of("777").is_empty());
    let issued: Vec<String> = ["5550", "777"].iter().flat_map(|user| fake.tokens_issued_to(user)).collect();
    assert!(issued.len() >= 3, "a token per sign-in and link: {}", issued.len());
    let (stored, log) = (everything_stored(&pool).await, stack.log());
    for token in &issued {
        assert!(!stored.contains(token.as_str()) && !log.contains(token.as_str()), "a sign-in's token was kept");
    }

    // Mo unlinks it: signing in with it opens nothing any more.
    let unlinked = mo
        .request(&http, reqwest::Method::DELETE, format!("{}/app/api/account/twitch", stack.query_api))
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.json::<Value>().await.unwrap()["unlinked"], true);
    fake.sign_in_as("5550", "mo_tv");
    let after = through_twitch(&http, sign_in().await.unwrap(), None).await;
    assert_eq!(after.headers()[LOCATION], "/app?org=acme#/login?error=not_linked");
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_type, metadata->>'actor' FROM events WHERE event_type LIKE 'SignIn%' ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let events: Vec<(&str, &str)> = events.iter().map(|(e, a)| (e.as_str(), a.as_str())).collect();
    assert_eq!(events, [("SignInLinked", "member:mo"), ("SignInUnlinked", "member:mo")]);
}

/// A load balancer in front of the processes' command APIs, as Twitch
/// reaches a deployment over webhooks: each delivery goes to the next
/// process in turn, and to another when that one does not answer.
struct Balancer {
    url: String,
    backends: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Balancer {
    async fn start() -> Self {
        use axum::body::Bytes;
        use axum::http::HeaderMap;

        let backends: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
        let turn = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let http = reqwest::Client::new();
        let route = {
            let backends = backends.clone();
            move |headers: HeaderMap, body: Bytes| {
                let (backends, turn, http) = (backends.lock().unwrap().clone(), turn.clone(), http.clone());
                async move {
                    let first = turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    for i in 0..backends.len() {
                        let backend = &backends[(first + i) % backends.len()];
                        let mut request = http.post(format!("{backend}{}", wavestack_gateways::twitch::CALLBACK_PATH));
                        for (name, value) in headers.iter().filter(|(n, _)| n.as_str().starts_with("twitch-")) {
                            request = request.header(name.as_str(), value.as_bytes());
                        }
                        if let Ok(answer) = request.body(body.clone()).send().await {
                            let status = axum::http::StatusCode::from_u16(answer.status().as_u16()).unwrap();
                            return (status, answer.bytes().await.unwrap_or_default());
                        }
                    }
                    (axum::http::StatusCode::BAD_GATEWAY, Bytes::new())
                }
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(route));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, backends, _server: server }
    }

    fn add(&self, stack: &Stack) {
        self.backends.lock().unwrap().push(stack.command_api.clone());
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn over_webhooks_two_processes_answer_each_message_once_and_a_sigkill_loses_none(pool: PgPool) {
    let fake = FakeTwitch::start(CLIENT_ID, Timings::default()).await;
    fake.register_app(CLIENT_SECRET, "http://127.0.0.1:9/app/connections/twitch/callback");
    let balancer = Balancer::start().await;
    let keys = tempfile::tempdir().unwrap();
    std::fs::set_permissions(keys.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut env = twitch_env(&fake);
    env.push(("WAVESTACK_KEY_DIR", keys.path().display().to_string()));
    env.push(("WAVESTACK_TWITCH_WEBHOOK_URL", balancer.url.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = support::start_binary_with_env(&pool, &env).await;
    balancer.add(&first);
    connect_directly(&pool, keys.path(), &fake).await;
    fake.wait_for_subscriptions("channel.chat.message", 1).await;
    assert_eq!(fake.sessions_opened(), 0, "no WebSocket session over webhooks");
    let second = support::start_binary_beside(&pool, &env).await;
    balancer.add(&second);

    // Deliveries reach both processes in turn; the one holding the channel
    // answers each once, in order.
    let viewer = |i: usize| Chatter::viewer(&format!("41459{i}"), &format!("viewer{i}"));
    let answered = |fake: &FakeTwitch| -> Vec<String> {
        fake.sent().into_iter().filter_map(|s| s.reply_parent_message_id).collect()
    };
    let asked: Vec<String> = (0..6).map(|i| fake.say(BROADCASTER, "streamer", &viewer(i), "!points")).collect();
    eventually("six replies", 30, || (answered(&fake).len() >= 6).then_some(())).await;
    let took_by: std::collections::HashSet<u16> =
        fake.webhook_log().iter().filter(|(d, _)| d.message_type == "notification").map(|(_, s)| *s).collect();
    assert_eq!(took_by, [204].into(), "every delivery acknowledged");
    assert_eq!(answered(&fake), asked);

    // The holder (the first: it ran the channel before the second started)
    // is killed; chat goes on. What Twitch delivers meanwhile reaches the
    // survivor, which takes the channel and answers it all.
    let killed_at = Instant::now();
    let first_dir = first.kill();
    let meanwhile: Vec<String> = (6..9).map(|i| fake.say(BROADCASTER, "streamer", &viewer(i), "!points")).collect();
    let answered_at = eventually("the survivor answers", 30, || (answered(&fake).len() >= 9).then(Instant::now)).await;
    let took = answered_at - killed_at;
    eprintln!("answered by the survivor {} ms after the kill", took.as_millis());
    assert!(took < Duration::from_secs(15), "taken over in {took:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(answered(&fake)[6..], meanwhile[..], "each once, in order");
    assert_eq!(answered(&fake).len(), 9, "nothing answered twice");

    // The webhook secret, shared through the key directory, is in no table
    // and in neither process's log.
    let secret = std::fs::read_to_string(keys.path().join("twitch-webhook.secret")).unwrap();
    let secret = secret.trim();
    assert!(secret.len() >= 32);
    assert!(!everything_stored(&pool).await.contains(secret));
    assert!(!second.log().contains(secret));
    let first_log = std::fs::read_to_string(first_dir.path().join("up.log")).unwrap();
    assert!(first_log.contains("Twitch") && !first_log.contains(secret));
    drop(second);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn an_operator_connects_a_channel_from_the_command_line(pool: PgPool) {
    use std::io::{BufRead, BufReader};

    let fake = FakeTwitch::start(CLIENT_ID, Timings::default()).await;
    let redirect = format!("http://localhost:{}/twitch/callback", support::free_port());
    fake.register_app(CLIENT_SECRET, &redirect);
    fake.sign_in_as(BROADCASTER, "streamer");
    let keys = tempfile::tempdir().unwrap();
    std::fs::set_permissions(keys.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wavestack"));
    command
        .args(["twitch", "connect", "--org", "acme"])
        .env("DATABASE_URL", support::database_url(&pool))
        .env("WAVESTACK_KEY_DIR", keys.path())
        .env("WAVESTACK_TWITCH_CLI_REDIRECT_URL", &redirect)
        .envs(twitch_env(&fake))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let authorize = tokio::task::spawn_blocking(move || {
        let url = lines.by_ref().map(Result::unwrap).find(|line| line.starts_with("http")).expect("the authorize URL");
        (url, lines)
    });
    let (authorize, lines) = authorize.await.unwrap();
    assert!(authorize.contains("scope=user%3Aread%3Achat"), "the chatbot's scopes: {authorize}");

    // The browser: Twitch's authorize page, then back to the command.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let consent = http.get(&authorize).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let back = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    let forged = back.replace("state=", "state=forged");
    assert_eq!(http.get(&forged).send().await.unwrap().status(), StatusCode::BAD_REQUEST, "another flow's state");
    let answered = http.get(&back).send().await.unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    let exited = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(exited.success());
    let said: Vec<String> = tokio::task::spawn_blocking(move || lines.map(Result::unwrap).collect()).await.unwrap();
    assert!(said.iter().any(|l| l.starts_with("Connected twitch/streamer for acme")), "{said:?}");

    let stored: (String, String) = sqlx::query_as(
        "SELECT platform_channel_id, state FROM platform_connections WHERE org = 'acme' AND channel = 'streamer'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored, (BROADCASTER.to_owned(), "connected".to_owned()));
    let (event, actor): (String, String) = sqlx::query_as(
        "SELECT event_type, metadata->>'actor' FROM events WHERE aggregate_type = 'channel' ORDER BY position DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((event.as_str(), actor.as_str()), ("PlatformConnected", "operator:cli"));
    let stored = everything_stored(&pool).await;
    for token in fake.tokens_issued_to(BROADCASTER) {
        assert!(!stored.contains(&token), "no token in the clear");
    }
}
