//! Giveaways and polls as the dashboard and overlays read them
//! (`rm_giveaways`, `rm_polls`): where each is, its entry count or vote
//! counts, a giveaway's commitment, revealed seed and winners. Each change
//! is announced on the live feed to the channels it runs in, once per
//! batch: an overlay sees the entries count and the votes move.

mod query;
mod sql;

pub use query::{giveaway, giveaways, poll, polls, Giveaway, Poll};

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;
use wavestack_domain::giveaway::GiveawayEvent;
use wavestack_domain::poll::PollEvent;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::live::{announce, Audience};
use crate::runtime::Projection;

#[derive(Debug, Clone, Copy)]
pub struct Community;

/// A giveaway or poll: (org, id).
type Key = (String, Uuid);

/// What a batch changed, to announce once each.
#[derive(Default)]
struct Changed {
    giveaways: BTreeSet<Key>,
    polls: BTreeSet<Key>,
}

impl Projection for Community {
    fn name(&self) -> &'static str {
        "community"
    }

    fn topics(&self) -> Vec<AggregateKind> {
        vec![AggregateKind::Giveaway, AggregateKind::Poll]
    }

    fn tables_sql(&self) -> &'static str {
        include_str!("tables.sql")
    }

    async fn apply(&self, conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
        let mut changed = Changed::default();
        // Entries are counted once per giveaway and batch (a popular one
        // takes hundreds a batch), before its next other event, in order.
        let mut entries: BTreeMap<Key, (i64, OffsetDateTime)> = BTreeMap::new();
        for envelope in events {
            let org = envelope.metadata.org.to_string();
            let Some((_, raw_id)) = envelope.aggregate_id.split_once('/') else { continue };
            let id = Uuid::parse_str(raw_id).with_context(|| format!("`{}` names no uuid", envelope.aggregate_id))?;
            match &envelope.event {
                LogEvent::Giveaway(GiveawayEvent::EntryAccepted(e)) => {
                    let at = e.entered_at.as_datetime();
                    let counted = entries.entry((org.clone(), id)).or_insert((0, at));
                    *counted = (counted.0 + 1, at);
                    changed.giveaways.insert((org, id));
                }
                LogEvent::Giveaway(event) => {
                    if let Some((count, at)) = entries.remove(&(org.clone(), id)) {
                        count_entries(conn, s, &org, id, count, at).await?;
                    }
                    apply_giveaway(conn, s, &org, id, event).await?;
                    changed.giveaways.insert((org, id));
                }
                LogEvent::Poll(event) => {
                    apply_poll(conn, s, &org, id, event).await?;
                    changed.polls.insert((org, id));
                }
                _ => {}
            }
        }
        for ((org, id), (count, at)) in entries {
            count_entries(conn, s, &org, id, count, at).await?;
        }
        for (org, id) in changed.giveaways {
            if let Some(g) = query::giveaway_in(conn, s, &org, id).await? {
                for channel in &g.channels {
                    announce(conn, s, "giveaway", Audience::channel_ref(&org, channel), &g).await?;
                }
            }
        }
        for (org, id) in changed.polls {
            if let Some(p) = query::poll_in(conn, s, &org, id).await? {
                for channel in &p.channels {
                    announce(conn, s, "poll", Audience::channel_ref(&org, channel), &p).await?;
                }
            }
        }
        Ok(())
    }
}

async fn count_entries(
    conn: &mut PgConnection,
    s: &str,
    org: &str,
    id: Uuid,
    count: i64,
    at: OffsetDateTime,
) -> anyhow::Result<()> {
    sqlx::query(&sql::updating_giveaway(s))
        .bind(org)
        .bind(id)
        .bind(count)
        .bind(None::<&str>)
        .bind(at)
        .execute(conn)
        .await
        .context("counting entries")?;
    Ok(())
}

