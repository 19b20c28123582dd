//! Community features over HTTP with real Postgres: a giveaway over two
//! platforms with linked people entering once and a draw the audit
//! recomputes from the events alone; a cancelled giveaway's refunds; a
//! poll with changed votes; linking with expired, reused and guessed
//! codes, and the lock after five failures.

use crate::support::{said_at, spawn_app, TestApp};
use serde_json::{json, Value};
use wavestack_domain::giveaway::{audit, GiveawayEvent};

fn said(platform: &str, channel: &str, user: &str, id: &str, text: &str, at: &str) -> Value {
    json!({
        "platform": platform, "channel": channel, "user_id": user, "message_id": id,
        "author": user, "role": "viewer", "text": text, "sent_at": format!("2026-11-22T{at}Z"),
    })
}

/// Posts messages in batches of 500; every one must be accepted.
async fn chat(app: &TestApp, bot: &str, messages: Vec<Value>) -> Vec<Value> {
    let mut results = Vec::new();
    for chunk in messages.chunks(500) {
        let answer = app.post("/v1/chat/messages", bot, &json!({"messages": chunk})).await;
        assert_eq!(answer.status, 202, "{answer:?}");
        for result in answer.body["results"].as_array().unwrap() {
            assert_eq!(result["outcome"], "accepted", "{result}");
            results.push(result.clone());
        }
    }
    results
}

fn replies(result: &Value) -> Vec<String> {
    result["replies"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap().to_owned()).collect()
}

async fn one(app: &TestApp, bot: &str, message: Value) -> Value {
    chat(app, bot, vec![message]).await.remove(0)
}

