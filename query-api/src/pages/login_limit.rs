//! Failed logins, counted over a sliding window per account at one
//! address, per address (over all accounts) and per account (from every
//! address): password guessing gets a handful of tries, then waits.
//!
//! - An attempt counts as a failure from the moment it is let in, before
//!   its password is checked, and stops counting only if it succeeds: so
//!   requests in flight together cannot all pass the check, and at most
//!   the limit's number of passwords are ever checked for an account.
//! - The tight limit is per account *and address*: a stranger who fails
//!   five times locks out themselves, not the owner. The per-account limit
//!   over every address is far higher: it bounds a guesser with many
//!   addresses, who is the only one able to hold an account.
//!
//! Kept in memory: a restart forgets, which costs a guesser one more
//! window, not an account.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wavestack_domain::value::{OrgId, Username};

/// How far back failures count.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures one account may see from one address in the window.
pub(crate) const PER_ACCOUNT_AT_ADDRESS: usize = 5;
/// Failures one address may cause in the window (over all accounts).
pub(crate) const PER_ADDRESS: usize = 30;
/// Failures one account may see from every address together.
pub(crate) const PER_ACCOUNT: usize = 100;
/// Keys remembered at most; the oldest are forgotten past it.
const MAX_KEYS: usize = 100_000;

type Failures = HashMap<String, VecDeque<Instant>>;

#[derive(Debug, Default)]
pub(crate) struct LoginLimit {
    failures: Mutex<Failures>,
}

/// The keys one login attempt counts against, with their limits.
fn keys(org: &OrgId, username: &Username, address: IpAddr) -> [(String, usize); 3] {
    [
        (format!("account:{org}/{username}@{address}"), PER_ACCOUNT_AT_ADDRESS),
        (format!("address:{address}"), PER_ADDRESS),
        (format!("account:{org}/{username}"), PER_ACCOUNT),
    ]
}

/// A login let in: a failure on every key until it `succeeded`. Dropped
/// without either (the check itself failed on our side), it counts for
/// nothing.
#[derive(Debug)]
pub(crate) struct Attempt<'a> {
    limit: &'a LoginLimit,
    keys: [(String, usize); 3],
    at: Instant,
    settled: bool,
}

impl LoginLimit {
    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lets an attempt in, counted at once, or `Err(wait)` when any of its
    /// keys is at its limit: how long until it is not.
    pub(crate) fn begin(
        &self,
        org: &OrgId,
        username: &Username,
        address: IpAddr,
        now: Instant,
    ) -> Result<Attempt<'_>, Duration> {
        let keys = keys(org, username, address);
        let mut failures = self.lock();
        let mut wait = Duration::ZERO;
        for (key, limit) in &keys {
            if let Some(times) = failures.get_mut(key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                if times.len() >= *limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait.max(Duration::from_secs(1)));
        }
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for (key, _) in &keys {
            failures.entry(key.clone()).or_default().push_back(now);
        }
        drop(failures);
        Ok(Attempt { limit: self, keys, at: now, settled: false })
    }

    fn withdraw(&self, keys: &[(String, usize)], at: Instant) {
        let mut failures = self.lock();
        for (key, _) in keys {
            if let Some(times) = failures.get_mut(key) {
                if let Some(index) = times.iter().rposition(|t| *t == at) {
                    times.remove(index);
                }
            }
        }
    }
}

impl Attempt<'_> {
    /// The password was right: this attempt stops counting, and so do the
    /// account's earlier failures at this address.
    pub(crate) fn succeeded(mut self) {
        self.settled = true;
        self.limit.withdraw(&self.keys, self.at);
        self.limit.lock().remove(&self.keys[0].0);
    }

    /// The password was wrong: it stays a failure.
    pub(crate) fn failed(mut self) {
        self.settled = true;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.limit.withdraw(&self.keys, self.at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(name: &str) -> (OrgId, Username) {
        (OrgId::parse("acme").unwrap(), Username::parse(name).unwrap())
    }

    #[test]
    fn an_account_waits_at_an_address_after_its_failures_until_the_oldest_ages_out() {
        let limit = LoginLimit::default();
        let (org, ada) = who("ada");
        let (_, bob) = who("bob");
        let stranger: IpAddr = "10.0.0.1".parse().unwrap();
        let owner: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        for i in 0..PER_ACCOUNT_AT_ADDRESS {
            limit.begin(&org, &ada, stranger, start + Duration::from_secs(i as u64)).expect("let in").failed();
        }
        let wait = limit.begin(&org, &ada, stranger, start + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, WINDOW - Duration::from_secs(10));
        assert!(limit.begin(&org, &bob, stranger, start).is_ok(), "another account is not held up");
        assert!(limit.begin(&org, &ada, owner, start).is_ok(), "nor the owner at another address");
        assert!(limit.begin(&org, &ada, stranger, start + WINDOW + Duration::from_secs(5)).is_ok());
    }

    #[test]
    fn attempts_in_flight_count_so_no_more_than_the_limit_are_checked() {
        let limit = LoginLimit::default();
        let (org, ada) = who("ada");
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        let now = Instant::now();
        let in_flight: Vec<_> = (0..50).filter_map(|_| limit.begin(&org, &ada, address, now).ok()).collect();
        assert_eq!(in_flight.len(), PER_ACCOUNT_AT_ADDRESS);
        // One of them was the owner's right password: it stops counting,
        // with the account's failures at that address.
        let mut in_flight = in_flight.into_iter();
        in_flight.next().unwrap().succeeded();
        in_flight.for_each(Attempt::failed);
        assert!(limit.begin(&org, &ada, address, now).is_ok());
    }

    #[test]
    fn an_attempt_our_side_could_not_check_counts_for_nothing() {
        let limit = LoginLimit::default();
        let (org, ada) = who("ada");
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT_AT_ADDRESS * 3 {
            drop(limit.begin(&org, &ada, address, now).expect("let in"));
        }
    }

    #[test]
    fn many_addresses_together_hold_an_account_at_the_higher_limit() {
        let limit = LoginLimit::default();
        let (org, ada) = who("ada");
        let now = Instant::now();
        for n in 0..PER_ACCOUNT {
            let address: IpAddr = format!("10.1.{}.{}", n / 250, n % 250 + 1).parse().unwrap();
            limit.begin(&org, &ada, address, now).expect("let in").failed();
        }
        assert!(limit.begin(&org, &ada, "10.9.9.9".parse().unwrap(), now).is_err());
    }
}