async fn apply_giveaway(
    conn: &mut PgConnection,
    s: &str,
    org: &str,
    id: Uuid,
    event: &GiveawayEvent,
) -> anyhow::Result<()> {
    let updating = sql::updating_giveaway(s);
    let update = |entries: i64, phase: Option<&'static str>, at: time::OffsetDateTime| {
        sqlx::query(&updating).bind(org).bind(id).bind(entries).bind(phase).bind(at)
    };
    match event {
        GiveawayEvent::GiveawayOpened(o) => {
            sqlx::query(&sql::inserting_giveaway(s))
                .bind(org)
                .bind(id)
                .bind(&o.title)
                .bind(o.channels.iter().map(ToString::to_string).collect::<Vec<_>>())
                .bind(o.rules.keyword.as_str())
                .bind(i64::try_from(o.rules.cost).unwrap_or(i64::MAX))
                .bind(o.rules.min_level.as_str())
                .bind(i32::try_from(o.rules.subscriber_luck).unwrap_or(i32::MAX))
                .bind(o.rules.closes_at.map(|t| t.as_datetime()))
                .bind(&o.commitment)
                .bind(o.opened_at.as_datetime())
                .execute(&mut *conn)
                .await
                .context("inserting a giveaway")?;
        }
        // Counted by the batch (`count_entries`).
        GiveawayEvent::EntryAccepted(_) => {}
        GiveawayEvent::GiveawayClosed(c) => {
            update(0, Some("closed"), c.closed_at.as_datetime()).execute(&mut *conn).await.context("closing")?;
        }
        GiveawayEvent::GiveawayCancelled(c) => {
            update(0, Some("cancelled"), c.cancelled_at.as_datetime())
                .execute(&mut *conn)
                .await
                .context("cancelling")?;
        }
        GiveawayEvent::WinnersDrawn(d) => {
            let winners: Vec<serde_json::Value> = d
                .winners
                .iter()
                .map(|w| {
                    serde_json::json!({
                        "round": d.round, "entry": w.entry, "person": w.person, "account": w.account,
                        "author": w.author, "replaces": d.replaces,
                    })
                })
                .collect();
            sqlx::query(&sql::drawing_giveaway(s))
                .bind(org)
                .bind(id)
                .bind(&d.seed)
                .bind(serde_json::Value::Array(winners))
                .bind(d.drawn_at.as_datetime())
                .execute(&mut *conn)
                .await
                .context("recording a draw")?;
        }
        GiveawayEvent::EntryAbandoned(_) => {}
    }
    Ok(())
}

async fn apply_poll(conn: &mut PgConnection, s: &str, org: &str, id: Uuid, event: &PollEvent) -> anyhow::Result<()> {
    match event {
        PollEvent::PollOpened(o) => {
            sqlx::query(&sql::inserting_poll(s))
                .bind(org)
                .bind(id)
                .bind(&o.question)
                .bind(&o.options)
                .bind(o.channels.iter().map(ToString::to_string).collect::<Vec<_>>())
                .bind(o.allow_change)
                .bind(vec![0_i64; o.options.len()])
                .bind(o.opened_at.as_datetime())
                .bind(o.closes_at.as_datetime())
                .execute(&mut *conn)
                .await
                .context("inserting a poll")?;
        }
        PollEvent::VoteCast(v) => {
            sqlx::query(&sql::counting_vote(s))
                .bind(org)
                .bind(id)
                .bind(i64::from(v.option) + 1)
                .bind(v.previous.map(|p| i64::from(p) + 1))
                .execute(&mut *conn)
                .await
                .context("counting a vote")?;
        }
        PollEvent::PollClosed(c) => {
            let counts: Vec<i64> = c.counts.iter().map(|n| i64::try_from(*n).unwrap_or(i64::MAX)).collect();
            sqlx::query(&sql::ending_poll(s))
                .bind(org)
                .bind(id)
                .bind("closed")
                .bind(Some(counts))
                .bind(c.closed_at.as_datetime())
                .execute(&mut *conn)
                .await
                .context("closing a poll")?;
        }
        PollEvent::PollCancelled(c) => {
            sqlx::query(&sql::ending_poll(s))
                .bind(org)
                .bind(id)
                .bind("cancelled")
                .bind(None::<Vec<i64>>)
                .bind(c.cancelled_at.as_datetime())
                .execute(&mut *conn)
                .await
                .context("cancelling a poll")?;
        }
    }
    Ok(())
}
