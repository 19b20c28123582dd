//! Leaderboards per channel: points, messages and last seen per viewer,
//! all-time (`rm_leaderboard`) and per UTC day (`rm_leaderboard_daily`, for
//! windows such as the last 7 days). Rank is computed when read, with ties
//! broken by messages, then platform and user id.
//!
//! Across platforms (`read_org`): each account's person (`rm_people`, from
//! each account's own identity stream: `PersonJoined`, `PersonLeft`), so
//! that linked accounts rank as one person with the points and messages of
//! all of them, in every channel of the org. An account with no row is a
//! person of its own.

mod chat_box;
mod people;
mod query;
mod sql;

pub use chat_box::ChatLine;
pub use query::{person_of, read, read_org, viewer_named, Entry, PersonEntry, Window};

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::value::BroadcastStreamId;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::chat_stream::{viewer_of, Viewer};
use crate::live::{announce, Audience};
use crate::runtime::Projection;

#[derive(Debug, Clone, Copy)]
pub struct Leaderboard;

#[derive(Default)]
struct Totals {
    points: i64,
    messages: i64,
    last_seen: Option<OffsetDateTime>,
    author: Option<String>,
}

impl Projection for Leaderboard {
    fn name(&self) -> &'static str {
        "leaderboard"
    }

    fn topics(&self) -> Vec<AggregateKind> {
        // The broadcast: messages moderators removed in the platform's own chat.
        vec![AggregateKind::Chat, AggregateKind::Identity, AggregateKind::Broadcast]
    }

    fn tables_sql(&self) -> &'static str {
        include_str!("tables.sql")
    }

    async fn apply(&self, conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
        // Summed per viewer (and day) first: one statement per table per batch.
        let mut all: HashMap<Viewer, Totals> = HashMap::new();
        let mut daily: HashMap<(Viewer, Date), (i64, i64)> = HashMap::new();
        let mut chat_box = chat_box::ChatBox::default();
        // A rebuild into another schema is no news (see `live::announce`).
        let live = crate::live::is_live(s);
        for envelope in events {
            if let LogEvent::Identity(event) = &envelope.event {
                people::apply(conn, s, envelope, event).await?;
                continue;
            }
            if let LogEvent::Broadcast(event) = &envelope.event {
                if live {
                    let channel = BroadcastStreamId::parse(&envelope.aggregate_id)?;
                    chat_box.see_on_platform(&channel, event);
                }
                continue;
            }
            let LogEvent::Chat(event) = &envelope.event else { continue };
            let viewer = viewer_of(envelope)?;
            if live {
                chat_box.see(&viewer, event);
            }
            match event {
                ChatEvent::ChatMessageReceived(m) => {
                    let at = m.sent_at.as_datetime();
                    let totals = all.entry(viewer.clone()).or_default();
                    totals.messages += 1;
                    if totals.last_seen.is_none_or(|seen| at >= seen) {
                        totals.last_seen = Some(at);
                        totals.author = Some(m.author.to_string());
                    }
                    daily.entry((viewer, at.date())).or_default().1 += 1;
                }
                // Every move of a balance (awards, prices, gifts, refunds,
                // daily bonuses): the leaderboard's points are balances.
                other => {
                    let Some((change, _)) = other.balance_change() else { continue };
                    let day = match other {
                        ChatEvent::PointsAwarded(p) => p.awarded_at,
                        _ => envelope.metadata.occurred_at,
                    };
                    all.entry(viewer.clone()).or_default().points += change;
                    daily.entry((viewer, day.as_datetime().date())).or_default().0 += change;
                }
            }
        }
        let changed = upsert_all(conn, s, all, live).await?;
        upsert_daily(conn, s, daily).await?;
        notify_changes(conn, s, changed).await?;
        chat_box.announce(conn, s).await
    }
}

/// A viewer's totals after the batch, as sent to live subscribers.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Change {
    #[serde(skip)]
    pub org: String,
    #[serde(skip)]
    pub channel: String,
    pub platform: String,
    pub user_id: String,
    pub author: Option<String>,
    pub points: i64,
    pub messages: i64,
}

/// The viewers' new totals come back only for a live model, which
/// announces them; a rebuild has no one to tell.
async fn upsert_all(
    conn: &mut PgConnection,
    s: &str,
    all: HashMap<Viewer, Totals>,
    live: bool,
) -> anyhow::Result<Vec<Change>> {
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns: (Vec<String>, Vec<String>, Vec<String>, Vec<String>) = Default::default();
    let (mut authors, mut points, mut messages, mut seen) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((org, platform, channel, user), totals) in all {
        columns.0.push(org);
        columns.1.push(platform);
        columns.2.push(channel);
        columns.3.push(user);
        authors.push(totals.author);
        points.push(totals.points);
        messages.push(totals.messages);
        seen.push(totals.last_seen);
    }
    let statement = sql::updating_rm_leaderboard(s, live);
    let query = sqlx::query_as::<_, Change>(&statement)
        .bind(&columns.0)
        .bind(&columns.1)
        .bind(&columns.2)
        .bind(&columns.3)
        .bind(&authors)
        .bind(&points)
        .bind(&messages)
        .bind(&seen);
    if live {
        query.fetch_all(conn).await.context("updating rm_leaderboard")
    } else {
        query.fetch_optional(conn).await.context("updating rm_leaderboard")?;
        Ok(Vec::new())
    }
}

/// One announcement per (org, channel) changed by the batch.
async fn notify_changes(conn: &mut PgConnection, s: &str, changes: Vec<Change>) -> anyhow::Result<()> {
    let mut by_channel: HashMap<(String, String), Vec<Change>> = HashMap::new();
    for change in changes {
        by_channel.entry((change.org.clone(), change.channel.clone())).or_default().push(change);
    }
    for ((org, channel), changes) in by_channel {
        announce(conn, s, "leaderboard", Audience::channel(&org, &channel), &changes).await?;
    }
    Ok(())
}

async fn upsert_daily(
    conn: &mut PgConnection,
    s: &str,
    daily: HashMap<(Viewer, Date), (i64, i64)>,
) -> anyhow::Result<()> {
    if daily.is_empty() {
        return Ok(());
    }
    let mut columns: (Vec<String>, Vec<String>, Vec<String>, Vec<String>) = Default::default();
    let (mut days, mut points, mut messages) = (Vec::new(), Vec::new(), Vec::new());
    for (((org, platform, channel, user), day), (p, m)) in daily {
        columns.0.push(org);
        columns.1.push(platform);
        columns.2.push(channel);
        columns.3.push(user);
        days.push(day);
        points.push(p);
        messages.push(m);
    }
    sqlx::query(&sql::updating_rm_leaderboard_daily(s))
        .bind(&columns.0)
        .bind(&columns.1)
        .bind(&columns.2)
        .bind(&columns.3)
        .bind(&days)
        .bind(&points)
        .bind(&messages)
        .execute(conn)
        .await
        .context("updating rm_leaderboard_daily")?;
    Ok(())
}
