//! Dashboard sessions against real Postgres: found by the cookie's token
//! only, CSRF checked in constant time, ended by logout, by an owner's
//! revoke (never another org's), for a whole person, and when idle.

use sqlx::PgPool;
use wavestack_adapters::auth::{csrf_matches, Sessions, IDLE};
use wavestack_domain::value::{OrgId, Username};

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_session_lives_from_login_to_logout_revoke_or_idleness(pool: PgPool) {
    let sessions = Sessions::new(pool.clone());
    let (acme, rival) = (OrgId::parse("acme").unwrap(), OrgId::parse("rival").unwrap());
    let ada = Username::parse("ada").unwrap();
    let opened = sessions.open(&acme, &ada, "Firefox").await.unwrap();
    let found = sessions.find(&opened.token).await.unwrap().expect("a live session");
    assert_eq!((found.org.as_str(), found.username.as_str(), found.user_agent.as_str()), ("acme", "ada", "Firefox"));
    assert!(csrf_matches(&opened.token, &opened.csrf));
    assert!(!csrf_matches(&opened.token, &opened.token), "the cookie is not the CSRF token");
    assert!(!csrf_matches(&opened.token, ""));
    assert!(sessions.find("guessed").await.unwrap().is_none());
    assert!(sessions.find(&opened.csrf).await.unwrap().is_none());
    // Neither token is stored as such.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dashboard_sessions WHERE encode(id_hash, 'escape') LIKE '%' || $1 || '%'
            OR row_to_json(dashboard_sessions)::text LIKE '%' || $2 || '%'",
    )
    .bind(&opened.token)
    .bind(&opened.csrf)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);

    // Listed for the org, revoked by its public id, never across orgs.
    let listed = sessions.list(&acme).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(sessions.list(&rival).await.unwrap().is_empty());
    assert!(!sessions.revoke(&rival, &listed[0].id).await.unwrap());
    assert!(sessions.find(&opened.token).await.unwrap().is_some());
    assert!(!sessions.revoke(&acme, "not-an-id").await.unwrap());
    assert!(sessions.revoke(&acme, &listed[0].id).await.unwrap());
    assert!(sessions.find(&opened.token).await.unwrap().is_none());

    // Logout.
    let again = sessions.open(&acme, &ada, "Firefox").await.unwrap();
    sessions.close(&again.token).await.unwrap();
    assert!(sessions.find(&again.token).await.unwrap().is_none());

    // A person's every session, and an idle one.
    let one = sessions.open(&acme, &ada, "a").await.unwrap();
    let two = sessions.open(&acme, &ada, "b").await.unwrap();
    assert_eq!(sessions.revoke_person(&acme, &ada).await.unwrap(), 2);
    assert!(sessions.find(&one.token).await.unwrap().is_none() && sessions.find(&two.token).await.unwrap().is_none());
    let idle = sessions.open(&acme, &ada, "c").await.unwrap();
    sqlx::query("UPDATE dashboard_sessions SET last_seen_at = now() - $1 * interval '1 second' - interval '1 minute'")
        .bind(IDLE.as_secs() as f64)
        .execute(&pool)
        .await
        .unwrap();
    assert!(sessions.find(&idle.token).await.unwrap().is_none());
}
