//! The app apart from the tables' owner: `wavestack up` migrating as the
//! owner and running as a role of its own, which works the whole stack but
//! cannot disable the log's triggers, rewrite, delete or truncate events.

use crate::support;
use crate::support::database_url;
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool};

const APP_ROLE: &str = "wavestack_app_test";

/// `DATABASE_URL`'s database as `role`.
fn url_as(pool: &PgPool, role: &str) -> String {
    let mut url = url::Url::parse(&database_url(pool)).unwrap();
    url.set_username(role).unwrap();
    url.set_password(None).unwrap();
    url.to_string()
}

#[sqlx::test(migrations = false)]
async fn the_app_runs_as_its_own_role_which_cannot_rewrite_the_log(pool: PgPool) {
    // Roles are the cluster's: made once, kept (LOGIN, trust auth here).
    sqlx::query(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}')
         THEN CREATE ROLE {APP_ROLE} LOGIN; END IF; END $$"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let (owner, app) = (database_url(&pool), url_as(&pool, APP_ROLE));
    let stack = support::start_with_settings(&pool, "", |s| {
        s.up.database.database_url = app.clone();
        s.up.database.migrate_database_url = Some(owner.clone());
    })
    .await;

    // The whole way through as the app's role: a message written, relayed,
    // projected and read back.
    let http = reqwest::Client::new();
    let token = support::issue_token(&stack, "acme", "chat:write read");
    let message = json!({ "platform": "twitch", "channel": "roles", "user_id": "u1", "message_id": "m-1",
                          "author": "Ada", "text": "written by the app's own role" });
    let sent = support::post_json(&http, &stack, &token, "/v1/chat/messages", &message).await;
    assert_eq!(sent["outcome"], "accepted", "{sent}");
    let mut board = Value::Null;
    for _ in 0..100 {
        board = support::get_json(&http, &stack, &token, "/v1/channels/roles/leaderboard", &[]).await;
        if board["entries"].as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(board["entries"][0]["messages"], 1, "{board}");

    // What the owner of the table could do, the app's role cannot.
    let options: PgConnectOptions = app.parse().unwrap();
    let mut conn = options.connect().await.unwrap();
    for attack in [
        "ALTER TABLE events DISABLE TRIGGER ALL",
        "UPDATE events SET payload = '{}'",
        "DELETE FROM events",
        "TRUNCATE events",
        "DROP TABLE events",
    ] {
        let refused = sqlx::query(attack).execute(&mut conn).await.unwrap_err();
        let code = refused.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{attack}: {refused}");
    }
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&mut conn).await.unwrap();
    assert!(events >= 1);
    conn.close().await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn the_owner_is_refused_as_the_apps_role(pool: PgPool) {
    let owner = database_url(&pool);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .args(["user", "add", "--org", "acme", "--username", "ada", "--role", "owner"])
        .env("DATABASE_URL", &owner)
        .env("WAVESTACK_MIGRATE_DATABASE_URL", &owner)
        .env("WAVESTACK_USER_PASSWORD", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("give the app a role of its own"), "{said}");
}
