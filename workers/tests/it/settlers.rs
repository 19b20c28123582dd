//! Who finishes a half-done move is decided by the writer's lease, not by
//! a clock (issue 26, item 18). The settlers used to abandon a use its
//! price paid for when the API had not decided it within 5 s: a busy API
//! had its viewers' commands refused after paying. Now a settler leaves
//! the move to the process that began it for as long as that process
//! holds its lease, and finishes it at once when the lease is free.

use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::consumer::group::Handler;
use wavestack_adapters::writer::{self, Writer};
use wavestack_domain::chat::{ChatCommand, ChatEvent, PointsRequest, ReceivePoints, Viewer};
use wavestack_domain::chat_command::{CommandUse, Invoker, Prepared, UseCommand};
use wavestack_domain::value::*;
use wavestack_schemas::{LogEnvelope, LogEvent};
use wavestack_workers::points_settler::PointsSettler;

/// Longer than the grace the settlers used to give.
const SLOWER_THAN_ANY_GRACE: Duration = Duration::from_secs(6);

/// A viewer with points pays 10 for `!hug`; the price's envelope as the
/// log carries it, and the balance once paid.
async fn price_paid(bus: &CommandBus) -> (Viewer, LogEnvelope, u64) {
    let meta = metadata("acme");
    let ada = viewer("shroud", "ada");
    let grant = ReceivePoints {
        viewer: ada.clone(),
        transfer_id: Uuid::new_v4(),
        from: PlatformUserId::parse("bank").unwrap(),
        points: 100,
        received_at: platform_time(0),
    };
    let stream = ada.stream_id(&meta.org);
    bus.chat.execute(&stream, ChatCommand::ReceivePoints(grant), &meta).await.unwrap();
    let ChatCommand::ReceiveChatMessage(mut message) = chat_command(&ada, "m1", 1, "!hug") else { unreachable!() };
    message.points_request = Some(PointsRequest::Spend { command: CommandName::parse("hug").unwrap(), cost: 10 });
    let written = bus.chat.execute_written(&stream, ChatCommand::ReceiveChatMessage(message), &meta).await.unwrap();
    let last = written.accepted.sequence;
    let count = written.events.len() as u64;
    let (index, spent) = written
        .events
        .iter()
        .enumerate()
        .find(|(_, e)| matches!(e, ChatEvent::PointsSpent(_)))
        .expect("the price is taken");
    let ChatEvent::PointsSpent(paid) = spent else { unreachable!() };
    let envelope = LogEnvelope {
        event_id: Uuid::new_v4(),
        aggregate_id: stream.to_string(),
        sequence: last - count + 1 + index as u64,
        hash: String::new(),
        metadata: meta,
        event: LogEvent::Chat(spent.clone()),
    };
    (ada, envelope, paid.balance)
}

async fn answer(bus: &CommandBus, ada: &Viewer) {
    let meta = metadata("acme");
    let decide = CommandUse::Decide(UseCommand {
        invoker: Invoker {
            message_id: MessageId::parse("m1").unwrap(),
            platform: ada.platform,
            channel: ada.channel.clone(),
            user_id: ada.user_id.clone(),
            author: DisplayName::parse("Ada").unwrap(),
        },
        command: CommandName::parse("hug").unwrap(),
        level: UserLevel::Everyone,
        settings_version: 1,
        at: platform_time(1),
        prepared: Prepared::Answer { reply: "hugs".into() },
    });
    let uses = CommandUseStreamId::new(&meta.org, ada.platform, &ada.channel, "hug");
    let decided = bus.command_use.execute(&uses, decide, &meta).await.unwrap();
    assert_eq!(decided.events_written, 1, "the writer decides its own use");
}

async fn balance(bus: &CommandBus, ada: &Viewer) -> u64 {
    bus.chat.load(&ada.stream_id(&OrgId::parse("acme").unwrap())).await.unwrap().balance()
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_slow_writer_keeps_its_half_done_move(pool: PgPool) {
    let lease = CancellationToken::new();
    let writer = Writer::lease(&pool, lease.clone()).await.unwrap();
    let bus = Arc::new(CommandBus::with_writer(pool.clone(), Policies::default(), writer));
    let (ada, envelope, paid) = price_paid(&bus).await;
    let settler = PointsSettler::new(pool.clone(), bus.clone());
    let settling = tokio::spawn(async move { settler.handle(envelope).await });

    // The API takes longer than any grace to decide the use; the settler
    // waits for it rather than abandon the use under it.
    tokio::time::sleep(SLOWER_THAN_ANY_GRACE).await;
    assert!(!settling.is_finished(), "the settler leaves a move to a writer that still runs");
    answer(&bus, &ada).await;
    tokio::time::timeout(Duration::from_secs(10), settling).await.unwrap().unwrap().unwrap();
    assert_eq!(balance(&bus, &ada).await, paid, "the answered use keeps its price");
    let abandoned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'CommandRefused' OR event_type = 'PointsRefunded'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(abandoned, 0, "nothing was abandoned or refunded");
    lease.cancel();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_gone_writers_half_done_move_is_finished_at_once(pool: PgPool) {
    let lease = CancellationToken::new();
    let writer = Writer::lease(&pool, lease.clone()).await.unwrap();
    let id = writer.id().expect("a lease is held");
    let bus = Arc::new(CommandBus::with_writer(pool.clone(), Policies::default(), writer));
    let (ada, envelope, paid) = price_paid(&bus).await;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT metadata->>'writer' FROM events WHERE event_type = 'PointsSpent'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, Some(id.to_string()), "the event names its writer");
    assert!(!writer::is_gone(&pool, id).await.unwrap());

    // The process dies: its session ends and its lease with it.
    lease.cancel();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !writer::is_gone(&pool, id).await.unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "the lease is freed when its session ends");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let settler = PointsSettler::new(pool.clone(), bus.clone());
    tokio::time::timeout(Duration::from_secs(10), settler.handle(envelope.clone())).await.unwrap().unwrap();
    assert_eq!(balance(&bus, &ada).await, paid + 10, "the use nobody decided is refused and its price given back");
    // Redelivered: nothing more.
    settler.handle(envelope).await.unwrap();
    assert_eq!(balance(&bus, &ada).await, paid + 10);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_writer_that_lets_go_hands_its_moves_over(pool: PgPool) {
    let lease = CancellationToken::new();
    let writer = Writer::lease(&pool, lease.clone()).await.unwrap();
    let old = writer.id().unwrap();
    writer.let_go();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while writer.id() == Some(old) {
        assert!(tokio::time::Instant::now() < deadline, "a new lease is taken");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let new = writer.id().unwrap();
    assert!(writer::is_gone(&pool, old).await.unwrap(), "the old lease is free");
    assert!(!writer::is_gone(&pool, new).await.unwrap(), "the new one is held");
    lease.cancel();
}
