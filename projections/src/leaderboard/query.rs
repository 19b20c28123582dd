//! Reading a channel's leaderboard, ranked.

use anyhow::Context;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::runtime::{check_schema_name, read_model_missing};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    AllTime,
    /// Today and the six UTC days before it.
    LastSevenDays,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Entry {
    pub rank: i64,
    pub platform: String,
    pub user_id: String,
    pub author: Option<String>,
    pub points: i64,
    pub messages: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
}

/// Ranks `after_rank + 1 ..= after_rank + limit` of the channel: points
/// descending, then messages descending, then platform and user id.
pub async fn read(
    pool: &PgPool,
    schema: &str,
    org: &str,
    channel: &str,
    window: Window,
    after_rank: i64,
    limit: i64,
) -> anyhow::Result<Vec<Entry>> {
    check_schema_name(schema)?;
    let ranked = match window {
        Window::AllTime => super::sql::totals_all_time(schema),
        Window::LastSevenDays => super::sql::totals_last_seven_days(schema),
    };
    let since = (OffsetDateTime::now_utc() - Duration::days(6)).date();
    sqlx::query_as(&super::sql::ranked(&ranked))
        .bind(org)
        .bind(channel)
        .bind(after_rank)
        .bind(limit)
        .bind(since)
        .fetch_all(pool)
        .await
        // The projection has not started yet: nothing to rank.
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading the leaderboard")
}

/// A person on the org's cross-platform leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PersonEntry {
    pub rank: i64,
    /// `platform:user` of the account the person is rooted at.
    pub person: String,
    pub author: Option<String>,
    pub points: i64,
    pub messages: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
    /// Every account of the person that has chatted in the org.
    pub accounts: Vec<String>,
}

/// Ranks `after_rank + 1 ..= after_rank + limit` of the org's people,
/// linked accounts counting as one.
pub async fn read_org(
    pool: &PgPool,
    schema: &str,
    org: &str,
    window: Window,
    after_rank: i64,
    limit: i64,
) -> anyhow::Result<Vec<PersonEntry>> {
    check_schema_name(schema)?;
    let totals = super::sql::people_totals(schema, window == Window::LastSevenDays);
    let since = (OffsetDateTime::now_utc() - Duration::days(6)).date();
    sqlx::query_as(&super::sql::people_ranked(&totals))
        .bind(org)
        .bind(after_rank)
        .bind(limit)
        .bind(since)
        .fetch_all(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading the cross-platform leaderboard")
}

/// The person an account belongs to, and the person's accounts known to
/// the read model (the root's own included).
pub async fn person_of(pool: &PgPool, schema: &str, org: &str, account: &str) -> anyhow::Result<(String, Vec<String>)> {
    check_schema_name(schema)?;
    let Some((platform, user)) = account.split_once(':') else { anyhow::bail!("`{account}` is no account") };
    let person: Option<String> = sqlx::query_scalar(&super::sql::person_of(schema))
        .bind(org)
        .bind(platform)
        .bind(user)
        .fetch_optional(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(None) } else { Err(e) })
        .context("reading a person")?;
    let person = person.unwrap_or_else(|| account.to_owned());
    let mut accounts: Vec<String> = sqlx::query_scalar(&super::sql::accounts_of(schema))
        .bind(org)
        .bind(&person)
        .fetch_all(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading a person's accounts")?;
    if !accounts.contains(&person) {
        accounts.push(person.clone());
        accounts.sort();
    }
    Ok((person, accounts))
}

/// The user id of the channel's viewer whose latest display name is
/// `name` (any case, without `@`), the most recently seen first; `None`
/// when nobody of that name has chatted there (or the projection has not
/// started yet).
pub async fn viewer_named(
    pool: &PgPool,
    schema: &str,
    org: &str,
    platform: &str,
    channel: &str,
    name: &str,
) -> anyhow::Result<Option<String>> {
    check_schema_name(schema)?;
    let sql = format!(
        "SELECT user_id FROM {schema}.rm_leaderboard
          WHERE org = $1 AND platform = $2 AND channel = $3 AND lower(author) = lower($4)
          ORDER BY last_seen DESC NULLS LAST LIMIT 1"
    );
    let found: Result<Option<(String,)>, sqlx::Error> =
        sqlx::query_as(&sql).bind(org).bind(platform).bind(channel).bind(name).fetch_optional(pool).await;
    match found {
        Ok(row) => Ok(row.map(|(id,)| id)),
        Err(e) if read_model_missing(&e) => Ok(None),
        Err(e) => Err(e).context("looking a viewer up by name"),
    }
}
