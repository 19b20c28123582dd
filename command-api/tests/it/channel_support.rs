//! A channel's support policy and alert templates over HTTP: changed by
//! its managers as events with their actor, refused clearly when wrong.

use serde_json::json;

use crate::support::spawn_app;

fn policy() -> serde_json::Value {
    json!({"per_follow": 10, "per_sub_tier1": 100, "per_sub_tier2": 200, "per_sub_tier3": 500,
           "per_100_bits": 5, "per_raid_viewer": 2})
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_support_policy_is_an_event_with_its_actor_and_is_bounded(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let manager = app.token_for("streamer", "acme", "channels:write");
    let set = app.put("/v1/channels/twitch/shroud/support-policy", &manager, &policy()).await;
    assert_eq!(set.status, 202, "{set:?}");
    let (actor, per_raid_viewer): (String, i64) = sqlx::query_as(
        "SELECT metadata->>'actor', (payload->'SupportPolicyChanged'->>'per_raid_viewer')::bigint FROM events
          WHERE aggregate_type = 'channel' AND event_type = 'SupportPolicyChanged'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((actor.as_str(), per_raid_viewer), ("streamer", 2));
    let again = app.put("/v1/channels/twitch/shroud/support-policy", &manager, &policy()).await;
    assert_eq!(
        (again.status, again.body["events_written"].as_i64()),
        (202, Some(0)),
        "the same policy changes nothing"
    );

    let mut too_much = policy();
    too_much["per_100_bits"] = json!(1_000_001);
    let refused = app.put("/v1/channels/twitch/shroud/support-policy", &manager, &too_much).await;
    assert_eq!((refused.status, refused.field()), (422, "per_100_bits"), "{refused:?}");
    let mut unknown = policy();
    unknown["per_host"] = json!(1);
    let refused = app.put("/v1/channels/twitch/shroud/support-policy", &manager, &unknown).await;
    assert!(refused.status == 400 || refused.status == 422, "{refused:?}");
    let reader = app.token("acme", "read");
    let refused = app.put("/v1/channels/twitch/shroud/support-policy", &reader, &policy()).await;
    assert_eq!(refused.status, 403, "a reader changes nothing");
    assert_eq!(app.events_in("channel").await, 1);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn an_alert_template_is_set_per_kind_and_refused_by_field(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let manager = app.token("acme", "channels:write");
    let body = json!({"template": "  thanks $(user) for $(amount) bits!  ", "enabled": true});
    let set = app.put("/v1/channels/twitch/shroud/alerts/cheer", &manager, &body).await;
    assert_eq!(set.status, 202, "{set:?}");
    let template: String = sqlx::query_scalar(
        "SELECT payload->'AlertConfigured'->>'template' FROM events WHERE event_type = 'AlertConfigured'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(template, "thanks $(user) for $(amount) bits!", "kept trimmed");

    let refused = app.put("/v1/channels/twitch/shroud/alerts/host", &manager, &body).await;
    assert_eq!((refused.status, refused.field()), (422, "kind"), "{refused:?}");
    let empty = json!({"template": "   ", "enabled": true});
    let refused = app.put("/v1/channels/twitch/shroud/alerts/follow", &manager, &empty).await;
    assert_eq!((refused.status, refused.code(), refused.field()), (422, "invalid_alert_template", "template"));
    let long = json!({"template": "x".repeat(201), "enabled": false});
    let refused = app.put("/v1/channels/twitch/shroud/alerts/follow", &manager, &long).await;
    assert_eq!(refused.field(), "template", "{refused:?}");
    assert_eq!(app.events_in("channel").await, 1, "no partial write");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_bot_forwards_a_raid_which_is_paid_once_however_often_it_comes(pool: sqlx::PgPool) {
    let app = spawn_app(pool.clone()).await;
    let manager = app.token("acme", "channels:write");
    assert_eq!(app.put("/v1/channels/twitch/shroud/support-policy", &manager, &policy()).await.status, 202);
    let bot = app.token("acme", "chat:write");
    let raid = json!({"event_id": "r-1", "type": "raid", "at": "2026-12-07T18:00:00Z",
                      "user_id": "99", "user_name": "eve", "amount": 42});
    let first = app.post("/v1/channels/twitch/shroud/broadcast", &bot, &raid).await;
    assert_eq!((first.status, first.body["events_written"].as_i64()), (202, Some(1)), "{first:?}");
    let again = app.post("/v1/channels/twitch/shroud/broadcast", &bot, &raid).await;
    assert_eq!((again.status, again.body["events_written"].as_i64()), (202, Some(0)), "a repeat records nothing");
    let paid: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, (payload->'SupportRewarded'->>'points')::bigint FROM events
          WHERE event_type = 'SupportRewarded'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(paid, [("acme/twitch/shroud/99".to_owned(), 84)], "paid once, to the raider, per viewer");

    for (body, field) in [
        (json!({"event_id": "x", "type": "host", "at": "2026-12-07T18:00:00Z"}), "type"),
        (json!({"event_id": "x", "type": "follow", "at": "2026-12-07T18:00:00Z"}), "user_id"),
        (json!({"event_id": "x", "type": "follow", "at": "yesterday", "user_id": "1", "user_name": "a"}), "at"),
        (json!({"event_id": "x y", "type": "offline", "at": "2026-12-07T18:00:00Z"}), "event_id"),
        (json!({"event_id": "x", "type": "gift", "at": "2026-12-07T18:00:00Z", "tier": "4", "amount": 5}), "tier"),
        (json!({"event_id": "x", "type": "gift", "at": "2026-12-07T18:00:00Z", "tier": "1", "amount": 0}), "count"),
        (json!({"event_id": "x", "type": "cheer", "at": "2026-12-07T18:00:00Z", "user_id": "1"}), "user_name"),
    ] {
        let refused = app.post("/v1/channels/twitch/shroud/broadcast", &bot, &body).await;
        assert_eq!((refused.status, refused.field()), (422, field), "{body}: {refused:?}");
    }
    let reader = app.token("acme", "read");
    assert_eq!(app.post("/v1/channels/twitch/shroud/broadcast", &reader, &raid).await.status, 403);
    assert_eq!(app.events_in("broadcast").await, 1, "nothing refused was written");
}
