//! Every statement of the alerts read model, in one place. Each takes the
//! schema the model lives in (a checked `SchemaName`, never input).

pub(super) fn inserting_alert(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_alerts (org, platform, channel, seq, kind, user_name, tier, amount, message, reward, points, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (org, platform, channel, seq) DO NOTHING"
    )
}

pub(super) fn upserting_setting(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_alert_settings (org, platform, channel, kind, template, enabled)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org, platform, channel, kind) DO UPDATE SET template = $5, enabled = $6"
    )
}

/// The newest `$5` alerts after `$4`, newest first.
pub(super) fn reading_alerts(s: &str) -> String {
    format!(
        "SELECT seq, kind, user_name, tier, amount, message, reward, points, at FROM {s}.rm_alerts
          WHERE org = $1 AND platform = $2 AND channel = $3 AND seq > $4
          ORDER BY seq DESC LIMIT $5"
    )
}

pub(super) fn reading_settings(s: &str) -> String {
    format!(
        "SELECT kind, template, enabled FROM {s}.rm_alert_settings
          WHERE org = $1 AND platform = $2 AND channel = $3"
    )
}
