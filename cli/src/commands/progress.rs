//! The progress line long runs print to stderr: a bar, the rate and the
//! time left.

use std::io::Write;
use std::time::{Duration, Instant};

/// A callback for `(done, total, elapsed)` that redraws the line at most
/// twice a second, and always at the end.
pub(super) fn progress_bar(unit: &'static str) -> impl FnMut(u64, u64, Duration) {
    let mut last_print = Instant::now() - Duration::from_secs(1);
    move |done: u64, total: u64, elapsed: Duration| {
        if last_print.elapsed() >= Duration::from_millis(500) || done == total {
            last_print = Instant::now();
            let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
            let width = 30;
            let filled = (done * width as u64).checked_div(total).map_or(width, |f| f as usize).min(width);
            let eta = if rate > 0.0 { total.saturating_sub(done) as f64 / rate } else { 0.0 };
            eprint!(
                "\r[{}{}] {done}/{total} {unit}, {rate:.0}/s, ETA {eta:.0} s   ",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            let _ = std::io::stderr().flush();
        }
    }
}
