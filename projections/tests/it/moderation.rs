//! The moderation read models from the real log: filters' decisions and
//! moderators' actions written through the command bus, relayed to a real
//! broker and projected into the channel's log and each viewer's standing.

use crate::support;
use std::time::Duration;

use crate::support::{bus, chat_command, drain, memory_broker, platform_time, relay, viewer};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::CommandBus;
use wavestack_domain::chat::{ChatCommand, ModerateViewer, Viewer};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::{
    ActionKind, Escalation, FilterKind, FilterSettings, ModerationRules, ModerationSettings, ModeratorAction, Penalty,
};
use wavestack_domain::value::ActorId;
use wavestack_projections::analytics::{self, Analytics, Bucket};
use wavestack_projections::moderation::{self, LogFilter, Moderation};
use wavestack_projections::{ProjectionRunner, RunnerConfig};
use wavestack_schemas::Codec;

const SCHEMA: &str = "projection_moderation";

/// Platform second `second` from now: a standing reads strikes and
/// timeouts against the wall clock, so the story happens now.
fn now_plus(second: i64) -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() - platform_time(0).as_datetime().unix_timestamp() + second
}

/// Links filtered; the ladder is a warning, a 30 s timeout, then a ban.
fn rules() -> ModerationRules {
    let links = FilterSettings { enabled: true, ..FilterSettings::default_for(FilterKind::Links) };
    let ladder = vec![
        Penalty { action: ActionKind::Delete, seconds: 0 },
        Penalty { action: ActionKind::Timeout, seconds: 30 },
        Penalty { action: ActionKind::Ban, seconds: 0 },
    ];
    let escalation = Escalation { ladder, strike_expiry_seconds: 600 };
    ModerationRules::compile(&ModerationSettings::default().with_filter(links).with_escalation(escalation))
}

async fn say(bus: &CommandBus, org: &str, who: &Viewer, id: &str, second: i64, text: &str) {
    let mut command = chat_command(who, id, second, text);
    if let ChatCommand::ReceiveChatMessage(message) = &mut command {
        message.moderation = rules();
    }
    let meta = support::metadata(org);
    bus.chat.execute(&who.stream_id(&meta.org), command, &meta).await.expect("chat accepted");
}

