//! Moderation over HTTP: a spammer climbs the strike ladder to a ban and
//! back, strikes expire, moderators act from chat and over HTTP, permits
//! let one link through, the actions reach the bots' feed, a flood raced
//! through two API instances is counted exactly, and bad settings are
//! refused naming the field.

use crate::support::{known_viewer, said_at as said, spawn_app, TestApp};
use crate::{log_support, support};
use serde_json::{json, Value};

/// The spammer of the issue.
fn spammer(id: &str, text: &str, at: &str) -> Value {
    said("spammer-1", "Spammer", "viewer", id, text, at)
}

const SPAM: &str = "BUY FOLLOWERS AT spam.example/cheap";

/// A message's `202`: (replies' texts, actions).
async fn heard(app: &TestApp, token: &str, message: Value) -> (Vec<String>, Vec<Value>) {
    let answer = app.post("/v1/chat/messages", token, &message).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    let replies = answer.body["replies"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap().to_owned());
    (replies.collect(), answer.body["actions"].as_array().unwrap().clone())
}

/// The action kinds (`delete`, `timeout 30`, …) a message caused.
async fn acted(app: &TestApp, token: &str, message: Value) -> Vec<String> {
    let (_, actions) = heard(app, token, message).await;
    actions.iter().map(describe).collect()
}

fn describe(action: &Value) -> String {
    match action["seconds"].as_u64() {
        Some(0) | None => action["action"].as_str().unwrap().to_owned(),
        Some(seconds) => format!("{} {seconds}", action["action"].as_str().unwrap()),
    }
}

