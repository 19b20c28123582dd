//! Which person each account belongs to, from the account's own identity
//! stream: the only stream that moves it, so the order across streams
//! never matters.

use anyhow::Context;
use sqlx::PgConnection;
use wavestack_domain::identity::IdentityEvent;
use wavestack_domain::value::IdentityStreamId;
use wavestack_schemas::LogEnvelope;

use super::sql;

pub(super) async fn apply(
    conn: &mut PgConnection,
    s: &str,
    envelope: &LogEnvelope,
    event: &IdentityEvent,
) -> anyhow::Result<()> {
    let stream = IdentityStreamId::parse(&envelope.aggregate_id)
        .map_err(|error| anyhow::anyhow!("`{}` {error}", envelope.aggregate_id))?;
    let account = stream.account();
    match event {
        IdentityEvent::PersonJoined(joined) => {
            sqlx::query(&sql::setting_person(s))
                .bind(stream.org().as_str())
                .bind(account.platform.as_str())
                .bind(account.user_id.as_str())
                .bind(joined.root.to_string())
                .execute(conn)
                .await
                .context("updating rm_people")?;
        }
        IdentityEvent::PersonLeft(_) => {
            sqlx::query(&sql::clearing_person(s))
                .bind(stream.org().as_str())
                .bind(account.platform.as_str())
                .bind(account.user_id.as_str())
                .execute(conn)
                .await
                .context("updating rm_people")?;
        }
        _ => {}
    }
    Ok(())
}
