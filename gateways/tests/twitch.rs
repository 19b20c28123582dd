//! The Twitch gateway against the fake Twitch, with the real application
//! layer over a real Postgres: chat heard through EventSub is answered
//! and moderated through Helix, and the faults the transport has are
//! healed without losing or doubling a message.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::{CommandBus, Policies};
// The broadcaster's own authorization, with every scope a chatbot asks for.
use wavestack_adapters::platform_auth::twitch::CHATBOT_SCOPES;
use wavestack_app::deliveries::{delivery_id, Carrier, Delivery};
use wavestack_app::App;
use wavestack_domain::channel::ChannelCommand;
use wavestack_domain::delivery::DeliveryKind;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::{FilterRule, FilterSettings};
use wavestack_domain::value::{ActorId, BroadcastStreamId, ChannelId, ChannelStreamId, ChatPlatform, OrgId, Timestamp};
use wavestack_gateways::fakes::twitch::{Chatter, FakeTwitch, Timings};
use wavestack_gateways::twitch::{BotCredentials, Transport, Twitch, TwitchChannel, TwitchConfig};
use wavestack_gateways::{Brain, ChannelState, FixedToken, Gateway, GatewayError, Secret};

const CLIENT_ID: &str = "wavestack-test-client";
const BROADCASTER: &str = "1971641";
const BOT: &str = "2914196";
const BOT_SCOPES: &[&str] = &[
    "user:read:chat",
    "user:write:chat",
    "user:bot",
    "moderator:manage:chat_messages",
    "moderator:manage:banned_users",
    "user:manage:whispers",
];

struct Running {
    fake: FakeTwitch,
    bus: Arc<CommandBus>,
    org: OrgId,
    state: watch::Receiver<ChannelState>,
    stop: CancellationToken,
    gateway: JoinHandle<Result<(), GatewayError>>,
}

impl Running {
    async fn start(pool: PgPool, timings: Timings) -> Self {
        Self::start_as(pool, timings, BOT, BOT_SCOPES).await
    }

    /// The bot as `bot` (the broadcaster itself, or a bot account) with a
    /// token of `scopes`.
    async fn start_as(pool: PgPool, timings: Timings, bot: &str, scopes: &[&str]) -> Self {
        let fake = FakeTwitch::start(CLIENT_ID, timings).await;
        let token = fake.issue_token(bot, scopes);
        let bus = Arc::new(CommandBus::new(pool.clone(), Policies::default()));
        let org = OrgId::parse("acme").unwrap();
        let brain = Brain::new(App::new(pool, bus.clone()), org.clone(), ChatPlatform::Twitch);
        let twitch = Twitch::new(TwitchConfig {
            eventsub_url: fake.eventsub_url(),
            helix_url: fake.helix_url(),
            client_id: CLIENT_ID.into(),
            keepalive_seconds: 1,
            transport: Transport::WebSocket,
        });
        let channel = TwitchChannel {
            channel: ChannelId::parse("streamer").unwrap(),
            broadcaster_id: BROADCASTER.into(),
            bot: BotCredentials { user_id: bot.into(), token: Arc::new(FixedToken(Secret::new(token))) },
            bot_is_moderator: true,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        };
        let (state_tx, state) = watch::channel(ChannelState::Stopped);
        let stop = CancellationToken::new();
        let gateway = tokio::spawn({
            let stop = stop.clone();
            async move { twitch.run(channel, brain, state_tx, stop).await }
        });
        // Every subscription is made before the session counts as
        // connected: a test that revokes or says something earlier races
        // the subscribing.
        let mut state = state;
        let connected = state.wait_for(|s| *s == ChannelState::Connected);
        tokio::time::timeout(Duration::from_secs(15), connected).await.expect("connected within 15 s").unwrap();
        Self { fake, bus, org, state, stop, gateway }
    }

    /// The channel's owner, changing its settings.
    fn owner(&self) -> EventMetadata {
        EventMetadata {
            org: self.org.clone(),
            actor: ActorId::parse("user:owner").unwrap(),
            correlation_id: uuid::Uuid::new_v4(),
            causation_id: None,
            request_id: None,
            occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        }
    }

    fn say(&self, chatter: &Chatter, text: &str) -> String {
        self.fake.say(BROADCASTER, "streamer", chatter, text)
    }

    async fn stop(self) {
        self.stop.cancel();
        self.gateway.await.unwrap().unwrap();
    }
}