async fn configure(app: &TestApp, manager: &str, path: &str, body: Value) {
    let answer = app.put(&format!("/v1/channels/twitch/shroud/{path}"), manager, &body).await;
    assert_eq!(answer.status, 202, "{path}: {answer:?}");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_spammer_is_warned_timed_out_banned_unbanned_and_their_strikes_expire(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let manager = app.token_for("streamer", "acme", "channels:write");
    let bot = app.token("acme", "chat:write");
    configure(&app, &manager, "filters/links", json!({"enabled": true, "allowed_domains": ["clips.twitch.tv"]})).await;
    let ladder = json!({"ladder": [{"action": "delete"}, {"action": "timeout", "seconds": 30}, {"action": "ban"}],
                        "strike_expiry_seconds": 600});
    configure(&app, &manager, "escalation", ladder).await;

    let (replies, actions) = heard(&app, &bot, spammer("s1", SPAM, "10:00:00")).await;
    assert_eq!(replies, ["@Spammer, no links without a moderator's !permit (warning)"]);
    assert_eq!(actions.len(), 1);
    assert_eq!((actions[0]["action"].as_str(), actions[0]["message_id"].as_str()), (Some("delete"), Some("s1")));
    assert_eq!(actions[0]["decided_by"], "filter");
    assert_eq!(actions[0]["reason"], "links: link \"spam.example\"", "the reason names the filter and the evidence");

    assert!(acted(&app, &bot, spammer("c1", "hello there", "10:00:05")).await.is_empty(), "clean chat passes");
    let allowed = spammer("c2", "look clips.twitch.tv/abc", "10:00:06");
    assert!(acted(&app, &bot, allowed).await.is_empty(), "an allowed domain passes");
    assert_eq!(acted(&app, &bot, spammer("s2", SPAM, "10:00:10")).await, ["timeout 30"]);
    assert_eq!(acted(&app, &bot, spammer("t1", "hi", "10:00:20")).await, ["delete"], "timed out: deleted");
    assert_eq!(acted(&app, &bot, spammer("s3", SPAM, "10:01:00")).await, ["ban"]);
    assert_eq!(acted(&app, &bot, spammer("b1", "sorry", "10:02:00")).await, ["delete"], "banned: deleted");
    let moderator = said("mod-1", "Mia", "moderator", "m1", "my link: spam.example/ok", "10:02:01");
    assert!(acted(&app, &bot, moderator).await.is_empty(), "moderators are exempt");

    let unban = json!({"action": "unban", "reason": "appeal accepted"});
    let answer = app.post("/v1/channels/twitch/shroud/viewers/spammer-1/moderation", &manager, &unban).await;
    assert_eq!((answer.status, answer.body["outcome"].as_str()), (202, Some("accepted")), "{answer:?}");
    let action = &answer.body["actions"][0];
    assert_eq!((action["action"].as_str(), action["reason"].as_str()), (Some("unban"), Some("appeal accepted")));
    assert_eq!(action["decided_by"], "streamer");
    let again = app.post("/v1/channels/twitch/shroud/viewers/spammer-1/moderation", &manager, &unban).await;
    assert_eq!((again.status, again.body["outcome"].as_str()), (202, Some("duplicate")), "{again:?}");
    assert_eq!(again.body["actions"], json!([]));

    // Unbanned with a clean slate: the ladder starts again; a strike
    // older than the expiry no longer counts.
    assert_eq!(acted(&app, &bot, spammer("s4", SPAM, "10:03:00")).await, ["delete"]);
    assert_eq!(acted(&app, &bot, spammer("s5", SPAM, "10:20:00")).await, ["delete"], "the first strike expired");
    assert_eq!(acted(&app, &bot, spammer("s6", SPAM, "10:20:30")).await, ["timeout 30"]);

    // Each decision is an event with its reason and its strike count.
    let decided: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT payload->'MessageModerated'->>'cause', payload->'MessageModerated'->>'action',
                (payload->'MessageModerated'->>'strikes')::bigint
           FROM events WHERE event_type = 'MessageModerated' ORDER BY sequence",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let expected = [
        ("links", "delete", 1),
        ("links", "timeout", 2),
        ("timed_out", "delete", 2),
        ("links", "ban", 3),
        ("banned", "delete", 3),
        ("links", "delete", 1),
        ("links", "delete", 1),
        ("links", "timeout", 2),
    ];
    let expected: Vec<(String, String, i64)> =
        expected.iter().map(|(c, a, s)| (c.to_string(), a.to_string(), *s)).collect();
    assert_eq!(decided, expected);
    let actors: Vec<String> = sqlx::query_scalar(
        "SELECT metadata->>'actor' FROM events WHERE aggregate_type = 'channel' OR event_type = 'ModeratorActed'
          ORDER BY aggregate_type, sequence",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actors, ["streamer"; 3], "filter, ladder and unban each name who changed them");

    // The same story relayed through a real broker into the moderation log.
    let (_broker, kafka) = log_support::memory_broker().await;
    let mut relay = log_support::relay(&app.pool, &kafka).await;
    log_support::drain(&mut relay).await;
    let projection = wavestack_projections::moderation::Moderation;
    let config = wavestack_projections::RunnerConfig::for_projection(&projection);
    let codec = wavestack_schemas::Codec::from_catalog().unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let mut runner =
        wavestack_projections::ProjectionRunner::start(&app.pool, &kafka, codec, projection, config, &cancel)
            .await
            .unwrap()
            .expect("the runner gets its lock");
    runner.catch_up(std::time::Duration::from_secs(1)).await.unwrap();
    let filter = wavestack_projections::moderation::LogFilter::default();
    let schema = "projection_moderation";
    let log = wavestack_projections::moderation::log(&app.pool, schema, "acme", "twitch", "shroud", &filter, 50)
        .await
        .unwrap();
    let mut logged: Vec<(String, Option<String>)> = log.iter().map(|e| (e.action.clone(), e.cause.clone())).collect();
    logged.reverse();
    let mut expected_log: Vec<(String, Option<String>)> =
        expected.iter().map(|(cause, action, _)| (action.clone(), Some(cause.clone()))).collect();
    // The log orders by time: the messages were sent on 2026-11-22, the
    // moderator's unban over HTTP happened now.
    expected_log.push(("unban".to_owned(), None));
    assert_eq!(logged, expected_log, "every decision and the unban, in time order, through the log");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn moderators_permit_time_out_pardon_and_ban_from_chat(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    known_viewer(&pool, "spammer-1", "Spammer").await;
    let manager = app.token("acme", "channels:write");
    let bot = app.token("acme", "chat:write");
    configure(&app, &manager, "filters/links", json!({"enabled": true})).await;
    let moderator = |id: &str, text: &str, at: &str| said("mod-1", "Mia", "moderator", id, text, at);

    let (replies, actions) = heard(&app, &bot, moderator("m1", "!permit @Spammer 30", "10:00:00")).await;
    assert_eq!(replies, ["@Spammer, you may post one link in the next 30 s"]);
    assert!(actions.is_empty(), "a permit asks nothing of the platform");
    assert!(acted(&app, &bot, spammer("l1", "my clip: spam.example/ok", "10:00:10")).await.is_empty());
    assert_eq!(acted(&app, &bot, spammer("l2", "and spam.example/two", "10:00:11")).await, ["delete"], "one link");

    let (replies, actions) = heard(&app, &bot, moderator("m2", "!timeout @Spammer 120 calm down", "10:00:12")).await;
    assert_eq!(replies, ["Spammer is timed out for 120 s"]);
    assert_eq!(actions.iter().map(describe).collect::<Vec<_>>(), ["timeout 120"]);
    assert_eq!(
        (actions[0]["reason"].as_str(), actions[0]["decided_by"].as_str()),
        (Some("calm down"), Some("twitch:mod-1"))
    );
    assert_eq!((actions[0]["user_id"].as_str(), actions[0]["message_id"].as_str()), (Some("spammer-1"), Some("m2")));

    let (replies, _) = heard(&app, &bot, moderator("m3", "!pardon @Spammer", "10:00:13")).await;
    assert_eq!(replies, ["Spammer's strikes are cleared"]);
    let (replies, _) = heard(&app, &bot, moderator("m4", "!pardon @Spammer", "10:00:14")).await;
    assert_eq!(replies, ["Spammer has no strikes"]);
    assert_eq!(acted(&app, &bot, spammer("l3", "spam.example/three", "10:03:00")).await, ["delete"], "strike 1 again");

    let viewer = said("viewer-1", "Vic", "viewer", "v1", "!ban @Spammer", "10:03:01");
    assert_eq!(heard(&app, &bot, viewer).await, (vec![], vec![]), "a viewer cannot ban, and is not answered");
    let (replies, _) = heard(&app, &bot, moderator("m5", "!ban @Nobody", "10:03:02")).await;
    assert_eq!(replies, ["@Mia, nobody called Nobody has chatted here yet"]);
    let (replies, _) = heard(&app, &bot, moderator("m6", "!timeout", "10:03:03")).await;
    assert_eq!(replies, ["@Mia, usage: !timeout @viewer [seconds] [reason]"]);
    let (replies, actions) = heard(&app, &bot, moderator("m7", "!ban @spammer botting", "10:03:04")).await;
    assert_eq!(
        (replies, actions.iter().map(describe).collect::<Vec<_>>()),
        (vec!["spammer is banned".to_owned()], vec!["ban".to_owned()])
    );
    let (replies, actions) = heard(&app, &bot, moderator("m8", "!unban @Spammer", "10:03:05")).await;
    assert_eq!(replies, ["Spammer is unbanned; their strikes are cleared"]);
    assert_eq!(actions.iter().map(describe).collect::<Vec<_>>(), ["unban"]);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_actions_reach_the_bots_feed(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let manager = app.token("acme", "channels:write");
    let bot = app.token("acme", "chat:write");
    configure(&app, &manager, "filters/banned_terms", json!({"enabled": true, "terms": ["buy followers"]})).await;
    assert_eq!(acted(&app, &bot, spammer("s1", "Buy Fóllowers now", "10:00:00")).await, ["delete"]);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let (mut replies, mut actions, mut next) = (Vec::new(), Vec::new(), "0.0".to_owned());
    while actions.is_empty() && std::time::Instant::now() < deadline {
        let page = app.feed(&bot, &format!("{next}&wait_seconds=2")).await;
        replies.extend(page["replies"].as_array().unwrap().clone());
        actions.extend(page["actions"].as_array().unwrap().clone());
        next = page["next"].as_str().unwrap().to_owned();
    }
    assert_eq!(actions.len(), 1, "{actions:?}");
    let action = &actions[0];
    assert_eq!((action["kind"].as_str(), action["action"].as_str()), (Some("action"), Some("delete")));
    assert_eq!(action["reason"], "banned_terms: term \"buy followers\"");
    assert!(action["cursor"].as_str().is_some());
    assert_eq!(replies[0]["text"], "@Spammer, that is not allowed here (warning)");
    assert_eq!(replies[0]["command"], "moderation");

    let rival = app.token("rival", "chat:write");
    let page = app.feed(&rival, "0.0&wait_seconds=1").await;
    assert_eq!((&page["replies"], &page["actions"]), (&json!([]), &json!([])), "another org sees none of it");
}

/// Twenty messages of one viewer at the same instant, half through each
/// of two API instances: the flood filter (5 per 10 s) counts them exactly,
/// whichever instance decides, because the count is the viewer's stream.
#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_flood_raced_through_two_instances_is_counted_exactly(pool: sqlx::PgPool) {
    let first = spawn_app(pool.clone()).await;
    let second = spawn_app(pool.clone()).await;
    let manager = first.token("acme", "channels:write");
    configure(&first, &manager, "filters/flood", json!({"enabled": true, "max_messages": 5, "per_seconds": 10})).await;
    let bots = [first.token("acme", "chat:write"), second.token("acme", "chat:write")];
    let calls = (0..20).map(|n| {
        let app = if n % 2 == 0 { &first } else { &second };
        acted(app, &bots[n % 2], spammer(&format!("f{n}"), &format!("message number {n}"), "10:00:00"))
    });
    let answers: Vec<Vec<String>> = futures::future::join_all(calls).await;
    let mut actions: Vec<String> = answers.into_iter().flatten().collect();
    actions.sort();
    let mut expected = vec!["delete".to_owned(); 14];
    expected.push("timeout 60".to_owned());
    assert_eq!(actions, expected, "5 pass, the 6th is a warning, the 7th a timeout, the rest are timed out");
    let causes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload->'MessageModerated'->>'cause', count(*) FROM events
          WHERE event_type = 'MessageModerated' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(causes, [("flood".to_owned(), 2), ("timed_out".to_owned(), 13)]);
    let received: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ChatMessageReceived'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(received, 20, "every message is recorded, once");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn bad_moderation_settings_are_refused_naming_the_field(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let manager = app.token("acme", "channels:write");
    let refused = |answer: support::Answer| (answer.status, answer.code().to_owned(), answer.field().to_owned());
    let put = |path: &'static str, body: Value| {
        let (app, manager) = (&app, manager.clone());
        async move { refused(app.put(&format!("/v1/channels/twitch/shroud/{path}"), &manager, &body).await) }
    };
    let status = |(status, _, field): (u16, String, String)| (status, field);

    let catastrophic = put("filters/banned_terms", json!({"patterns": ["(a"]})).await;
    assert_eq!(status(catastrophic), (422, "patterns".to_owned()));
    let huge = put("filters/banned_terms", json!({"patterns": ["\\w{1000}\\w{1000}"]})).await;
    assert_eq!(status(huge), (422, "patterns".to_owned()), "a pattern over the size limit is refused at definition");
    let percent = put("filters/caps", json!({"max_percent": 0})).await;
    assert_eq!(percent.0, 422);
    assert_eq!(percent.2, "max_percent");
    let other = put("filters/caps", json!({"max_emotes": 3})).await;
    assert_eq!(status(other), (422, "max_emotes".to_owned()), "a field of another filter");
    let unknown = put("filters/nsfw", json!({"enabled": true})).await;
    assert_eq!(status(unknown), (422, "filter".to_owned()));
    let domain = put("filters/links", json!({"allowed_domains": ["not a domain"]})).await;
    assert_eq!(status(domain), (422, "allowed_domains".to_owned()));
    let exempt = put("filters/links", json!({"exempt": ["king"]})).await;
    assert_eq!(status(exempt), (422, "exempt".to_owned()));
    let empty = put("escalation", json!({"ladder": []})).await;
    assert_eq!(status(empty), (422, "ladder".to_owned()));
    let step = put("escalation", json!({"ladder": [{"action": "kick"}]})).await;
    assert_eq!(status(step), (422, "ladder[0].action".to_owned()));

    let moderate = |body: Value| {
        let (app, manager) = (&app, manager.clone());
        async move { refused(app.post("/v1/channels/twitch/shroud/viewers/v-1/moderation", &manager, &body).await) }
    };
    assert_eq!(status(moderate(json!({"action": "kick"})).await), (422, "action".to_owned()));
    assert_eq!(status(moderate(json!({"action": "ban", "seconds": 5})).await), (422, "seconds".to_owned()));
    assert_eq!(status(moderate(json!({"action": "timeout", "seconds": 0})).await), (422, "seconds".to_owned()));
    let long = moderate(json!({"action": "ban", "reason": "x".repeat(501)})).await;
    assert_eq!(status(long), (422, "reason".to_owned()));
    let reader = app.token("acme", "read");
    let ban = json!({"action": "ban"});
    let forbidden = app.post("/v1/channels/twitch/shroud/viewers/v-1/moderation", &reader, &ban).await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(app.all_events().await, 0, "nothing refused was written");
}
