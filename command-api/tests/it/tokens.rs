//! Token issuing, JWKS, key rotation, and the JWT attacks that must fail.

use crate::support::{chat_message, spawn_app, Answer, TestApp, CLIENT_ID, CLIENT_SECRET};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use time::OffsetDateTime;
use wavestack_adapters::auth::KeyStore;

async fn request_token(app: &TestApp, form: &[(&str, &str)]) -> Answer {
    Answer::read(app.http.post(app.url("/v1/auth/token")).form(form).send().await.unwrap()).await
}

async fn chat_with(app: &TestApp, token: &str) -> Answer {
    app.post("/v1/chat/messages", token, &chat_message(&format!("m-{}", fastrand_id()), "hi")).await
}

fn fastrand_id() -> u128 {
    uuid::Uuid::new_v4().as_u128()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn client_credentials_grant_the_intersection_of_requested_and_allowed(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let answer = request_token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", "chat:write admin"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 900);
    assert_eq!(answer.body["scope"], "chat:write");
    assert_eq!(answer.headers["cache-control"], "no-store");
    let token = answer.body["access_token"].as_str().unwrap();

    let claims = claims_of(token);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["org_id"], "acme");
    assert_eq!(claims["aud"], "wavestack");
    assert_eq!(claims["iss"], "wavestack");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert!(claims["nbf"].is_i64());
    assert_eq!(chat_with(&app, token).await.status, 202);

    // Basic auth, no scope asked: everything the client may have.
    let response = app
        .http
        .post(app.url("/v1/auth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let answer = Answer::read(response).await;
    assert_eq!(answer.body["scope"], "chat:write clips:write read");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn bad_token_requests_are_refused(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let base = [("grant_type", "client_credentials"), ("client_id", CLIENT_ID)];
    let wrong = request_token(&app, &[base[0], base[1], ("client_secret", "guess")]).await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_client"));
    let unknown = request_token(&app, &[base[0], ("client_id", "nobody"), ("client_secret", CLIENT_SECRET)]).await;
    assert_eq!((unknown.status, unknown.code()), (401, "invalid_client"));
    let grant = request_token(&app, &[("grant_type", "password"), base[1], ("client_secret", CLIENT_SECRET)]).await;
    assert_eq!((grant.status, grant.code(), grant.field()), (422, "unsupported_grant_type", "grant_type"));
    let scope = request_token(&app, &[base[0], base[1], ("client_secret", CLIENT_SECRET), ("scope", "root")]).await;
    assert_eq!((scope.status, scope.field()), (422, "scope"));
    let none = request_token(&app, &[base[0], base[1], ("client_secret", CLIENT_SECRET), ("scope", "admin")]).await;
    assert_eq!((none.status, none.code()), (403, "insufficient_scope"));
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_jwks_verifies_issued_tokens_and_rotation_keeps_old_tokens_valid(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let old_token = app.token("acme", "chat:write admin");
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    // An independent verifier: only the JWKS.
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.set_audience(&["wavestack"]);
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    jsonwebtoken::decode::<Value>(&old_token, &key, &validation).unwrap();

    // The operator rotates (what `wavestack token rotate-key` does, in the
    // same key directory); no tenant can.
    let new_kid = app.tokens.keys().rotate(std::time::Duration::from_secs(3600)).unwrap();
    let new_kid = new_kid.as_str();
    let new_token = app.token("acme", "chat:write");
    assert_eq!(jsonwebtoken::decode_header(&new_token).unwrap().kid.as_deref(), Some(new_kid));
    assert_ne!(jsonwebtoken::decode_header(&old_token).unwrap().kid.as_deref(), Some(new_kid));
    assert_eq!(chat_with(&app, &old_token).await.status, 202, "a token signed before rotation stays valid");
    assert_eq!(chat_with(&app, &new_token).await.status, 202);
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_tenant_admin_cannot_rotate_the_deployments_keys(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let admin = app.token("acme", "admin chat:write");
    let rotated = app.post("/v1/admin/keys/rotate", &admin, &json!({})).await;
    assert_eq!((rotated.status, rotated.code()), (404, "not_found"), "{rotated:?}");
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1, "no key was made");
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(app: &TestApp, header: Header, claims: &Value) -> String {
    let kid = header.kid.clone().unwrap();
    let pem = std::fs::read(app.keys_dir.path().join(format!("{kid}.pem"))).unwrap();
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

fn valid_claims() -> Value {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    json!({
        "sub": "attacker", "org_id": "acme", "scope": "chat:write",
        "iat": now, "nbf": now, "exp": now + 600, "aud": "wavestack", "iss": "wavestack",
        "jti": "j",
    })
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn jwt_attacks_are_refused(pool: sqlx::PgPool) {
    let app = spawn_app(pool).await;
    let kid = jsonwebtoken::decode_header(app.token("acme", "read")).unwrap().kid.unwrap();
    let rs256 = || Header { kid: Some(kid.clone()), ..Header::new(Algorithm::RS256) };
    let now = OffsetDateTime::now_utc().unix_timestamp();

    // The control: correctly signed claims pass.
    assert_eq!(chat_with(&app, &sign(&app, rs256(), &valid_claims())).await.status, 202);

    let mut attacks: Vec<(&str, String)> = Vec::new();
    // alg: none, no signature.
    let none_header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(valid_claims().to_string());
    attacks.push(("alg none", format!("{none_header}.{payload}.")));
    // HS256 keyed with the public key (algorithm confusion).
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    let public = jwks["keys"][0].to_string();
    let hs_header = Header { kid: Some(kid.clone()), ..Header::new(Algorithm::HS256) };
    let hs = jsonwebtoken::encode(&hs_header, &valid_claims(), &EncodingKey::from_secret(public.as_bytes())).unwrap();
    attacks.push(("HS256 with the public key", hs));
    let pem = std::fs::read(app.keys_dir.path().join(format!("{kid}.pem"))).unwrap();
    let hs_pem = jsonwebtoken::encode(&hs_header, &valid_claims(), &EncodingKey::from_secret(&pem)).unwrap();
    attacks.push(("HS256 with the key file", hs_pem));
    let mut expired = valid_claims();
    expired["exp"] = json!(now - 120);
    expired["iat"] = json!(now - 1000);
    expired["nbf"] = json!(now - 1000);
    attacks.push(("expired", sign(&app, rs256(), &expired)));
    let mut early = valid_claims();
    early["nbf"] = json!(now + 3600);
    attacks.push(("not yet valid", sign(&app, rs256(), &early)));
    let mut audience = valid_claims();
    audience["aud"] = json!("another-service");
    attacks.push(("wrong aud", sign(&app, rs256(), &audience)));
    let mut issuer = valid_claims();
    issuer["iss"] = json!("https://evil.example");
    attacks.push(("wrong iss", sign(&app, rs256(), &issuer)));
    let mut no_exp = valid_claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    attacks.push(("no exp", sign(&app, rs256(), &no_exp)));
    // A key of our format, but not ours.
    let foreign_dir = tempfile::tempdir().unwrap();
    let foreign = KeyStore::open(foreign_dir.path()).unwrap();
    let foreign_kid = foreign.active().kid.clone();
    let foreign_pem = std::fs::read(foreign_dir.path().join(format!("{foreign_kid}.pem"))).unwrap();
    let foreign_header = Header { kid: Some(foreign_kid), ..Header::new(Algorithm::RS256) };
    attacks.push((
        "unknown kid",
        jsonwebtoken::encode(&foreign_header, &valid_claims(), &EncodingKey::from_rsa_pem(&foreign_pem).unwrap())
            .unwrap(),
    ));
    // Our kid, someone else's key.
    let spoofed = Header { kid: Some(kid.clone()), ..Header::new(Algorithm::RS256) };
    attacks.push((
        "our kid, foreign signature",
        jsonwebtoken::encode(&spoofed, &valid_claims(), &EncodingKey::from_rsa_pem(&foreign_pem).unwrap()).unwrap(),
    ));
    let no_kid = Header::new(Algorithm::RS256);
    let pem_key = EncodingKey::from_rsa_pem(&pem).unwrap();
    attacks.push(("no kid", jsonwebtoken::encode(&no_kid, &valid_claims(), &pem_key).unwrap()));
    // Tampered payload: another org, original signature.
    let genuine = sign(&app, rs256(), &valid_claims());
    let parts: Vec<&str> = genuine.split('.').collect();
    let mut tampered_claims = valid_claims();
    tampered_claims["org_id"] = json!("rival");
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(tampered_claims.to_string()), parts[2]);
    attacks.push(("tampered payload", tampered));

    for (name, token) in attacks {
        let answer = chat_with(&app, &token).await;
        assert_eq!(answer.status, 401, "{name} must be refused: {answer:?}");
        let code = answer.code().to_owned();
        assert!(["invalid_token", "token_expired", "token_not_yet_valid"].contains(&code.as_str()), "{name}: {code}");
    }
    // Only the control wrote.
    let chat_events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ChatMessageReceived'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(chat_events, 1);
}
