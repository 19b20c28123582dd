//! Channel analytics: per channel and UTC minute, hour and day — messages,
//! unique chatters, commands invoked, clips requested/rendered/failed and
//! publications queued/published/failed (`rm_channel_analytics`).
//!
//! Unique chatters cannot be summed from smaller buckets, so each bucket
//! keeps its set of chatters (`rm_channel_chatters`) and counts a chatter
//! when it first enters the set.
//!
//! Clip and publication events after the first do not name the channel:
//! the projection remembers each clip's channel and each publication's
//! clip. The log orders events per aggregate only, so a publication may be
//! read before the request of its clip; its counts wait
//! (`analytics_waiting`) until the clip's channel is known.

mod bucket;
mod query;
mod sql;
mod tally;

pub use bucket::Bucket;
pub use query::{read, Point};

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use sqlx::PgConnection;
use time::OffsetDateTime;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::runtime::Projection;
use tally::{facts_of, Counter, Fact, Links, Place};

#[derive(Debug, Clone, Copy)]
pub struct Analytics;

/// org, channel, bucket, bucket start
type BucketKey = (String, String, Bucket, OffsetDateTime);

/// The counters in `Counter::ALL` order, then unique chatters.
type Counts = [i64; Counter::ALL.len() + 1];
const UNIQUE_CHATTERS: usize = Counter::ALL.len();

impl Projection for Analytics {
    fn name(&self) -> &'static str {
        "analytics"
    }

    fn topics(&self) -> Vec<AggregateKind> {
        vec![
            AggregateKind::Chat,
            AggregateKind::Clip,
            AggregateKind::Publication,
            AggregateKind::CommandUse,
            AggregateKind::Broadcast,
        ]
    }

    fn tables_sql(&self) -> &'static str {
        include_str!("tables.sql")
    }

    async fn apply(&self, conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
        let mut links = Links::default();
        links.learn(events);
        store_links(conn, s, &links).await?;
        load_links(conn, s, events, &mut links).await?;

        let mut counted: Vec<(String, Fact)> = Vec::new();
        let mut waiting: Vec<(String, Fact)> = Vec::new();
        for envelope in events {
            for fact in facts_of(envelope, &links)? {
                match &fact.place {
                    Place::Channel(channel) => counted.push((channel.clone(), fact)),
                    Place::Clip(clip) => match links.clip_channels.get(clip) {
                        Some(channel) => counted.push((channel.clone(), fact)),
                        None => waiting.push((clip.clone(), fact)),
                    },
                }
            }
        }
        store_waiting(conn, s, &waiting).await?;
        let requested: Vec<&str> = events
            .iter()
            .filter(|e| matches!(&e.event, LogEvent::Clip(wavestack_domain::clip::ClipEvent::ClipRequested(_))))
            .map(|e| e.aggregate_id.as_str())
            .collect();
        for (clip, fact) in release_waiting(conn, s, &requested).await? {
            let channel = links.clip_channels.get(&clip).context("a released clip has a channel")?;
            counted.push((channel.clone(), fact));
        }

        let mut counts: HashMap<BucketKey, Counts> = HashMap::new();
        let mut chatters: HashSet<(BucketKey, String, String)> = HashSet::new();
        for (channel, fact) in counted {
            let slot = Counter::ALL.iter().position(|c| *c == fact.counter).expect("every counter is in ALL");
            for bucket in Bucket::ALL {
                let key = (fact.org.clone(), channel.clone(), bucket, bucket.start_of(fact.at));
                counts.entry(key.clone()).or_default()[slot] += fact.count;
                if let Some((platform, user)) = &fact.chatter {
                    chatters.insert((key, platform.clone(), user.clone()));
                }
            }
        }
        for key in new_chatters(conn, s, chatters).await? {
            counts.entry(key).or_default()[UNIQUE_CHATTERS] += 1;
        }
        upsert_counts(conn, s, counts).await
    }
}

async fn store_links(conn: &mut PgConnection, s: &str, links: &Links) -> anyhow::Result<()> {
    let (clips, channels): (Vec<&String>, Vec<&String>) = links.clip_channels.iter().unzip();
    sqlx::query(&sql::remembering_clip_channels(s))
        .bind(&clips)
        .bind(&channels)
        .execute(&mut *conn)
        .await
        .context("remembering clip channels")?;
    let (publications, clips): (Vec<&String>, Vec<&Option<String>>) = links.publication_clips.iter().unzip();
    sqlx::query(&sql::remembering_publication_clips(s))
        .bind(&publications)
        .bind(&clips)
        .execute(&mut *conn)
        .await
        .context("remembering publication clips")?;
    Ok(())
}

