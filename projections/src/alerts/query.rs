//! Reading a channel's alerts as its overlay shows them: each rendered
//! with the channel's template for its kind, disabled kinds left out.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgPool;
use time::OffsetDateTime;
use wavestack_domain::broadcast::SupportReceived;
use wavestack_domain::channel::AlertSettings;
use wavestack_domain::value::{DisplayName, PlatformEventId, SubTier, SupportKind, Timestamp};

use super::sql;
use crate::runtime::{check_schema_name, read_model_missing};

/// One alert, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// Its place in the channel's broadcast stream: alerts show in this order.
    pub seq: i64,
    pub kind: String,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

type Row = (i64, String, Option<String>, Option<String>, i64, String, String, i64, OffsetDateTime);

/// The channel's alerts after `after` (its newest `count` of them), oldest
/// first, and the newest alert's `seq` (`after` when none came since).
pub async fn alerts(
    pool: &PgPool,
    schema: &str,
    channel: (&str, &str, &str),
    after: i64,
    count: i64,
) -> anyhow::Result<(Vec<Alert>, i64)> {
    check_schema_name(schema)?;
    let (org, platform, name) = channel;
    let read = sqlx::query_as::<_, Row>(&sql::reading_alerts(schema))
        .bind(org)
        .bind(platform)
        .bind(name)
        .bind(after)
        .bind(count)
        .fetch_all(pool)
        .await;
    let rows = match read {
        Err(error) if read_model_missing(&error) => return Ok((Vec::new(), after)),
        other => other.context("reading alerts")?,
    };
    let configured: Vec<(String, String, bool)> = sqlx::query_as(&sql::reading_settings(schema))
        .bind(org)
        .bind(platform)
        .bind(name)
        .fetch_all(pool)
        .await
        .context("reading alert settings")?;
    let settings: HashMap<SupportKind, AlertSettings> = configured
        .into_iter()
        .filter_map(|(kind, template, enabled)| {
            let kind = SupportKind::parse(&kind).ok()?;
            Some((kind, AlertSettings { kind, template, enabled }))
        })
        .collect();
    // Newest first, disabled kinds included: the first is the newest of all.
    let latest = rows.first().map_or(after, |row| row.0);
    let mut shown: Vec<Alert> = rows.into_iter().filter_map(|row| shown(row, &settings)).collect();
    shown.reverse();
    Ok((shown, latest))
}

fn shown(row: Row, settings: &HashMap<SupportKind, AlertSettings>) -> Option<Alert> {
    let (seq, kind, user_name, tier, amount, message, reward, points, at) = row;
    let kind = SupportKind::parse(&kind).ok()?;
    let alert = settings.get(&kind).cloned().unwrap_or_else(|| AlertSettings::default_for(kind));
    if !alert.enabled {
        return None;
    }
    // Rendered by the domain's own rule, from the fields an alert shows.
    let support = SupportReceived {
        event_id: PlatformEventId::parse("shown").ok()?,
        kind,
        user_id: None,
        user_name: user_name.and_then(|n| DisplayName::parse(n).ok()),
        tier: tier.and_then(|t| SubTier::parse(&t).ok()),
        amount: u64::try_from(amount).unwrap_or(0),
        gifted: false,
        message,
        reward,
        points: u64::try_from(points).unwrap_or(0),
        at: Timestamp::from_datetime(at),
    };
    Some(Alert { seq, kind: kind.to_string(), text: alert.render(&support), at })
}
