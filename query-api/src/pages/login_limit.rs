//! Failed logins, counted per account (org and username) and per client
//! address over a sliding window: password guessing gets a handful of
//! tries, then waits. Kept in memory: a restart forgets, which costs a
//! guesser one more window, not an account.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How far back failures count.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures one account may see in the window.
pub(crate) const PER_ACCOUNT: usize = 5;
/// Failures one address may cause in the window (over all accounts).
pub(crate) const PER_ADDRESS: usize = 30;
/// Keys remembered at most; the oldest are forgotten past it.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub(crate) struct LoginLimit {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimit {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(wait)` when any key is over its limit: how long until it is not.
    pub(crate) fn check(&self, keys: &[(&str, usize)], now: Instant) -> Result<(), Duration> {
        let mut failures = self.lock();
        let mut wait = Duration::ZERO;
        for (key, limit) in keys {
            if let Some(times) = failures.get_mut(*key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                if times.len() >= *limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.max(Duration::from_secs(1)))
        }
    }

    pub(crate) fn fail(&self, keys: &[&str], now: Instant) {
        let mut failures = self.lock();
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in keys {
            failures.entry((*key).to_owned()).or_default().push_back(now);
        }
    }

    /// A successful login clears its account's failures (not its address's).
    pub(crate) fn succeed(&self, account: &str) {
        self.lock().remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_waits_after_its_failures_until_the_oldest_ages_out() {
        let limit = LoginLimit::default();
        let start = Instant::now();
        for i in 0..PER_ACCOUNT {
            assert!(limit.check(&[("acme/ada", PER_ACCOUNT)], start).is_ok(), "attempt {i}");
            limit.fail(&["acme/ada"], start + Duration::from_secs(i as u64));
        }
        let wait = limit.check(&[("acme/ada", PER_ACCOUNT)], start + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, WINDOW - Duration::from_secs(10));
        assert!(limit.check(&[("acme/bob", PER_ACCOUNT)], start).is_ok(), "another account is not held up");
        assert!(limit.check(&[("acme/ada", PER_ACCOUNT)], start + WINDOW + Duration::from_secs(1)).is_ok());
        limit.succeed("acme/ada");
        assert!(limit.check(&[("acme/ada", PER_ACCOUNT)], start + Duration::from_secs(10)).is_ok());
    }
}
