//! `wavestack user add`: the first owner from the CLI, the password only
//! as a hash and never on the log, and bad input refused with the flag
//! named and nothing written.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::database_url;
use sqlx::PgPool;
use wavestack_adapters::auth::MemberPasswords;
use wavestack_domain::value::{OrgId, Username};

/// Runs `wavestack user add` with `password` on standard input.
fn add(pool: &PgPool, args: &[&str], password: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .args(["user", "add"])
        .args(args)
        .env("DATABASE_URL", database_url(pool))
        .env_remove("WAVESTACK_USER_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

#[sqlx::test(migrations = false)]
async fn the_first_owner_is_added_from_the_cli_with_only_a_hash_kept(pool: PgPool) {
    let secret = "correct horse battery staple";
    let (ok, said) = add(&pool, &["--org", "acme", "--username", "ada", "--role", "owner"], secret);
    assert!(ok, "{said}");
    assert!(said.contains("ada joined acme as owner"), "{said}");

    let events: Vec<(String, String, String)> =
        sqlx::query_as("SELECT aggregate_id, event_type, metadata->>'actor' FROM events WHERE aggregate_type = 'team' ORDER BY sequence")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        events,
        [
            ("acme".to_owned(), "MemberAdded".to_owned(), "operator:cli".to_owned()),
            ("acme".to_owned(), "PasswordSet".to_owned(), "operator:cli".to_owned())
        ]
    );
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'")
        .bind("horse")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(leaked, 0, "the password is on no event");
    let passwords = MemberPasswords::new(pool.clone());
    let (org, ada) = (OrgId::parse("acme").unwrap(), Username::parse("ada").unwrap());
    assert!(passwords.verify(&org, &ada, secret).await.unwrap());
    assert!(!passwords.verify(&org, &ada, "correct horse battery stapler").await.unwrap());
    assert!(!passwords.verify(&org, &Username::parse("bob").unwrap(), secret).await.unwrap());
    assert!(!passwords.verify(&OrgId::parse("rival").unwrap(), &ada, secret).await.unwrap());

    // The same person again, a short password, a role that is none, a
    // username with capitals: refused, naming what, and nothing written.
    for (args, password, expected) in [
        (["--org", "acme", "--username", "ada", "--role", "viewer"], secret, "already a member"),
        (["--org", "acme", "--username", "bob", "--role", "viewer"], "short", "12 to 256 characters"),
        (["--org", "acme", "--username", "bob", "--role", "admin"], secret, "--role `admin`"),
        (["--org", "acme", "--username", "Bob", "--role", "viewer"], secret, "--username `Bob`"),
    ] {
        let (ok, said) = add(&pool, &args, password);
        assert!(!ok, "{args:?}: {said}");
        assert!(said.contains(expected), "{args:?}: {said}");
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'team'").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 2);
}
