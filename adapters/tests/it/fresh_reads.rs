//! Who may open a dashboard or an overlay is read from the team's stream,
//! never from a lagging read model, yet not replayed whole per request.
//! Issue 26, item 4: every overlay request replayed the whole team stream,
//! which issuing and revoking keys grows without bound.

use crate::support::*;
use sqlx::PgPool;
use wavestack_adapters::auth::{new_overlay_key, overlay_key_digest};
use wavestack_adapters::command_bus::{CommandBus, FreshReads};
use wavestack_domain::team::{TeamCommand, TeamState};
use wavestack_domain::value::*;

async fn issue(bus: &CommandBus, label: &str) -> (OverlayKeyId, String) {
    let (key, digest) = new_overlay_key();
    let key_id = OverlayKeyId::new_random();
    let command = TeamCommand::IssueOverlayKey {
        key_id,
        channel: ChannelRef::parse("twitch/shroud").unwrap(),
        label: OverlayLabel::parse(label.to_owned()).unwrap(),
        digest,
        by: None,
        at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    };
    bus.team.execute("acme", command, &metadata("acme")).await.unwrap();
    (key_id, key)
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_team_is_read_whole_again_only_when_its_stream_moved_on(pool: PgPool) {
    let bus = bus(&pool);
    // A long stream: 150 keys issued and revoked, 300 events.
    for n in 0..150 {
        let (key_id, _) = issue(&bus, &format!("scene {n}")).await;
        let revoke = TeamCommand::RevokeOverlayKey {
            key_id,
            by: None,
            at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        };
        bus.team.execute("acme", revoke, &metadata("acme")).await.unwrap();
    }
    let snapshots: i64 = sqlx::query_scalar("SELECT count(*) FROM snapshots WHERE aggregate_id = 'acme'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(snapshots, 1, "the team's stream is snapshotted: a whole read is the snapshot and a few events");

    let reads: FreshReads<TeamState> = FreshReads::default();
    let (_, key) = issue(&bus, "main").await;
    let digest = overlay_key_digest(&key);
    for _ in 0..20 {
        assert!(reads.get(&pool, "acme").await.unwrap().live_overlay_key(&digest).is_some());
        assert!(reads.get(&pool, "acme").await.unwrap().live_overlay_key("junk").is_none());
    }
    assert_eq!(reads.whole_reads(), 1, "forty checks of an unchanged team read it once");

    // A write (here by another process's bus) is seen at the next read.
    let (_, newer) = issue(&CommandBus::new(pool.clone(), Default::default()), "second").await;
    assert!(reads.get(&pool, "acme").await.unwrap().live_overlay_key(&overlay_key_digest(&newer)).is_some());
    assert_eq!(reads.whole_reads(), 2);
    assert_eq!(reads.get(&pool, "rival").await.unwrap().overlay_keys().count(), 0, "another org's team is its own");
}
