//! A connected channel's tokens are sealed at rest, bound to their row,
//! and open only with the deployment's secret.

use sqlx::PgPool;
use time::OffsetDateTime;
use wavestack_adapters::platform_connections::{Connection, PlatformConnections, Tokens};

fn connection(org: &str, channel: &str) -> Connection {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    Connection {
        org: org.into(),
        platform: "twitch".into(),
        channel: channel.into(),
        platform_channel_id: "1971641".into(),
        bot_user_id: "1971641".into(),
        bot_login: "streamer".into(),
        scopes: vec!["user:read:chat".into(), "user:write:chat".into()],
        tokens: Tokens { access: "access-oauth-secret".into(), refresh: "refresh-oauth-secret".into() },
        expires_at: now + time::Duration::hours(4),
        validated_at: now,
        state: "connected".into(),
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn tokens_are_sealed_bound_to_their_row_and_open_only_with_the_secret(pool: PgPool) {
    let store = PlatformConnections::new(pool.clone(), &[3; 32]);
    let saved = connection("acme", "streamer");
    store.save(&saved).await.unwrap();
    assert_eq!(store.one("acme", "twitch", "streamer").await.unwrap(), Some(saved.clone()));
    assert!(!format!("{saved:?}").contains("oauth-secret"), "Debug prints no token");

    let raw: Vec<u8> =
        sqlx::query_scalar("SELECT sealed_tokens FROM platform_connections").fetch_one(&pool).await.unwrap();
    assert!(!raw.windows(12).any(|w| w == b"oauth-secret"), "not in the clear");
    let dump: String =
        sqlx::query_scalar("SELECT row_to_json(p)::text FROM platform_connections p").fetch_one(&pool).await.unwrap();
    assert!(!dump.contains("oauth-secret"), "{dump}");

    let other_deployment = PlatformConnections::new(pool.clone(), &[4; 32]);
    assert!(other_deployment.one("acme", "twitch", "streamer").await.is_err(), "another secret opens nothing");
    // Moved to another org's row, the sealed tokens do not open.
    store.save(&connection("rival", "streamer")).await.unwrap();
    sqlx::query("UPDATE platform_connections SET sealed_tokens = $1 WHERE org = 'rival'")
        .bind(&raw)
        .execute(&pool)
        .await
        .unwrap();
    assert!(store.one("rival", "twitch", "streamer").await.is_err());

    let renewed = Tokens { access: "a2".into(), refresh: "r2".into() };
    store.renew("acme", "twitch", "streamer", &renewed, saved.expires_at).await.unwrap();
    assert_eq!(store.one("acme", "twitch", "streamer").await.unwrap().unwrap().tokens, renewed);
    let runnable = |list: Vec<Connection>| list.into_iter().map(|c| c.org).collect::<Vec<_>>();
    assert_eq!(runnable(store.runnable("twitch").await.unwrap()), ["acme"], "rival's row does not open: left out");
    store.set_state("acme", "twitch", "streamer", "token_revoked").await.unwrap();
    assert!(runnable(store.runnable("twitch").await.unwrap()).is_empty(), "a revoked connection is not run");
    assert!(store.remove("acme", "twitch", "streamer").await.unwrap());
    assert_eq!(store.one("acme", "twitch", "streamer").await.unwrap(), None);
}