/// `!link` on one account and `!verify` on the other, with the whispered code.
async fn link(
    app: &TestApp,
    bot: &str,
    first: (&str, &str, &str),
    second: (&str, &str, &str),
    at: &str,
) -> Vec<String> {
    let (p1, c1, u1) = first;
    let (p2, c2, u2) = second;
    let linked = one(app, bot, said(p1, c1, u1, &format!("link-{u1}"), "!link", at)).await;
    let whisper = linked["whispers"][0]["text"].as_str().expect("a whispered code").to_owned();
    assert!(!replies(&linked)[0].contains(code_in(&whisper)), "the code is never said in chat");
    let code = code_in(&whisper).to_owned();
    let verified = one(app, bot, said(p2, c2, u2, &format!("verify-{u2}"), &format!("!verify {code}"), at)).await;
    // Neither the code's issue nor its use puts it on the log.
    let leaked: (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'")
        .bind(&code)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(leaked.0, 0, "the link code {code} is on the log");
    replies(&verified)
}

fn code_in(whisper: &str) -> &str {
    whisper.split_whitespace().nth(4).unwrap().trim_end_matches('.')
}

async fn giveaway_events(pool: &sqlx::PgPool, aggregate_id: &str) -> Vec<GiveawayEvent> {
    let rows: Vec<(Value,)> = sqlx::query_as("SELECT payload FROM events WHERE aggregate_id = $1 ORDER BY sequence")
        .bind(aggregate_id)
        .fetch_all(pool)
        .await
        .unwrap();
    rows.into_iter().map(|(payload,)| serde_json::from_value(payload).unwrap()).collect()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_thousand_entrants_over_two_platforms_linked_people_once_and_a_draw_anyone_can_recompute(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let manager = app.token_for("streamer", "acme", "channels:write");
    let bot = app.token("acme", "chat:write");

    // Ada is one person on Twitch and Discord.
    let linked = link(&app, &bot, ("twitch", "shroud", "ada"), ("discord", "42", "ada-d"), "09:00:00").await;
    assert_eq!(linked, ["@ada-d, linked: twitch:ada, discord:ada-d"]);

    let opened = app
        .post(
            "/v1/giveaways",
            &manager,
            &json!({"title": "a headset", "channels": ["twitch/shroud", "discord/42"], "subscriber_luck": 3}),
        )
        .await;
    assert_eq!(opened.status, 202, "{opened:?}");
    let giveaway_id = opened.body["giveaway_id"].as_str().unwrap().to_owned();
    let commitment = opened.body["commitment"].as_str().unwrap().to_owned();
    assert_eq!(commitment.len(), 64);

    let mut messages = Vec::new();
    for i in 0..500 {
        messages.push(said("twitch", "shroud", &format!("t{i}"), &format!("tj{i}"), "!join", "10:00:00"));
        messages.push(said("discord", "42", &format!("d{i}"), &format!("dj{i}"), "!join", "10:00:00"));
    }
    let results = chat(&app, &bot, messages).await;
    assert!(results.iter().all(|r| replies(r).is_empty()), "an entry taken is silent");

    let ada_twitch = one(&app, &bot, said("twitch", "shroud", "ada", "aj1", "!join", "10:01:00")).await;
    assert!(replies(&ada_twitch).is_empty());
    let ada_discord = one(&app, &bot, said("discord", "42", "ada-d", "aj2", "!join", "10:01:01")).await;
    assert_eq!(replies(&ada_discord), ["@ada-d, you have already entered"]);

    let drawn = app.post(&format!("/v1/giveaways/{giveaway_id}/draw"), &manager, &json!({"count": 3})).await;
    assert_eq!(drawn.status, 202, "{drawn:?}");
    assert_eq!(drawn.body["entries"], 1001);
    assert_eq!(drawn.body["winners"].as_array().unwrap().len(), 3);
    let closed_join = one(&app, &bot, said("twitch", "shroud", "late", "lj", "!join", "10:05:00")).await;
    assert_eq!(replies(&closed_join), ["@late, the giveaway is closed"]);

    // Recomputed from the events alone, the published winners hold; the
    // seed revealed is the one committed to.
    let events = giveaway_events(&pool, &format!("acme/{giveaway_id}")).await;
    let report = audit(&events);
    assert!(report.holds(), "{report:?}");
    assert_eq!(report.entries, 1001);
    let published: Vec<&str> =
        drawn.body["winners"].as_array().unwrap().iter().map(|w| w["person"].as_str().unwrap()).collect();
    let recomputed: Vec<String> = report.winners[0].iter().map(ToString::to_string).collect();
    assert_eq!(published, recomputed);

    // The draw is announced on both channels' feeds (drawn over HTTP).
    // A reply shows once every older transaction has ended, so read on
    // until both came.
    let mut said_on: Vec<String> = Vec::new();
    let mut next = "0.0".to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while said_on.len() < 2 && std::time::Instant::now() < deadline {
        let page = app.feed(&bot, &format!("{next}&wait_seconds=1")).await;
        said_on.extend(
            page["replies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["text"].as_str().unwrap().starts_with("a headset: the winner"))
                .map(|r| r["channel"].as_str().unwrap().to_owned()),
        );
        next = page["next"].as_str().unwrap().to_owned();
    }
    said_on.sort();
    assert_eq!(said_on, ["42", "shroud"]);

    let empty = app.post(&format!("/v1/giveaways/{giveaway_id}/draw"), &manager, &json!({"count": 100})).await;
    assert_eq!(empty.status, 202, "the 998 left are drawn from: {empty:?}");
    let exhausted = app.post(&format!("/v1/giveaways/{giveaway_id}/draw"), &manager, &json!({"count": 100})).await;
    assert_eq!(exhausted.status, 202);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_cancelled_giveaway_refunds_every_price_exactly_once(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let manager = app.token_for("streamer", "acme", "channels:write");
    let bot = app.token("acme", "chat:write");
    let policy = json!({"points_per_message": 10, "cooldown_seconds": 0, "daily_bonus": 0, "subscriber_percent": 100});
    assert_eq!(app.put("/v1/channels/twitch/shroud/points-policy", &manager, &policy).await.status, 202);
    let opened = app
        .post("/v1/giveaways", &manager, &json!({"channels": ["twitch/shroud"], "keyword": "enter", "cost": 15}))
        .await;
    let giveaway_id = opened.body["giveaway_id"].as_str().unwrap().to_owned();

    // Each viewer earns 10 a message: two messages before entering.
    let mut messages = Vec::new();
    for i in 0..20 {
        messages.push(said("twitch", "shroud", &format!("v{i}"), &format!("h{i}"), "hello", "10:00:00"));
        messages.push(said("twitch", "shroud", &format!("v{i}"), &format!("e{i}"), "!enter", "10:00:01"));
    }
    chat(&app, &bot, messages).await;
    let poor = one(&app, &bot, said("twitch", "shroud", "poor", "p1", "!enter", "10:00:02")).await;
    assert_eq!(replies(&poor), ["@poor, entering costs 15 points; you have 10"]);
    let twice = one(&app, &bot, said("twitch", "shroud", "v0", "e0-again", "!enter", "10:00:03")).await;
    assert_eq!(replies(&twice), ["@v0, you have already entered"]);

    // Each viewer's balance after their last move of points.
    let balances = || async {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT DISTINCT ON (aggregate_id) aggregate_id, (e.value ->> 'balance')::bigint
               FROM events, jsonb_each(payload::jsonb) e
              WHERE aggregate_type = 'chat' AND e.value ? 'balance'
              ORDER BY aggregate_id, sequence DESC",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        rows
    };
    // Paid: 10 + 10 (the entry's own message) − 15 = 5 each; v0 earned 10
    // more with the entry refused as a second one, and paid nothing for it.
    let expected = |id: &str, paid: i64| if id.ends_with("/v0") { paid + 10 } else { paid };
    let all_at = |rows: &[(String, i64)], paid: i64| {
        rows.iter().filter(|(id, _)| id.contains("/v")).all(|(id, balance)| *balance == expected(id, paid))
    };
    let before = balances().await;
    assert!(all_at(&before, 5), "{before:?}");
    let cancelled = app.post(&format!("/v1/giveaways/{giveaway_id}/cancel"), &manager, &json!({})).await;
    assert_eq!(cancelled.status, 202, "{cancelled:?}");
    let after = balances().await;
    assert!(all_at(&after, 20), "{after:?}");
    let again = app.post(&format!("/v1/giveaways/{giveaway_id}/cancel"), &manager, &json!({})).await;
    assert_eq!((again.status, again.code()), (409, "giveaway_cancelled"));
    let refunds: (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE event_type = 'EntryRefunded'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(refunds.0, 20, "one refund per paid entry, the refused ones included nowhere twice");
    let late = one(&app, &bot, said("twitch", "shroud", "v1", "late", "!enter", "10:09:00")).await;
    assert_eq!(replies(&late), ["@v1, the giveaway was cancelled"]);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_poll_counts_one_vote_per_person_and_changed_votes_move(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let manager = app.token_for("streamer", "acme", "channels:write");
    let bot = app.token("acme", "chat:write");
    link(&app, &bot, ("twitch", "shroud", "ada"), ("discord", "42", "ada-d"), "09:00:00").await;
    let body = json!({"question": "Next game?", "options": ["Tetris", "Doom", "Myst"],
                      "channels": ["twitch/shroud", "discord/42"], "duration_seconds": 86400, "allow_change": true});
    let opened = app.post("/v1/polls", &manager, &body).await;
    assert_eq!(opened.status, 202, "{opened:?}");
    let poll_id = opened.body["poll_id"].as_str().unwrap().to_owned();
    let votes = vec![
        said("twitch", "shroud", "ada", "v1", "!vote 1", "10:00:00"),
        said("discord", "42", "ada-d", "v2", "!vote doom", "10:00:01"),
        said("twitch", "shroud", "bob", "v3", "!vote 2", "10:00:02"),
        said("twitch", "shroud", "cy", "v4", "!vote 3", "10:00:03"),
        said("twitch", "shroud", "cy", "v5", "!vote myst", "10:00:04"),
    ];
    let results = chat(&app, &bot, votes).await;
    assert!(results.iter().all(|r| replies(r).is_empty()), "{results:?}");
    let eleven = one(&app, &bot, said("twitch", "shroud", "bob", "v6", "!vote 11", "10:00:05")).await;
    assert_eq!(replies(&eleven), ["@bob, there is no option 11; pick 1 to 3"]);
    let closed = app.post(&format!("/v1/polls/{poll_id}/close"), &manager, &json!({})).await;
    assert_eq!(closed.status, 202);
    // Ada's two accounts are one vote, moved from Tetris to Doom.
    assert_eq!(closed.body["counts"], json!([0, 2, 1]));
    let after = one(&app, &bot, said("twitch", "shroud", "dan", "v7", "!vote 1", "10:00:06")).await;
    assert_eq!(replies(&after), ["@dan, the poll is closed"]);
    let unknown = app.post("/v1/polls/not-a-poll/close", &manager, &json!({})).await;
    assert_eq!(unknown.status, 404);
    let one_option = json!({"question": "?", "options": ["a"], "channels": ["twitch/shroud"], "duration_seconds": 60});
    let refused = app.post("/v1/polls", &manager, &one_option).await;
    assert_eq!((refused.status, refused.field()), (422, "options"));
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn codes_expire_are_single_use_refuse_guesses_alike_and_lock_after_five(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let bot = app.token("acme", "chat:write");
    let other_org = app.token("globex", "chat:write");

    let linked = one(&app, &bot, said("twitch", "shroud", "ada", "l1", "!link", "10:00:00")).await;
    let code = code_in(linked["whispers"][0]["text"].as_str().unwrap()).to_owned();
    // Nowhere in the log.
    let leaked: (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(leaked.0, 0);

    let invalid = "@ada-d, that code is not valid";
    // Another org's viewer with the right code: refused alike.
    let elsewhere =
        one(&app, &other_org, said("discord", "42", "ada-d", "x1", &format!("!verify {code}"), "10:01:00")).await;
    assert_eq!(replies(&elsewhere), [invalid]);
    // Expired after ten minutes.
    let late = one(&app, &bot, said("discord", "42", "ada-d", "x2", &format!("!verify {code}"), "10:10:00")).await;
    assert_eq!(replies(&late), [invalid]);

    let fresh = one(&app, &bot, said("twitch", "shroud", "ada", "l2", "!link", "10:20:00")).await;
    let code = code_in(fresh["whispers"][0]["text"].as_str().unwrap()).to_owned();
    let ok =
        one(&app, &bot, said("discord", "42", "ada-d", "x3", &format!("!verify {}", code.to_lowercase()), "10:21:00"))
            .await;
    assert_eq!(replies(&ok), ["@ada-d, linked: twitch:ada, discord:ada-d"]);
    // Used: a third account cannot ride on it.
    let reused = one(&app, &bot, said("youtube", "yt", "ada-y", "x4", &format!("!verify {code}"), "10:22:00")).await;
    assert_eq!(replies(&reused), ["@ada-y, that code is not valid"]);

    // Brute force: five guesses in the hour, then locked until it ends.
    for i in 0..4 {
        let guess =
            one(&app, &bot, said("youtube", "yt", "ada-y", &format!("g{i}"), "!verify AAAAAAAA", "10:23:00")).await;
        assert_eq!(replies(&guess), ["@ada-y, that code is not valid"]);
    }
    let locked = one(&app, &bot, said("youtube", "yt", "ada-y", "g9", "!verify AAAAAAAA", "10:30:00")).await;
    assert_eq!(replies(&locked), ["@ada-y, too many attempts; try again after 2026-11-22T11:22:00Z"]);
    let code = code_in(
        one(&app, &bot, said("twitch", "shroud", "ada", "l3", "!link", "10:31:00")).await["whispers"][0]["text"]
            .as_str()
            .unwrap(),
    )
    .to_owned();
    let still = one(&app, &bot, said("youtube", "yt", "ada-y", "g10", &format!("!verify {code}"), "10:32:00")).await;
    assert_eq!(
        replies(&still)[0],
        "@ada-y, too many attempts; try again after 2026-11-22T11:22:00Z",
        "even the right code"
    );
    let after_hour =
        one(&app, &bot, said("youtube", "yt", "ada-y", "g11", &format!("!verify {code}"), "11:22:00")).await;
    assert!(replies(&after_hour)[0].contains("not valid"), "the code expired meanwhile: {after_hour}");

    // Unlinking over HTTP.
    let manager = app.token_for("streamer", "acme", "channels:write");
    let response = app.http.delete(app.url("/v1/identities/discord:ada-d")).bearer_auth(&manager).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let response = app.http.delete(app.url("/v1/identities/discord:ada-d")).bearer_auth(&manager).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

/// A paid `!join` whose entry never reached the giveaway (the API killed
/// between the two writes), settled as the community settler does.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_price_paid_for_an_entry_that_never_arrived_is_refunded_once_and_the_entry_cannot_arrive_late(
    pool: sqlx::PgPool,
) {
    use wavestack_adapters::command_bus::{CommandBus, Policies};
    use wavestack_app::settlement::community::settle_entry;
    use wavestack_domain::chat::{ChatCommand, PointsRequest, ReceiveChatMessage, Viewer};
    use wavestack_domain::giveaway::{EnterGiveaway, GiveawayCommand, GiveawayError};
    use wavestack_domain::metadata::EventMetadata;
    use wavestack_domain::value::*;

    let app = spawn_app(pool.clone()).await;
    let manager = app.token_for("streamer", "acme", "channels:write");
    let bot = app.token("acme", "chat:write");
    let policy = json!({"points_per_message": 10, "cooldown_seconds": 0, "daily_bonus": 0, "subscriber_percent": 100});
    assert_eq!(app.put("/v1/channels/twitch/shroud/points-policy", &manager, &policy).await.status, 202);
    let opened = app.post("/v1/giveaways", &manager, &json!({"channels": ["twitch/shroud"], "cost": 15})).await;
    let giveaway_id = GiveawayId::parse(opened.body["giveaway_id"].as_str().unwrap()).unwrap();
    chat(
        &app,
        &bot,
        vec![
            said("twitch", "shroud", "ada", "h1", "hello", "10:00:00"),
            said("twitch", "shroud", "ada", "h3", "again", "10:00:00"),
            said("twitch", "shroud", "bob", "h2", "hi", "10:00:00"),
        ],
    )
    .await;
    chat(&app, &bot, vec![said("twitch", "shroud", "bob", "bj", "!join", "10:00:01")]).await;

    // Ada's price taken, and then nothing: the process died.
    let bus = CommandBus::new(pool.clone(), Policies::default());
    let at = Timestamp::parse_rfc3339("2026-11-22T10:00:02Z").unwrap();
    let metadata = EventMetadata {
        org: OrgId::parse("acme").unwrap(),
        actor: ActorId::parse("svc:test").unwrap(),
        correlation_id: uuid::Uuid::new_v4(),
        causation_id: None,
        request_id: None,
        occurred_at: at,
    };
    let viewer = Viewer {
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse("shroud").unwrap(),
        user_id: PlatformUserId::parse("ada").unwrap(),
    };
    let payer = viewer.stream_id(&metadata.org);
    let message_id = MessageId::parse("aj").unwrap();
    let paid = ReceiveChatMessage {
        viewer: viewer.clone(),
        message_id: message_id.clone(),
        author: DisplayName::parse("ada").unwrap(),
        role: Role::Viewer,
        text: ChatText::parse("!join").unwrap(),
        sent_at: at,
        points: PointsPolicy { points_per_message: 0, cooldown_seconds: 0, daily_bonus: 0, subscriber_percent: 100 },
        invocation: None,
        points_request: Some(PointsRequest::Enter { giveaway: giveaway_id, cost: 15 }),
        level: UserLevel::Everyone,
        emotes: 0,
        moderation: Default::default(),
    };
    bus.chat.execute(&payer, ChatCommand::ReceiveChatMessage(paid), &metadata).await.unwrap();
    assert_eq!(bus.chat.load(&payer).await.unwrap().balance(), 5);

    // Settled twice (the fast path and a redelivery): refunded once.
    for _ in 0..2 {
        settle_entry(&bus, &payer, giveaway_id, &message_id, at, &metadata).await.unwrap();
    }
    assert_eq!(bus.chat.load(&payer).await.unwrap().balance(), 20);
    // A late delivery of the entry is refused: it was settled as abandoned.
    let giveaway = GiveawayStreamId::new(&metadata.org, giveaway_id);
    let late = EnterGiveaway {
        person: Account::parse("twitch:ada").unwrap(),
        account: Account::parse("twitch:ada").unwrap(),
        channel: ChannelRef::parse("twitch/shroud").unwrap(),
        author: DisplayName::parse("ada").unwrap(),
        message_id: message_id.clone(),
        level: UserLevel::Everyone,
        subscriber: false,
        paid: 15,
        at,
    };
    let refused = bus.giveaway.execute(giveaway.as_str(), GiveawayCommand::Enter(late), &metadata).await;
    assert!(
        matches!(refused, Err(wavestack_adapters::command_bus::CommandError::Rejected(GiveawayError::Closed))),
        "{refused:?}"
    );

    // Bob's entry made it: settling it keeps his price.
    let bob = Viewer { user_id: PlatformUserId::parse("bob").unwrap(), ..viewer };
    let bob_stream = bob.stream_id(&metadata.org);
    let before = bus.chat.load(&bob_stream).await.unwrap().balance();
    settle_entry(&bus, &bob_stream, giveaway_id, &MessageId::parse("bj").unwrap(), at, &metadata).await.unwrap();
    assert_eq!(bus.chat.load(&bob_stream).await.unwrap().balance(), before);
    let refunds: (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE event_type = 'EntryRefunded'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(refunds.0, 1);
}

/// A streamer's moderator runs a giveaway and a poll from chat alone, as
/// with a peer's bot: each verb answered in chat, viewers entering and
/// voting silently, a viewer's try and a moderator's slip answered as
/// such.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn moderators_run_giveaways_and_polls_from_chat(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let bot = app.token("acme", "chat:write");
    let moderator = |id: &str, text: &str, at: &str| said_at("mod-1", "Mod", "moderator", id, text, at);

    let viewer_try = one(&app, &bot, said("twitch", "shroud", "ada", "g0", "!giveaway open", "10:00:00")).await;
    assert!(replies(&viewer_try).is_empty(), "a viewer's !giveaway is refused without a word: {viewer_try}");
    let opened = one(&app, &bot, moderator("g1", "!giveaway open !enter -minutes=30 A signed mouse", "10:00:01")).await;
    assert_eq!(replies(&opened), ["A giveaway is open: type !enter to enter"]);
    for (i, user) in ["ada", "bob", "cy"].into_iter().enumerate() {
        let entered = one(&app, &bot, said("twitch", "shroud", user, &format!("e{i}"), "!enter", "10:01:00")).await;
        assert!(replies(&entered).is_empty(), "an entry is silent: {entered}");
    }
    let twice = one(&app, &bot, said("twitch", "shroud", "ada", "e9", "!enter", "10:01:30")).await;
    assert!(replies(&twice)[0].starts_with("@ada, "), "{twice}");
    let closed = one(&app, &bot, moderator("g2", "!giveaway close", "10:02:00")).await;
    assert_eq!(replies(&closed), ["The giveaway is closed with 3 entries"]);
    let drawn = one(&app, &bot, moderator("g3", "!giveaway draw", "10:02:10")).await;
    let winner = &replies(&drawn)[0];
    assert!(
        ["@ada", "@bob", "@cy"].iter().any(|w| *winner == format!("A signed mouse: the winner is {w}")),
        "{winner}"
    );
    let slip = one(&app, &bot, moderator("g4", "!giveaway opne", "10:02:20")).await;
    assert!(replies(&slip)[0].starts_with("@Mod, usage: !giveaway open"), "{slip}");

    let poll = one(&app, &bot, moderator("p1", "!poll open 60 Next game? | Tetris | Doom", "10:05:00")).await;
    assert_eq!(replies(&poll), ["Poll: Next game? Vote with !vote and a number: 1 Tetris, 2 Doom"]);
    let voted = one(&app, &bot, said("twitch", "shroud", "bob", "p2", "!vote 2", "10:05:10")).await;
    assert!(replies(&voted).is_empty(), "a vote is silent: {voted}");
    let result = one(&app, &bot, moderator("p3", "!poll close", "10:05:20")).await;
    assert_eq!(replies(&result), ["Poll closed: Next game? Tetris 0, Doom 1"]);
    let slip = one(&app, &bot, moderator("p4", "!poll open soon | a | b", "10:05:30")).await;
    assert!(replies(&slip)[0].starts_with("@Mod, usage: !poll open"), "{slip}");
}
