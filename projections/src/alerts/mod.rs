//! The alerts overlay's read model (`rm_alerts`, `rm_alert_settings`):
//! each channel's follows, subs, gifts, cheers, raids and redemptions in
//! the order they came, and the template each kind shows with. Each batch
//! that adds to a channel's alerts is announced to that channel once; its
//! overlay then reads what came after what it has shown.

mod query;
mod sql;

pub use query::{alerts, Alert};

use std::collections::BTreeMap;

use anyhow::Context;
use sqlx::PgConnection;
use wavestack_domain::broadcast::BroadcastEvent;
use wavestack_domain::channel::ChannelEvent;
use wavestack_domain::value::{BroadcastStreamId, SupportKind};
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::live::{announce, Audience};
use crate::runtime::Projection;

#[derive(Debug, Clone, Copy)]
pub struct Alerts;

impl Projection for Alerts {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn topics(&self) -> Vec<AggregateKind> {
        vec![AggregateKind::Broadcast, AggregateKind::Channel]
    }

    fn tables_sql(&self) -> &'static str {
        include_str!("tables.sql")
    }

    async fn apply(&self, conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
        // Each channel whose alerts grew, with its newest alert.
        let mut changed: BTreeMap<(String, String, String), i64> = BTreeMap::new();
        for envelope in events {
            let id = match &envelope.event {
                LogEvent::Channel(_) => BroadcastStreamId::of_channel_stream(&envelope.aggregate_id),
                _ => BroadcastStreamId::parse(&envelope.aggregate_id),
            }
            .with_context(|| format!("`{}` names no channel", envelope.aggregate_id))?;
            let (org, platform, channel) = (id.org().as_str(), id.platform().as_str(), id.channel().as_str());
            match &envelope.event {
                LogEvent::Broadcast(BroadcastEvent::SupportReceived(e)) => {
                    if e.kind == SupportKind::Sub && e.gifted {
                        continue;
                    }
                    let seq = i64::try_from(envelope.sequence).context("a sequence past i64")?;
                    sqlx::query(&sql::inserting_alert(s))
                        .bind(org)
                        .bind(platform)
                        .bind(channel)
                        .bind(seq)
                        .bind(e.kind.as_str())
                        .bind(e.user_name.as_ref().map(|n| n.as_str()))
                        .bind(e.tier.map(|t| t.as_str()))
                        .bind(i64::try_from(e.amount).unwrap_or(i64::MAX))
                        .bind(&e.message)
                        .bind(&e.reward)
                        .bind(i64::try_from(e.points).unwrap_or(i64::MAX))
                        .bind(e.at.as_datetime())
                        .execute(&mut *conn)
                        .await
                        .context("recording an alert")?;
                    changed.insert((org.to_owned(), platform.to_owned(), channel.to_owned()), seq);
                }
                LogEvent::Channel(ChannelEvent::AlertConfigured(a)) => {
                    sqlx::query(&sql::upserting_setting(s))
                        .bind(org)
                        .bind(platform)
                        .bind(channel)
                        .bind(a.kind.as_str())
                        .bind(&a.template)
                        .bind(a.enabled)
                        .execute(&mut *conn)
                        .await
                        .context("recording an alert's template")?;
                }
                _ => {}
            }
        }
        for ((org, platform, channel), seq) in changed {
            let to = Audience::platform_channel(&org, &platform, &channel);
            announce(conn, s, "alerts", to, &serde_json::json!({ "seq": seq })).await?;
        }
        Ok(())
    }
}