/// Polls `check` for up to 15 s.
async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..750 {
        if let Some(found) = check() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not within 15 s: {what}");
}

/// The channel's deliveries as recorded: (event, delivery id, detail), in
/// the order written; the detail is the platform's id, or its status and
/// words.
async fn deliveries_recorded(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT event_type, payload->event_type->>'delivery',
                coalesce(payload->event_type->>'platform_id',
                         (payload->event_type->>'status') || ' ' || (payload->event_type->>'answer'), '')
           FROM events WHERE aggregate_type = 'delivery' AND aggregate_id = 'acme/twitch/streamer#deliveries'
          ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The first delivery event of `kind` recorded, within 15 s.
async fn eventually_recorded(pool: &PgPool, kind: &str) -> (String, String, String) {
    for _ in 0..750 {
        if let Some(found) = deliveries_recorded(pool).await.into_iter().find(|(k, _, _)| k == kind) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no {kind} within 15 s");
}

async fn chat_messages_recorded(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT payload->'ChatMessageReceived'->>'message_id' FROM events
          WHERE aggregate_type = 'chat' AND event_type = 'ChatMessageReceived' ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_viewers_points_is_answered_as_a_reply_on_send_chat_message(pool: PgPool) {
    let running = Running::start(pool, Timings::default()).await;
    let asked = running.say(&Chatter::viewer("4145994", "viewer32"), "!points");
    let reply = eventually("the reply", || running.fake.sent().into_iter().next()).await;
    assert_eq!(reply.reply_parent_message_id.as_deref(), Some(asked.as_str()), "a reply to the message");
    assert_eq!(reply.broadcaster_id, BROADCASTER);
    assert_eq!(reply.sender_id, BOT);
    assert!(reply.message.starts_with("@viewer32, you have "), "{}", reply.message);
    assert_eq!(*running.state.borrow(), ChannelState::Connected);
    // The bot's own reply comes back through EventSub as chat too; it is
    // not heard (nothing answers it).
    running.say(&Chatter::viewer(BOT, "wavebot"), "@viewer32, you have 1 points");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(running.fake.sent().len(), 1);
    running.stop().await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_link_is_deleted_and_a_second_one_times_the_viewer_out(pool: PgPool) {
    let running = Running::start(pool, Timings::default()).await;
    let metadata = running.owner();
    let channel = ChannelStreamId::new(&running.org, ChatPlatform::Twitch, &ChannelId::parse("streamer").unwrap());
    let links = FilterSettings { enabled: true, exempt: vec![], rule: FilterRule::Links { allowed_domains: vec![] } };
    running.bus.channel.execute(channel.as_str(), ChannelCommand::SetFilter(links), &metadata).await.unwrap();

    let spammer = Chatter::viewer("666", "spammer");
    let first = running.say(&spammer, "cheap followers at spam.example/buy");
    eventually("the first link deleted", || running.fake.deleted().contains(&first).then_some(())).await;
    assert!(running.fake.bans().is_empty(), "the ladder's first step only deletes");
    let second = running.say(&spammer, "again: spam.example/buy");
    let ban = eventually("the timeout", || running.fake.bans().into_iter().next()).await;
    assert_eq!(ban.user_id, "666");
    assert_eq!(ban.moderator_id, BOT);
    assert_eq!(ban.duration, Some(60), "a timeout carries its duration");
    assert!(ban.reason.starts_with("links:"), "the reason names the filter: {}", ban.reason);
    assert!(running.fake.deleted().contains(&second), "the message that earned the timeout is deleted too");
    let warnings: Vec<_> = running.fake.sent().into_iter().map(|s| s.message).collect();
    assert!(warnings.iter().any(|w| w.contains("no links")), "{warnings:?}");
    running.stop().await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_session_reconnect_under_200_messages_a_second_loses_and_doubles_nothing(pool: PgPool) {
    let timings = Timings { keepalive: Duration::from_secs(10), reconnect_grace: Duration::from_secs(5) };
    let running = Running::start(pool.clone(), timings).await;
    let mut said = Vec::new();
    let mut asked = Vec::new();
    // Four seconds at 200 a second, the reconnect asked after the first.
    for tick in 0..80 {
        for i in 0..10 {
            let chatter = Chatter::viewer(&format!("{}", 1000 + i), &format!("viewer{i}"));
            said.push(running.say(&chatter, &format!("hello {tick}")));
        }
        if tick == 20 {
            // Answered commands just before the reconnect: Twitch sends
            // them again on the new session, and each must be answered once.
            for k in 0..20 {
                asked.push(running.say(&Chatter::viewer(&format!("{}", 2000 + k), &format!("fan{k}")), "!points"));
            }
            running.fake.reconnect_everyone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    said.extend(asked.iter().cloned());
    eventually("the reconnect followed", || (running.fake.sessions_opened() >= 2).then_some(())).await;
    let mut recorded = Vec::new();
    for _ in 0..750 {
        recorded = chat_messages_recorded(&pool).await;
        if recorded.len() >= said.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut sorted_said = said.clone();
    sorted_said.sort();
    let mut sorted_recorded = recorded.clone();
    sorted_recorded.sort();
    assert_eq!(sorted_recorded.len(), said.len(), "each message recorded once");
    assert_eq!(sorted_recorded, sorted_said, "none lost, none doubled");
    assert_eq!(running.fake.sessions_opened(), 2, "one reconnect, followed rather than started afresh");
    assert!(running.fake.redelivered() > 0, "Twitch sent some notifications twice");
    let answered = eventually("twenty replies", || {
        let parents: Vec<String> = running.fake.sent().into_iter().filter_map(|s| s.reply_parent_message_id).collect();
        (parents.len() >= asked.len()).then_some(parents)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(running.fake.sent().len(), asked.len(), "no reply twice, though Twitch delivered twice");
    assert_eq!(answered, asked, "each command answered once, in order");
    running.stop().await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn keepalive_silence_opens_a_new_session_and_subscribes_again(pool: PgPool) {
    let timings = Timings { keepalive: Duration::from_secs(1), reconnect_grace: Duration::from_secs(5) };
    let running = Running::start(pool, timings).await;
    running.fake.go_silent(true);
    eventually("a second session", || (running.fake.sessions_opened() >= 2).then_some(())).await;
    running.fake.go_silent(false);
    running.fake.wait_for_subscriptions("channel.chat.message", 1).await;
    let enabled: Vec<_> = running.fake.subscriptions().into_iter().filter(|s| s.status == "enabled").collect();
    let sessions: std::collections::HashSet<_> = enabled.iter().map(|s| s.session_id.clone()).collect();
    assert_eq!(sessions.len(), 1, "subscribed again on the new session only");
    assert_eq!(enabled.iter().filter(|s| s.kind == "channel.chat.message").count(), 1);
    let asked = running.say(&Chatter::viewer("4145994", "viewer32"), "!points");
    let reply = eventually("a reply after the new session", || running.fake.sent().into_iter().next()).await;
    assert_eq!(reply.reply_parent_message_id, Some(asked));
    running.stop().await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_revoked_token_shows_revoked_and_ends_the_channel_without_a_crash(pool: PgPool) {
    let mut running = Running::start(pool, Timings::default()).await;
    running.fake.revoke(BOT);
    let state = running.state.wait_for(|s| *s == ChannelState::TokenRevoked);
    tokio::time::timeout(Duration::from_secs(15), state).await.expect("revoked within 15 s").unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(15), &mut running.gateway).await.unwrap().unwrap();
    assert!(matches!(ended, Err(GatewayError::Revoked(ref status)) if status == "authorization_revoked"), "{ended:?}");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn replies_through_a_429_storm_arrive_all_in_order_none_twice(pool: PgPool) {
    let running = Running::start(pool.clone(), Timings::default()).await;
    running.fake.rate_limit_next(12);
    let mut asked = Vec::new();
    for i in 0..6 {
        asked.push(running.say(&Chatter::viewer(&format!("{}", 500 + i), &format!("fan{i}")), "!points"));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent = eventually("six replies", || {
        let sent = running.fake.sent();
        (sent.len() >= asked.len()).then_some(sent)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let parents: Vec<String> = running.fake.sent().into_iter().filter_map(|s| s.reply_parent_message_id).collect();
    assert_eq!(parents, asked, "every reply, in the order asked, none twice");
    assert_eq!(sent.len(), 6);
    assert_eq!(running.fake.rate_limited_calls(), 12, "the storm was met");
    running.stop().await;

    // Each reply is a delivery: started, then executed as the message
    // Twitch made, in order.
    let recorded = deliveries_recorded(&pool).await;
    let started: Vec<&str> =
        recorded.iter().filter(|(kind, _, _)| kind == "DeliveryStarted").map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(started.len(), 6, "{recorded:?}");
    let executed: Vec<&str> =
        recorded.iter().filter(|(kind, _, _)| kind == "DeliveryExecuted").map(|(_, _, id)| id.as_str()).collect();
    let made: Vec<String> = sent.iter().map(|s| s.message_id.clone()).collect();
    assert_eq!(executed, made, "executed as the messages Twitch made, in order");
    for (n, (kind, id, _)) in recorded.iter().enumerate() {
        if kind == "DeliveryExecuted" {
            let started_at = recorded.iter().position(|(k, i, _)| k == "DeliveryStarted" && i == id).unwrap();
            assert!(started_at < n, "{id} started before it was executed");
        }
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_reply_twitch_drops_is_recorded_as_failed_in_twitchs_words(pool: PgPool) {
    let running = Running::start(pool.clone(), Timings::default()).await;
    running.fake.drop_next(1);
    running.say(&Chatter::viewer("4145994", "viewer32"), "!points");
    let failed = eventually_recorded(&pool, "DeliveryFailed").await;
    assert!(failed.2.starts_with("200 dropped (msg_rejected)"), "{failed:?}");
    assert!(running.fake.sent().is_empty(), "not sent");
    // The channel goes on: the next reply is sent and recorded executed.
    running.say(&Chatter::viewer("4145995", "viewer33"), "!points");
    eventually("the next reply", || running.fake.sent().into_iter().next()).await;
    eventually_recorded(&pool, "DeliveryExecuted").await;
    running.stop().await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_delivery_left_unsettled_by_a_carrier_that_died_is_of_unknown_fate_and_never_sent(pool: PgPool) {
    // A carrier started a reply and died before Twitch answered.
    let app = App::new(pool.clone(), Arc::new(CommandBus::new(pool.clone(), Policies::default())));
    let carrier = Carrier {
        org: OrgId::parse("acme").unwrap(),
        actor: ActorId::parse("svc:gateway-twitch").unwrap(),
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse("streamer").unwrap(),
    };
    let delivery = || Delivery {
        id: delivery_id("4145994", 3, 0),
        kind: DeliveryKind::Reply,
        message_id: None,
        user_id: None,
        text: "@viewer32, you have 3 points".into(),
    };
    let at = || Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    assert!(app.deliveries().start(&carrier, delivery(), at()).await.unwrap());

    // The next carrier takes the channel over.
    let running = Running::start(pool.clone(), Timings::default()).await;
    let unknown = eventually_recorded(&pool, "DeliveryFateUnknown").await;
    assert_eq!(unknown.1, "4145994#3/0");
    // The same decision is never carried out again, settled and forgotten
    // by the stream's state or not: the store holds its id.
    assert!(!app.deliveries().start(&carrier, delivery(), at()).await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(running.fake.sent().is_empty());
    running.stop().await;
}

async fn balance_of(bus: &CommandBus, org: &OrgId, user: &str) -> u64 {
    let viewer = wavestack_domain::chat::Viewer {
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse("streamer").unwrap(),
        user_id: wavestack_domain::value::PlatformUserId::parse(user).unwrap(),
    };
    bus.chat.load(&viewer.stream_id(org)).await.unwrap().balance()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn follows_subs_gifts_cheers_and_raids_are_recorded_once_and_paid_per_the_policy(pool: PgPool) {
    let running = Running::start_as(pool.clone(), Timings::default(), BROADCASTER, CHATBOT_SCOPES).await;
    for kind in ["channel.follow", "channel.subscribe", "channel.cheer", "channel.raid", "stream.online"] {
        running.fake.wait_for_subscriptions(kind, 1).await;
    }
    let metadata = running.owner();
    let channel = ChannelId::parse("streamer").unwrap();
    let settings = ChannelStreamId::new(&running.org, ChatPlatform::Twitch, &channel);
    let policy = wavestack_domain::value::SupportPolicy {
        per_follow: 10,
        per_sub_tier1: 100,
        per_sub_tier2: 200,
        per_sub_tier3: 500,
        per_100_bits: 5,
        per_raid_viewer: 2,
    };
    running.bus.channel.execute(settings.as_str(), ChannelCommand::SetSupportPolicy(policy), &metadata).await.unwrap();

    let fan = |id: &str, name: &str| {
        let (id, name) = (id.to_owned(), name.to_owned());
        move |event: &mut serde_json::Value| {
            event["user_id"] = serde_json::json!(id);
            event["user_login"] = serde_json::json!(name);
            event["user_name"] = serde_json::json!(name);
        }
    };
    running.fake.happen("stream.online", BROADCASTER, |_| {});
    running.fake.happen("channel.follow", BROADCASTER, fan("11", "ada"));
    running.fake.happen("channel.subscribe", BROADCASTER, fan("12", "bob"));
    running.fake.happen("channel.subscription.gift", BROADCASTER, |e| {
        fan("13", "cy")(e);
        e["total"] = serde_json::json!(5);
        e["tier"] = serde_json::json!("2000");
    });
    running.fake.happen("channel.cheer", BROADCASTER, |e| {
        fan("14", "dee")(e);
        e["bits"] = serde_json::json!(250);
    });
    running.fake.happen("channel.raid", BROADCASTER, |e| {
        e["from_broadcaster_user_id"] = serde_json::json!("15");
        e["from_broadcaster_user_name"] = serde_json::json!("eve");
        e["viewers"] = serde_json::json!(42);
    });
    // A gifted sub pays its gifter (in the gift), not its receiver.
    running.fake.happen("channel.subscribe", BROADCASTER, |e| {
        fan("16", "fay")(e);
        e["is_gift"] = serde_json::json!(true);
    });
    running.fake.happen("channel.subscription.message", BROADCASTER, fan("17", "gus"));

    let expected = [("11", 10), ("12", 100), ("13", 1_000), ("14", 10), ("15", 84), ("16", 0), ("17", 100)];
    for (user, points) in expected {
        for _ in 0..750 {
            if balance_of(&running.bus, &running.org, user).await == points {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(balance_of(&running.bus, &running.org, user).await, points, "user {user}");
    }
    // Twitch delivers at least once: the session a reconnect moves to gets
    // the last notifications again, with their ids; nothing is paid twice.
    running.fake.reconnect_everyone();
    eventually("the redeliveries", || (running.fake.redelivered() > 0).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (user, points) in expected {
        assert_eq!(balance_of(&running.bus, &running.org, user).await, points, "user {user} after redelivery");
    }
    let kinds: Vec<(String, i64)> = sqlx::query_as(
        "SELECT COALESCE(payload->'SupportReceived'->>'kind', event_type), count(*) FROM events
          WHERE aggregate_type = 'broadcast' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let kinds: Vec<(&str, i64)> = kinds.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(
        kinds,
        [("StreamStarted", 1), ("cheer", 1), ("follow", 1), ("gift", 1), ("raid", 1), ("resub", 1), ("sub", 2)],
        "each recorded once"
    );
    let state: wavestack_domain::broadcast::BroadcastState = running
        .bus
        .broadcast
        .load(BroadcastStreamId::new(&running.org, ChatPlatform::Twitch, &channel).as_str())
        .await
        .unwrap();
    assert!(state.live_since().is_some(), "online since the docs' started_at");

    // `$(uptime)` in a command reads how long the stream has been live.
    let uptime = wavestack_domain::channel::CommandDefinition {
        name: wavestack_domain::value::CommandName::parse("uptime").unwrap(),
        response: wavestack_domain::channel::ResponseTemplate::parse("live for $(uptime)").unwrap(),
        alias_of: None,
        min_level: wavestack_domain::value::UserLevel::Everyone,
        cooldown_seconds: 0,
        user_cooldown_seconds: 0,
        cost: 0,
        enabled: true,
    };
    running.bus.channel.execute(settings.as_str(), ChannelCommand::AddCommand(uptime), &metadata).await.unwrap();
    let viewer = Chatter::viewer("4145994", "viewer32");
    running.say(&viewer, "!uptime");
    let live = eventually("the uptime", || running.fake.sent().into_iter().next()).await;
    let since_2020 = shows_hours_and_minutes(&live.message);
    assert!(since_2020, "the docs' stream started in 2020: {}", live.message);
    running.fake.happen("stream.offline", BROADCASTER, |_| {});
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.say(&viewer, "!uptime");
    let offline = eventually("the uptime when offline", || running.fake.sent().into_iter().nth(1)).await;
    assert_eq!(offline.message, "live for offline");

    // A moderator deletes a message, then clears the chat, in Twitch's own chat.
    let said = running.say(&viewer, "oops");
    running.fake.happen("channel.chat.message_delete", BROADCASTER, |e| {
        e["message_id"] = serde_json::json!(said);
        e["target_user_id"] = serde_json::json!("4145994");
    });
    running.fake.happen("channel.chat.clear", BROADCASTER, |_| {});
    let removed = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT event_type FROM events WHERE aggregate_type = 'broadcast'
                AND event_type IN ('ChatMessageDeleted', 'ChatCleared') ORDER BY position",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    for _ in 0..750 {
        if removed().await.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(removed().await, ["ChatMessageDeleted", "ChatCleared"]);
    running.stop().await;
}

/// `live for 52000h 7m`: hours and minutes.
fn shows_hours_and_minutes(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("live for ") else { return false };
    let mut parts = rest.split(' ');
    let (Some(h), Some(m), None) = (parts.next(), parts.next(), parts.next()) else { return false };
    h.strip_suffix('h').is_some_and(|h| h.parse::<u64>().is_ok_and(|h| h > 10_000))
        && m.strip_suffix('m').is_some_and(|m| m.parse::<u64>().is_ok())
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_bot_account_subscribes_only_to_what_its_token_can_read_and_reads_subs_from_chat_notices(pool: PgPool) {
    let running = Running::start(pool, Timings::default()).await;
    for kind in ["channel.raid", "stream.online", "stream.offline", "channel.chat.notification"] {
        running.fake.wait_for_subscriptions(kind, 1).await;
    }
    let kinds: Vec<String> = running.fake.subscriptions().into_iter().map(|s| s.kind).collect();
    for broadcasters_own in ["channel.subscribe", "channel.cheer", "channel.follow"] {
        assert!(!kinds.iter().any(|k| k == broadcasters_own), "{broadcasters_own} needs a scope or the broadcaster");
    }
    assert_eq!(*running.state.borrow(), ChannelState::Connected, "chat is heard all the same");

    // Subs and gifts still pay, read from chat's own notices (the docs'
    // example, made a sub, a community gift of 3 and an announcement).
    let metadata = running.owner();
    let settings = ChannelStreamId::new(&running.org, ChatPlatform::Twitch, &ChannelId::parse("streamer").unwrap());
    let policy = wavestack_domain::value::SupportPolicy { per_sub_tier1: 100, ..Default::default() };
    running.bus.channel.execute(settings.as_str(), ChannelCommand::SetSupportPolicy(policy), &metadata).await.unwrap();
    let notice = |user: &'static str, kind: &'static str, object: serde_json::Value| {
        move |event: &mut serde_json::Value| {
            event["chatter_user_id"] = serde_json::json!(user);
            event["chatter_user_name"] = serde_json::json!(format!("fan{user}"));
            event["notice_type"] = serde_json::json!(kind);
            event["announcement"] = serde_json::Value::Null;
            event[kind] = object;
        }
    };
    let sub = serde_json::json!({"sub_tier": "1000", "is_prime": false, "duration_months": 1});
    running.fake.happen("channel.chat.notification", BROADCASTER, notice("21", "sub", sub));
    let gift = serde_json::json!({"id": "77", "total": 3, "sub_tier": "1000", "cumulative_total": 3});
    running.fake.happen("channel.chat.notification", BROADCASTER, notice("22", "community_sub_gift", gift));
    running.fake.happen("channel.chat.notification", BROADCASTER, |_| {});
    for (user, points) in [("21", 100), ("22", 300)] {
        for _ in 0..750 {
            if balance_of(&running.bus, &running.org, user).await == points {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(balance_of(&running.bus, &running.org, user).await, points, "user {user}");
    }
    assert_eq!(balance_of(&running.bus, &running.org, "444").await, 0, "an announcement pays nobody");
    running.stop().await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_link_code_is_whispered_never_said_in_chat(pool: PgPool) {
    let running = Running::start(pool, Timings::default()).await;
    let asked = running.say(&Chatter::viewer("4145994", "viewer32"), "!link");
    let whisper = eventually("the whisper", || running.fake.whispers().into_iter().next()).await;
    assert_eq!((whisper.from_user_id.as_str(), whisper.to_user_id.as_str()), (BOT, "4145994"));
    assert!(whisper.message.starts_with("Your link code is "), "{}", whisper.message);
    let said = eventually("the reply", || running.fake.sent().into_iter().next()).await;
    assert_eq!(said.reply_parent_message_id, Some(asked));
    assert_eq!(said.message, "@viewer32, I have sent you a link code privately");
    let code = whisper.message.split_whitespace().nth(4).unwrap().trim_end_matches('.').to_owned();
    assert!(running.fake.sent().iter().all(|s| !s.message.contains(&code)), "the code is never said in chat");
    running.stop().await;
}