/// Adds the links of earlier batches the events of this one need.
async fn load_links(conn: &mut PgConnection, s: &str, events: &[LogEnvelope], links: &mut Links) -> anyhow::Result<()> {
    let publications: Vec<&str> = events
        .iter()
        .filter(|e| matches!(e.event, LogEvent::Publication(_)))
        .map(|e| e.aggregate_id.as_str())
        .filter(|id| !links.publication_clips.contains_key(*id))
        .collect();
    if !publications.is_empty() {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(&sql::reading_publication_clips(s))
            .bind(&publications)
            .fetch_all(&mut *conn)
            .await
            .context("reading publication clips")?;
        links.publication_clips.extend(rows);
    }
    let clips: Vec<&str> = events
        .iter()
        .filter(|e| matches!(e.event, LogEvent::Clip(_)))
        .map(|e| e.aggregate_id.as_str())
        .chain(links.publication_clips.values().flatten().map(String::as_str))
        .filter(|id| !links.clip_channels.contains_key(*id))
        .collect();
    if !clips.is_empty() {
        let rows: Vec<(String, String)> = sqlx::query_as(&sql::reading_clip_channels(s))
            .bind(&clips)
            .fetch_all(&mut *conn)
            .await
            .context("reading clip channels")?;
        links.clip_channels.extend(rows);
    }
    Ok(())
}

async fn store_waiting(conn: &mut PgConnection, s: &str, waiting: &[(String, Fact)]) -> anyhow::Result<()> {
    if waiting.is_empty() {
        return Ok(());
    }
    let orgs: Vec<&str> = waiting.iter().map(|(_, f)| f.org.as_str()).collect();
    let clips: Vec<&str> = waiting.iter().map(|(c, _)| c.as_str()).collect();
    let counters: Vec<&str> = waiting.iter().map(|(_, f)| f.counter.as_str()).collect();
    let ats: Vec<OffsetDateTime> = waiting.iter().map(|(_, f)| f.at).collect();
    let counts: Vec<i64> = waiting.iter().map(|(_, f)| f.count).collect();
    sqlx::query(&sql::keeping_counts_until_their_clip_is_known(s))
        .bind(&orgs)
        .bind(&clips)
        .bind(&counters)
        .bind(&ats)
        .bind(&counts)
        .execute(conn)
        .await
        .context("keeping counts until their clip is known")?;
    Ok(())
}

/// The waiting counts of clips whose request this batch holds.
async fn release_waiting(conn: &mut PgConnection, s: &str, clips: &[&str]) -> anyhow::Result<Vec<(String, Fact)>> {
    if clips.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String, String, OffsetDateTime, i64)> = sqlx::query_as(&sql::releasing_waiting_counts(s))
        .bind(clips)
        .fetch_all(conn)
        .await
        .context("releasing waiting counts")?;
    rows.into_iter()
        .map(|(org, clip, counter, at, count)| {
            let counter = Counter::parse(&counter).with_context(|| format!("unknown counter `{counter}`"))?;
            Ok((clip.clone(), Fact { org, place: Place::Clip(clip), counter, at, count, chatter: None }))
        })
        .collect()
}

/// Adds the chatters to their buckets' sets; returns one bucket key per
/// chatter that was not in the set yet.
async fn new_chatters(
    conn: &mut PgConnection,
    s: &str,
    chatters: HashSet<(BucketKey, String, String)>,
) -> anyhow::Result<Vec<BucketKey>> {
    if chatters.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns: (Vec<String>, Vec<String>, Vec<&str>, Vec<OffsetDateTime>) = Default::default();
    let (mut platforms, mut users) = (Vec::new(), Vec::new());
    for ((org, channel, bucket, start), platform, user) in chatters {
        columns.0.push(org);
        columns.1.push(channel);
        columns.2.push(bucket.as_str());
        columns.3.push(start);
        platforms.push(platform);
        users.push(user);
    }
    let rows: Vec<(String, String, String, OffsetDateTime)> = sqlx::query_as(&sql::updating_rm_channel_chatters(s))
        .bind(&columns.0)
        .bind(&columns.1)
        .bind(&columns.2)
        .bind(&columns.3)
        .bind(&platforms)
        .bind(&users)
        .fetch_all(conn)
        .await
        .context("updating rm_channel_chatters")?;
    rows.into_iter()
        .map(|(org, channel, bucket, start)| {
            let bucket = Bucket::parse(&bucket).with_context(|| format!("unknown bucket `{bucket}`"))?;
            Ok((org, channel, bucket, start))
        })
        .collect()
}

async fn upsert_counts(conn: &mut PgConnection, s: &str, counts: HashMap<BucketKey, Counts>) -> anyhow::Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let mut keys: (Vec<String>, Vec<String>, Vec<&str>, Vec<OffsetDateTime>) = Default::default();
    let mut values: Vec<Vec<i64>> = (0..=UNIQUE_CHATTERS).map(|_| Vec::with_capacity(counts.len())).collect();
    for ((org, channel, bucket, start), row) in counts {
        keys.0.push(org);
        keys.1.push(channel);
        keys.2.push(bucket.as_str());
        keys.3.push(start);
        for (column, value) in values.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let names: Vec<&str> = Counter::ALL.iter().map(|c| c.as_str()).chain(["unique_chatters"]).collect();
    let arrays: Vec<String> = (5..5 + names.len()).map(|n| format!("${n}::bigint[]")).collect();
    let updates: Vec<String> = names.iter().map(|n| format!("{n} = r.{n} + EXCLUDED.{n}")).collect();
    let sql = sql::upserting_buckets(s, &names.join(", "), &arrays.join(", "), &updates.join(", "));
    let mut query = sqlx::query(&sql).bind(&keys.0).bind(&keys.1).bind(&keys.2).bind(&keys.3);
    for column in &values {
        query = query.bind(column);
    }
    query.execute(conn).await.context("updating rm_channel_analytics")?;
    Ok(())
}
