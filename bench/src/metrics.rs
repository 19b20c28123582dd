//! The stack's own counters, read from the query API's `/metrics`
//! (Prometheus text), to give the relay's and the projections' rates.

use std::collections::BTreeMap;

/// Sum of every sample of `name` whose labels contain all of `labels`.
pub fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

/// The value of label `label` of each sample of `name`, summed per value.
pub fn by_label(text: &str, name: &str, label: &str) -> BTreeMap<String, f64> {
    let mut totals = BTreeMap::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let Some((metric, rest)) = series.split_once('{') else { continue };
        let Ok(value) = value.parse::<f64>() else { continue };
        if metric != name {
            continue;
        }
        let needle = format!("{label}=\"");
        if let Some(start) = rest.find(&needle) {
            let rest = &rest[start + needle.len()..];
            if let Some(end) = rest.find('"') {
                *totals.entry(rest[..end].to_owned()).or_default() += value;
            }
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE wavestack_relay_events_total counter
wavestack_relay_events_total{topic=\"wavestack.chat.events.v1\"} 120
wavestack_relay_events_total{topic=\"wavestack.clip.events.v1\"} 3
wavestack_projection_events_applied_total{projection=\"leaderboard\"} 100
wavestack_projection_events_applied_total{projection=\"audit\"} 123
";

    #[test]
    fn sums_and_splits_counters() {
        assert_eq!(sum(TEXT, "wavestack_relay_events_total", &[]), 123.0);
        assert_eq!(sum(TEXT, "wavestack_relay_events_total", &[("topic", "wavestack.clip.events.v1")]), 3.0);
        let by_projection = by_label(TEXT, "wavestack_projection_events_applied_total", "projection");
        assert_eq!(by_projection["audit"], 123.0);
        assert_eq!(sum(TEXT, "missing", &[]), 0.0);
    }
}
