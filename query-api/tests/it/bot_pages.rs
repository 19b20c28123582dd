//! The bot's read routes against real Postgres: the commands page shows a
//! channel's commands with their use counts, a viewer's page their balance
//! and what moved it; another org sees neither.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;
use wavestack_adapters::auth::{KeyStore, ScopeSet, TokenSettings, Tokens};
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_domain::channel::{ChannelCommand, CommandDefinition, ResponseTemplate};
use wavestack_domain::chat::{ChatCommand, PointsPolicy, PointsRequest, ReceiveChatMessage, Viewer};
use wavestack_domain::chat_command::{CommandUse, Invoker, Prepared, UseCommand};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::*;
use wavestack_query_api::{router, LiveHub, QueryConfig};

fn metadata() -> EventMetadata {
    EventMetadata {
        org: OrgId::parse("acme").unwrap(),
        actor: ActorId::parse("svc:test").unwrap(),
        correlation_id: uuid::Uuid::new_v4(),
        causation_id: None,
        request_id: None,
        occurred_at: Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap(),
    }
}

fn viewer() -> Viewer {
    Viewer {
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse("shroud").unwrap(),
        user_id: PlatformUserId::parse("ada-1").unwrap(),
    }
}

fn message(id: &str, second: i64, request: Option<PointsRequest>) -> ChatCommand {
    ChatCommand::ReceiveChatMessage(ReceiveChatMessage {
        viewer: viewer(),
        message_id: MessageId::parse(id).unwrap(),
        author: DisplayName::parse("Ada").unwrap(),
        role: Role::Viewer,
        text: ChatText::parse("hello").unwrap(),
        sent_at: Timestamp::from_unix_micros(1_800_000_000_000_000 + second * 1_000_000).unwrap(),
        points: PointsPolicy { points_per_message: 10, cooldown_seconds: 0, ..PointsPolicy::default() },
        invocation: None,
        points_request: request,
        level: wavestack_domain::value::UserLevel::Everyone,
        emotes: 0,
        moderation: wavestack_domain::moderation::ModerationRules::default(),
    })
}

async fn get(app: &axum::Router, uri: &str, token: &str) -> (StatusCode, Value) {
    let request = Request::builder().uri(uri).header("authorization", format!("Bearer {token}"));
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_commands_page_and_a_viewers_points(pool: PgPool) {
    let bus = CommandBus::new(pool.clone(), Policies::default());
    let meta = metadata();
    let hug = CommandDefinition {
        name: CommandName::parse("hug").unwrap(),
        response: ResponseTemplate::parse("$(user) hugs $(touser)").unwrap(),
        alias_of: None,
        min_level: UserLevel::Subscriber,
        cooldown_seconds: 30,
        user_cooldown_seconds: 0,
        cost: 5,
        enabled: true,
    };
    bus.channel.execute("acme/twitch/shroud", ChannelCommand::AddCommand(hug), &meta).await.unwrap();
    let stream = viewer().stream_id(&meta.org);
    for (n, request) in [
        None,
        None,
        Some(PointsRequest::Spend { command: CommandName::parse("hug").unwrap(), cost: 5 }),
        // A giveaway's entry price is a move of the balance too.
        Some(PointsRequest::Enter { giveaway: GiveawayId::from_uuid(uuid::Uuid::from_u128(7)), cost: 5 }),
    ]
    .into_iter()
    .enumerate()
    {
        bus.chat.execute(&stream, message(&format!("m{n}"), n as i64, request), &meta).await.unwrap();
    }
    let answered = CommandUse::Decide(UseCommand {
        invoker: Invoker {
            message_id: MessageId::parse("m2").unwrap(),
            platform: ChatPlatform::Twitch,
            channel: ChannelId::parse("shroud").unwrap(),
            user_id: PlatformUserId::parse("ada-1").unwrap(),
            author: DisplayName::parse("Ada").unwrap(),
        },
        command: CommandName::parse("hug").unwrap(),
        level: UserLevel::Subscriber,
        settings_version: 1,
        at: Timestamp::from_unix_micros(1_800_000_002_000_000).unwrap(),
        prepared: Prepared::Answer { reply: "Ada hugs Bob".into() },
    });
    bus.command_use.execute("acme/twitch/shroud/hug", answered, &meta).await.unwrap();

    let keys = tempfile::tempdir().unwrap();
    let tokens = Arc::new(Tokens::new(Arc::new(KeyStore::open(keys.path()).unwrap()), TokenSettings::default()));
    let app = router(QueryConfig::new(pool, tokens.clone(), LiveHub::new()));
    let token = |org: &str| {
        let scopes = ScopeSet::parse("read").unwrap();
        tokens.issue(&ActorId::parse("dash").unwrap(), &OrgId::parse(org).unwrap(), &scopes).unwrap().access_token
    };

    let (status, page) = get(&app, "/v1/channels/twitch/shroud/commands", &token("acme")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["prefix"], "!");
    assert_eq!(page["settings_version"], 1);
    let hug = &page["commands"][0];
    assert_eq!((hug["name"].as_str(), hug["cost"].as_u64(), hug["uses"].as_i64()), (Some("!hug"), Some(5), Some(1)));
    assert_eq!(hug["min_level"], "subscriber");
    let builtins = page["builtins"].as_array().unwrap();
    assert_eq!(builtins.len(), 17, "moderators' five and the community's six; `join` only while a giveaway runs");
    let filters = page["filters"].as_array().unwrap();
    assert_eq!(filters.len(), 8, "every filter, each off until turned on: {page}");
    assert!(filters.iter().all(|f| f["enabled"] == false));
    assert_eq!(page["escalation"]["ladder"].as_array().unwrap().len(), 4, "{page}");
    assert_eq!(page["escalation"]["strike_expiry_seconds"], 3600);

    let (status, standing) = get(&app, "/v1/channels/twitch/shroud/viewers/ada-1?limit=2", &token("acme")).await;
    assert_eq!(status, 200, "{standing}");
    assert_eq!(standing["balance"], 30, "four awards of 10, less a price of 5 and an entry of 5");
    let events = |standing: &Value| -> Vec<String> {
        standing["history"].as_array().unwrap().iter().map(|m| m["event"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(events(&standing), ["EntryPaid", "PointsAwarded"]);
    assert_eq!(standing["history"][0]["change"], -5);
    let cursor = standing["next_cursor"].as_str().unwrap();
    let (_, older) =
        get(&app, &format!("/v1/channels/twitch/shroud/viewers/ada-1?limit=2&before={cursor}"), &token("acme")).await;
    assert_eq!(older["balance"], 30);
    assert_eq!(events(&older), ["PointsSpent", "PointsAwarded"]);

    // Another org: its own (empty) channel and no such viewer.
    let (_, page) = get(&app, "/v1/channels/twitch/shroud/commands", &token("rival")).await;
    assert_eq!(page["commands"], serde_json::json!([]));
    let (_, standing) = get(&app, "/v1/channels/twitch/shroud/viewers/ada-1", &token("rival")).await;
    assert_eq!((standing["balance"].as_u64(), standing["history"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let (status, refused) = get(&app, "/v1/channels/myspace/shroud/viewers/ada-1", &token("acme")).await;
    assert_eq!((status.as_u16(), refused["error"]["field"].as_str()), (422, Some("platform")));
}