async fn moderate(bus: &CommandBus, who: &Viewer, action: ModeratorAction, seconds: u32, second: i64) {
    let meta = EventMetadata { actor: ActorId::parse("twitch:mod-1").unwrap(), ..support::metadata("acme") };
    let command = ChatCommand::Moderate(ModerateViewer {
        action,
        seconds,
        reason: format!("{action} by Mia"),
        by: meta.actor.clone(),
        message_id: None,
        at: platform_time(second),
    });
    bus.chat.execute(&who.stream_id(&meta.org), command, &meta).await.expect("moderation accepted");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn the_log_and_each_viewers_standing_follow_the_decisions(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let bus = bus(&pool);
    let (spammer, other) = (viewer("shroud", "spammer-1"), viewer("shroud", "viewer-2"));
    let t = now_plus(0);
    let spam = "BUY FOLLOWERS AT spam.example/cheap";

    say(&bus, "acme", &spammer, "s1", t, spam).await; // strike 1: delete
    say(&bus, "acme", &spammer, "c1", t + 5, "hello").await; // clean: not in the log
    say(&bus, "acme", &spammer, "s2", t + 10, spam).await; // strike 2: timeout 30
    say(&bus, "acme", &spammer, "t1", t + 20, "hi").await; // timed out: delete
    say(&bus, "acme", &spammer, "s3", t + 60, spam).await; // strike 3: ban
    moderate(&bus, &spammer, ModeratorAction::Unban, 0, t + 120).await;
    moderate(&bus, &other, ModeratorAction::Permit, 60, t + 130).await;
    say(&bus, "acme", &other, "p1", t + 140, "see spam.example/mine").await; // the permit used: clean
    moderate(&bus, &other, ModeratorAction::Timeout, 300, t + 150).await;
    // Another org's channel of the same name.
    say(&bus, "rival", &spammer, "r1", t, spam).await;

    drain(&mut relay).await;
    let config = RunnerConfig::for_projection(&Moderation);
    let codec = Codec::from_catalog().unwrap();
    let mut runner = ProjectionRunner::start(&pool, &kafka, codec, Moderation, config, &CancellationToken::new())
        .await
        .unwrap()
        .expect("the runner gets its lock");
    runner.catch_up(Duration::from_secs(1)).await.unwrap();
    let config = RunnerConfig::for_projection(&Analytics);
    let codec = Codec::from_catalog().unwrap();
    let mut analytics_runner =
        ProjectionRunner::start(&pool, &kafka, codec, Analytics, config, &CancellationToken::new())
            .await
            .unwrap()
            .expect("the runner gets its lock");
    analytics_runner.catch_up(Duration::from_secs(1)).await.unwrap();

    let everything = LogFilter::default();
    let log = moderation::log(&pool, SCHEMA, "acme", "twitch", "shroud", &everything, 100).await.unwrap();
    /// (viewer, action, cause, strikes, decided by)
    type Seen<'a> = (&'a str, &'a str, Option<&'a str>, Option<i64>, &'a str);
    let seen: Vec<Seen<'_>> = log
        .iter()
        .map(|e| (e.user_id.as_str(), e.action.as_str(), e.cause.as_deref(), e.strikes, e.decided_by.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("viewer-2", "timeout", None, None, "twitch:mod-1"),
            ("viewer-2", "permit", None, None, "twitch:mod-1"),
            ("spammer-1", "unban", None, None, "twitch:mod-1"),
            ("spammer-1", "ban", Some("links"), Some(3), "filter"),
            ("spammer-1", "delete", Some("timed_out"), Some(2), "filter"),
            ("spammer-1", "timeout", Some("links"), Some(2), "filter"),
            ("spammer-1", "delete", Some("links"), Some(1), "filter"),
        ],
        "newest first, another org's entries invisible"
    );
    let first = log.last().unwrap();
    assert_eq!((first.text.as_deref(), first.message_id.as_deref()), (Some(spam), Some("s1")));
    assert_eq!(first.evidence, "link \"spam.example\"");

    // Pages follow one another with nothing skipped or repeated.
    let mut paged = Vec::new();
    let mut filter = LogFilter::default();
    loop {
        let page = moderation::log(&pool, SCHEMA, "acme", "twitch", "shroud", &filter, 3).await.unwrap();
        let Some(last) = page.last() else { break };
        filter.before = Some((last.at, last.sequence, last.stream.clone()));
        paged.extend(page);
    }
    assert_eq!(paged, log);
    let bans = LogFilter { action: Some("ban".into()), ..LogFilter::default() };
    assert_eq!(moderation::log(&pool, SCHEMA, "acme", "twitch", "shroud", &bans, 10).await.unwrap().len(), 1);
    let links = LogFilter { cause: Some("links".into()), user_id: Some("spammer-1".into()), ..LogFilter::default() };
    assert_eq!(moderation::log(&pool, SCHEMA, "acme", "twitch", "shroud", &links, 10).await.unwrap().len(), 3);

    // Analytics count the platform actions, in all and by kind (a permit
    // asks nothing of the platform).
    let day = time::Duration::days(1);
    let (from, to) = (platform_time(t).as_datetime() - day, platform_time(t).as_datetime() + day);
    let points = analytics::read(&pool, "projection_analytics", "acme", "shroud", Bucket::Day, from, to).await.unwrap();
    let total = |f: fn(&analytics::Point) -> i64| points.iter().map(f).sum::<i64>();
    assert_eq!(
        [
            total(|p| p.moderation_actions),
            total(|p| p.moderation_deletes),
            total(|p| p.moderation_timeouts),
            total(|p| p.moderation_bans),
            total(|p| p.moderation_unbans),
        ],
        [6, 2, 2, 1, 1]
    );

    let standing = moderation::standing(&pool, SCHEMA, "acme", "twitch", "shroud", "spammer-1").await.unwrap().unwrap();
    assert!(!standing.banned, "unbanned");
    assert!(standing.strike_expiries.is_empty(), "the unban cleared the strikes");
    assert_eq!((standing.bans, standing.timeouts), (1, 1));
    let timed_out = moderation::standing(&pool, SCHEMA, "acme", "twitch", "shroud", "viewer-2").await.unwrap().unwrap();
    assert_eq!(timed_out.timed_out_until, Some(platform_time(t + 450).as_datetime()));
    let nobody = moderation::standing(&pool, SCHEMA, "acme", "twitch", "shroud", "viewer-9").await.unwrap();
    assert_eq!(nobody, None);
    let rival = moderation::standing(&pool, SCHEMA, "rival", "twitch", "shroud", "spammer-1").await.unwrap().unwrap();
    assert_eq!((rival.strike_expiries.len(), rival.banned), (1, false));
    assert_eq!(rival.strike_expiries, [platform_time(t + 600).as_datetime()]);
}
