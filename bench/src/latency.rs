//! Latencies, recorded in microseconds, summarised as the percentiles the
//! report gives.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// A histogram of durations in `unit_ns` steps: microseconds for requests,
/// nanoseconds for what takes a few microseconds.
#[derive(Debug)]
pub struct Latencies {
    histogram: Histogram<u64>,
    unit_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Default for Latencies {
    fn default() -> Self {
        // 1 µs to 10 min, three significant figures.
        Self { histogram: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"), unit_ns: 1000 }
    }
}

impl Latencies {
    /// In nanoseconds, 1 ns to 10 s.
    pub fn fine() -> Self {
        Self { histogram: Histogram::new_with_bounds(1, 10_000_000_000, 3).expect("valid bounds"), unit_ns: 1 }
    }

    pub fn record(&mut self, latency: Duration) {
        self.record_n(latency, 1);
    }

    /// `count` requests that took `latency` each (the messages of one batch).
    pub fn record_n(&mut self, latency: Duration, count: u64) {
        let units = latency.as_nanos() / u128::from(self.unit_ns);
        self.histogram.saturating_record_n(units.max(1) as u64, count);
    }

    pub fn merge(&mut self, other: &Latencies) {
        assert_eq!(self.unit_ns, other.unit_ns, "histograms of one unit");
        self.histogram.add(&other.histogram).expect("same bounds");
    }

    pub fn summary(&self) -> Summary {
        let ms = |units: u64| (units * self.unit_ns) as f64 / 1_000_000.0;
        Summary {
            count: self.histogram.len(),
            p50_ms: ms(self.histogram.value_at_quantile(0.5)),
            p90_ms: ms(self.histogram.value_at_quantile(0.9)),
            p99_ms: ms(self.histogram.value_at_quantile(0.99)),
            p999_ms: ms(self.histogram.value_at_quantile(0.999)),
            max_ms: ms(self.histogram.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut latencies = Latencies::default();
        for ms in 1..=1000 {
            latencies.record(Duration::from_millis(ms));
        }
        let summary = latencies.summary();
        assert_eq!(summary.count, 1000);
        assert!((summary.p50_ms - 500.0).abs() < 1.0, "{summary:?}");
        assert!((summary.p99_ms - 990.0).abs() < 1.0, "{summary:?}");
        assert!((summary.max_ms - 1000.0).abs() < 1.0, "{summary:?}");
    }

    #[test]
    fn fine_latencies_keep_nanoseconds() {
        let mut latencies = Latencies::fine();
        for ns in 1..=1000 {
            latencies.record(Duration::from_nanos(ns * 10));
        }
        let summary = latencies.summary();
        assert!((summary.p50_ms - 0.005).abs() < 0.00001, "{summary:?}");
        assert!((summary.max_ms - 0.01).abs() < 0.00001, "{summary:?}");
    }
}
