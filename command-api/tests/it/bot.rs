//! The bot's brain over HTTP: commands defined, used, edited, aliased and
//! deleted with Nightbot's syntax from chat, replies read from the `202`
//! and from the bots' feed; the points economy; a global cooldown raced by
//! fifty viewers through two API instances; bad settings refused.

use crate::support::{known_viewer, said_at, spawn_app, TestApp};
use serde_json::{json, Value};

fn said(user: &str, author: &str, role: &str, id: &str, text: &str) -> Value {
    said_at(user, author, role, id, text, "10:00:00")
}

/// The texts the bot answered a message with.
async fn replies(app: &TestApp, token: &str, message: Value) -> Vec<String> {
    let answer = app.post("/v1/chat/messages", token, &message).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    answer.body["replies"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap().to_owned()).collect()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_conversation_defines_uses_edits_aliases_and_deletes_a_command(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let bot = app.token("acme", "chat:write");
    let moderator = |id: &str, text: &str| said("mod-1", "Mia", "moderator", id, text);
    let viewer = |id: &str, text: &str| said("viewer-1", "Vic", "viewer", id, text);
    let subscriber = |id: &str, text: &str| said("sub-1", "Sam", "subscriber", id, text);

    let mut heard = Vec::new();
    let mut say = async |message: Value| {
        let texts = replies(&app, &bot, message).await;
        heard.extend(texts.clone());
        texts
    };
    assert_eq!(say(moderator("m1", "!commands add !hug -cd=0 $(user) hugs $(touser)")).await, ["@Mia, !hug added"]);
    assert_eq!(say(viewer("m2", "!hug @Bob")).await, ["Vic hugs Bob"]);
    assert_eq!(say(moderator("m3", "!commands edit !hug -ul=subscriber")).await, ["@Mia, !hug edited"]);
    assert!(say(viewer("m4", "!hug @Bob")).await.is_empty(), "below the level: refused without a word");
    assert_eq!(say(moderator("m5", "!commands add !cuddle -a=!hug")).await, ["@Mia, !cuddle added"]);
    assert_eq!(say(subscriber("m6", "!CUDDLE @Cy")).await, ["Sam hugs Cy"]);
    // Nightbot's capturing alias and its user level names (issue 26, 14 and 15).
    assert_eq!(
        say(moderator("n1", "!commands add !say -cd=0 -ul=twitch_vip $(user) says: $(query)")).await,
        ["@Mia, !say added"]
    );
    assert_eq!(say(moderator("n2", "!commands add !s -a=!say $(query)")).await, ["@Mia, !s added"]);
    assert_eq!(say(moderator("n3", "!s good game")).await, ["Mia says: good game"]);
    let refused = say(moderator("n4", "!commands add !c -a=!say $(count) $(query)")).await;
    assert!(refused[0].contains("$(count) and $(points) belong in the target's response"), "{refused:?}");
    assert_eq!(say(moderator("n5", "!commands delete !s")).await, ["@Mia, !s deleted"]);
    assert_eq!(say(moderator("n6", "!commands delete !say")).await, ["@Mia, !say deleted"]);
    let refused = say(moderator("m7", "!commands delete !hug")).await;
    assert!(refused[0].contains("still the target of !cuddle"), "{refused:?}");
    let refused = say(moderator("m8", "!commands add !bad hello $(nope)")).await;
    assert!(refused[0].contains("unknown variable `$(nope)` at character 6"), "{refused:?}");
    assert!(say(viewer("m9", "!commands add !mine hi")).await.is_empty(), "only moderators manage commands");
    assert_eq!(say(moderator("m10", "!commands delete !cuddle")).await, ["@Mia, !cuddle deleted"]);
    assert_eq!(say(moderator("m11", "!commands delete !hug")).await, ["@Mia, !hug deleted"]);
    assert!(say(subscriber("m12", "!hug @Bob")).await.is_empty(), "a deleted command is ordinary chat");
    let listed = say(viewer("m13", "!commands")).await;
    assert_eq!(
        listed,
        ["Commands: !points, !give, !daily, !leaderboard, !commands, !clip, !vote, !link, !verify, !unlink"]
    );

    // Every change to the settings is an event whose actor is the moderator.
    let actors: Vec<String> =
        sqlx::query_scalar("SELECT metadata->>'actor' FROM events WHERE aggregate_type = 'channel' ORDER BY sequence")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(actors, ["twitch:mod-1"; 9], "five changes, and the four of the Nightbot alias");

    // The feed carries the same replies, in order, from the beginning. A
    // reply shows once every transaction older than it has ended (other
    // tests' included: the horizon is the server's), so read until all came.
    let mut texts: Vec<String> = Vec::new();
    let mut next = "0.0".to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while texts.len() < heard.len() && std::time::Instant::now() < deadline {
        let page = app.feed(&bot, &format!("{next}&wait_seconds=2")).await;
        texts.extend(page["replies"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap().to_owned()));
        next = page["next"].as_str().unwrap().to_owned();
    }
    assert_eq!(texts, heard);
    // Read on from its cursor: nothing new (and no wait asked for).
    assert_eq!(app.feed(&bot, &next).await["replies"], json!([]));
    // Another org's bot sees none of it.
    let rival = app.token("rival", "chat:write");
    assert_eq!(app.feed(&rival, "0.0&wait_seconds=1").await["replies"], json!([]));
    let bad = app.http.get(app.url("/v1/bots/replies?after=yesterday")).bearer_auth(&bot).send().await.unwrap();
    assert_eq!(bad.status(), 422);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_economy_awards_gives_charges_and_refunds(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    known_viewer(&pool, "bob-1", "Bob").await;
    let bot = app.token("acme", "chat:write");
    let manager = app.token("acme", "channels:write");
    let policy = json!({"points_per_message": 10, "cooldown_seconds": 0, "daily_bonus": 50, "subscriber_percent": 100});
    let set = app.http.put(app.url("/v1/channels/twitch/shroud/points-policy")).bearer_auth(&manager).json(&policy);
    assert_eq!(set.send().await.unwrap().status(), 202);

    let ada = |id: &str, text: &str| said("ada-1", "Ada", "viewer", id, text);
    let bob = |id: &str, text: &str| said("bob-1", "Bob", "viewer", id, text);
    assert_eq!(replies(&app, &bot, ada("a1", "!points")).await, ["@Ada, you have 10 points"]);
    assert_eq!(replies(&app, &bot, ada("a2", "!daily")).await, ["@Ada, here are your 50 daily points; you have 70"]);
    let again = replies(&app, &bot, ada("a3", "!daily")).await;
    assert!(again[0].contains("come back tomorrow"), "{again:?}");
    assert_eq!(replies(&app, &bot, ada("a4", "!give @bob 25")).await, ["Ada gave 25 points to bob (Ada has 65 left)"]);
    // The receiver was credited (their own message earns 10 more).
    assert_eq!(replies(&app, &bot, bob("b1", "!points")).await, ["@Bob, you have 35 points"]);
    for (n, (text, says)) in [
        ("!give @bob 1000", "you have 75 points; you cannot give 1000"),
        ("!give @bob -5", "a whole number above 0"),
        ("!give @bob lots", "a whole number above 0"),
        ("!give @Ada 5", "cannot give points to yourself"),
        ("!give @nobody 5", "nobody called nobody"),
        ("!give", "usage: !give @viewer points"),
    ]
    .into_iter()
    .enumerate()
    {
        let n = format!("g{n}");
        let answer = replies(&app, &bot, ada(&n, text)).await;
        assert!(answer[0].contains(says), "{text}: {answer:?}");
    }

    // A command with a price and a cooldown: the second use is refused and
    // its price given back.
    let define = json!({"name": "!treat", "response": "A treat for $(user), who has $(points) left", "cost": 30,
                        "cooldown_seconds": 60});
    let added = app.post("/v1/channels/twitch/shroud/commands", &manager, &define).await;
    assert_eq!(added.status, 202, "{added:?}");
    let treat = replies(&app, &bot, ada("t1", "!treat")).await;
    let ada_left: u64 = treat[0].rsplit("has ").next().unwrap().trim_end_matches(" left").parse().unwrap();
    assert!(treat[0].starts_with("A treat for Ada"), "{treat:?}");
    assert!(replies(&app, &bot, bob("t2", "!treat")).await.is_empty(), "on cooldown");
    let bob_now = replies(&app, &bot, bob("b2", "!points")).await;
    assert_eq!(bob_now, ["@Bob, you have 55 points"], "charged 30 and refunded: 35 + 10 + 10");
    let short = replies(&app, &bot, said("cy-1", "Cy", "viewer", "c1", "!treat")).await;
    assert_eq!(short, ["@Cy, !treat costs 30 points; you have 10"]);

    // No point minted or lost: the balances are the awards and the daily
    // bonus less what was spent.
    let balances: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum((payload->(event_type)->>'balance')::bigint), 0)::bigint FROM events e
          WHERE aggregate_type = 'chat' AND (payload::jsonb->(event_type)) ? 'balance'
            AND sequence = (SELECT max(sequence) FROM events l WHERE l.aggregate_id = e.aggregate_id
                              AND l.aggregate_type = 'chat' AND (l.payload::jsonb->(l.event_type)) ? 'balance')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let moved = |kind: &str| {
        let pool = pool.clone();
        let kind = kind.to_owned();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT coalesce(sum((payload->(event_type)->>'points')::bigint), 0)::bigint FROM events
                  WHERE aggregate_type = 'chat' AND event_type = $1",
            )
            .bind(kind)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let earned = moved("PointsAwarded").await + moved("DailyBonusClaimed").await;
    let spent = moved("PointsSpent").await - moved("PointsRefunded").await;
    assert_eq!(balances, earned - spent);
    assert_eq!(moved("PointsSent").await, moved("PointsReceived").await);
    // 65 after the gift, six refused gifts at 10 each, the treat's own 10, less its 30.
    assert_eq!(ada_left, 65 + 60 + 10 - 30);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn fifty_viewers_at_once_through_two_api_instances_get_one_answer(pool: sqlx::PgPool) {
    // Two instances over one database, each with its own command bus,
    // stream locks and state cache: only the event store is shared.
    let first = spawn_app(pool.clone()).await;
    let second = spawn_app(pool.clone()).await;
    let manager = first.token("acme", "channels:write");
    let define = json!({"name": "!drop", "response": "$(user) got the drop", "cooldown_seconds": 30});
    assert_eq!(first.post("/v1/channels/twitch/shroud/commands", &manager, &define).await.status, 202);
    // Each instance signs with its own key.
    let bots = [first.token("acme", "chat:write"), second.token("acme", "chat:write")];
    let mut calls = Vec::new();
    for n in 0..50 {
        let app = if n % 2 == 0 { &first } else { &second };
        let message = said(&format!("v{n}"), &format!("Viewer{n}"), "subscriber", &format!("d{n}"), "!drop");
        calls.push(replies(app, &bots[n % 2], message));
    }
    let answers: Vec<Vec<String>> = futures::future::join_all(calls).await;
    let answered: Vec<&String> = answers.iter().flatten().collect();
    assert_eq!(answered.len(), 1, "{answered:?}");
    let decided: Vec<(String, i64)> = sqlx::query_as(
        "SELECT event_type, count(*) FROM events WHERE aggregate_type = 'command_use' GROUP BY event_type ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(decided, [("CommandAnswered".to_owned(), 1), ("CommandRefused".to_owned(), 49)]);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn bad_settings_are_refused_naming_the_field(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let manager = app.token("acme", "channels:write");
    let add = |body: Value| {
        let app = &app;
        let manager = manager.clone();
        async move { app.post("/v1/channels/twitch/shroud/commands", &manager, &body).await }
    };
    let too_long = add(json!({"name": "!long", "response": "x".repeat(501)})).await;
    assert_eq!((too_long.status, too_long.code(), too_long.field()), (422, "too_long", "response"));
    let bad_name = add(json!({"name": "!no-dashes", "response": "hi"})).await;
    assert_eq!((bad_name.status, bad_name.field()), (422, "name"));
    let unknown = add(json!({"name": "!x", "response": "$(usr)"})).await;
    assert_eq!((unknown.status, unknown.code(), unknown.field()), (422, "template_unknown_variable", "response"));
    let missing = add(json!({"name": "!a", "alias_of": "!b"})).await;
    assert_eq!((missing.status, missing.code(), missing.field()), (422, "alias_target_missing", "alias_of"));
    let builtin = add(json!({"name": "!points", "response": "mine"})).await;
    assert_eq!((builtin.status, builtin.code()), (409, "name_taken"));
    let level = add(json!({"name": "!x", "response": "hi", "min_level": "king"})).await;
    assert_eq!((level.status, level.field()), (422, "min_level"));
    let no_scope = app.token("acme", "chat:write");
    let refused =
        app.post("/v1/channels/twitch/shroud/commands", &no_scope, &json!({"name": "!x", "response": "y"})).await;
    assert_eq!(refused.status, 403);
    let policy =
        json!({"points_per_message": 1, "cooldown_seconds": 999999, "daily_bonus": 0, "subscriber_percent": 100});
    let response = app
        .http
        .put(app.url("/v1/channels/twitch/shroud/points-policy"))
        .bearer_auth(&manager)
        .json(&policy)
        .send()
        .await;
    assert_eq!(response.unwrap().status(), 422);
    assert_eq!(app.events_in("channel").await, 0, "nothing refused was written");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_feed_is_pushed_over_a_websocket(pool: sqlx::PgPool) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let app = spawn_app(pool).await;
    let bot = app.token("acme", "chat:write");
    let mut request =
        app.url("/v1/bots/replies/socket?after=0.0").replacen("http", "ws", 1).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {bot}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the socket opens");
    let answered = replies(&app, &bot, said("viewer-1", "Vic", "viewer", "w1", "!points")).await;
    assert_eq!(answered, ["@Vic, you have 1 points"]);
    let frame = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
        .await
        .expect("a reply is pushed")
        .unwrap()
        .unwrap();
    let pushed: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(
        (pushed["text"].as_str(), pushed["in_reply_to"].as_str()),
        (Some("@Vic, you have 1 points"), Some("w1"))
    );
    // Without a token there is no socket.
    let refused = tokio_tungstenite::connect_async(app.url("/v1/bots/replies/socket").replacen("http", "ws", 1)).await;
    assert!(refused.is_err());
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_dashboard_says_something_and_bots_read_it_on_the_feed(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let manager = app.token_for("mod-dashboard", "acme", "channels:write");
    let said =
        app.post("/v1/channels/discord/9876/say", &manager, &json!({"text": "Stream starts in 5 minutes!"})).await;
    assert_eq!(said.status, 202, "{said:?}");
    let empty = app.post("/v1/channels/discord/9876/say", &manager, &json!({"text": ""})).await;
    assert_eq!((empty.status, empty.field()), (422, "text"));
    let bot = app.token("acme", "chat:write");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let reply = loop {
        let page = app.feed(&bot, "0.0&wait_seconds=2").await;
        if let Some(reply) = page["replies"].as_array().and_then(|r| r.first()).cloned() {
            break reply;
        }
        assert!(std::time::Instant::now() < deadline, "the say never reached the feed");
    };
    assert_eq!(reply["text"], "Stream starts in 5 minutes!");
    assert_eq!((reply["platform"].as_str(), reply["channel"].as_str()), (Some("discord"), Some("9876")));
    assert_eq!(reply["user_id"], "mod-dashboard", "the actor said it");
}

/// Issue 26, item 3: one org's bot held 1,100 long polls on the feed, and
/// another org's chat was refused as overloaded.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn waiting_on_the_feed_is_bounded_per_caller_and_other_orgs_are_served(pool: sqlx::PgPool) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let app = spawn_app(pool).await;
    let bot = app.token("acme", "chat:write");
    let long_poll = |token: String| {
        let request = app.http.get(app.url("/v1/bots/replies?after=0.0&wait_seconds=30")).bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Sixteen waits held open by one token...
    let held: Vec<_> = (0..16).map(|_| tokio::spawn(long_poll(bot.clone()))).collect();
    // (They are sent within a moment; none of them answers for 30 s.)
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let refused = tokio::time::timeout(std::time::Duration::from_secs(10), long_poll(bot.clone()))
        .await
        .expect("the seventeenth wait is answered at once, not held");
    // ...and the seventeenth is refused at once, as is a socket.
    assert_eq!(refused, 429, "the seventeenth wait of one caller");
    let mut request =
        app.url("/v1/bots/replies/socket?after=0.0").replacen("http", "ws", 1).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {bot}").parse().unwrap());
    let socket = tokio_tungstenite::connect_async(request).await;
    assert!(socket.is_err(), "a socket is a wait too");
    // A read that does not wait still answers, and another org is served.
    assert!(app.feed(&bot, "0.0").await["replies"].is_array());
    let rival = app.token("rival", "chat:write");
    assert_eq!(app.post("/v1/chat/messages", &rival, &crate::support::chat_message("r-1", "hello")).await.status, 202);
    for wait in held {
        wait.abort();
    }
}
