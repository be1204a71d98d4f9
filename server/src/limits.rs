//! The server's defences against floods and slow clients: their settings ([`Limits`]), and the
//! counters of failed logins ([`Logins`]).
//!
//! Failed logins are counted per user name and per client address (an IPv6 address by its /64
//! prefix), each in a window that opens at its first failure. Once a user has had
//! `login_failures_per_user` failures in its window, a login as that user answers 429 until the
//! window closes, except from an address that has had no failure at all in its own window: a
//! guesser elsewhere does not lock out a user who types the right password the first time.
//! Once an address has had `login_failures_per_address` failures, every login from it answers
//! 429 until its window closes. A refused login is answered at once, without Argon2 and
//! whatever its password (a right one is refused too, so a refusal tells nothing about the
//! password).
//!
//! The counters are in memory, **per process**: each server counts the failures it saw, and a
//! restart forgets them. Behind a load balancer over N instances a guesser gets up to N times
//! the allowance.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bounds on what clients may hold of the server. A count of 0 disables its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The time a client has to send a request's headers, from the moment the server waits for
    /// them (a new connection, or a kept-alive one between requests); the connection is closed
    /// after it.
    pub header_timeout: Duration,
    /// The time a client has to send a request's body, from the moment its headers arrived;
    /// the request is refused (400) and the connection closed after it.
    pub body_timeout: Duration,
    /// The most connections open at once; the server accepts no more until one closes.
    pub max_connections: usize,
    /// Failed logins of one user name in a window before its logins are refused (429).
    pub login_failures_per_user: u32,
    /// Failed logins from one address in a window before its logins are refused (429).
    pub login_failures_per_address: u32,
    /// The window of the failure counters, from the first failure it counts.
    pub login_window: Duration,
    /// Password checks that may wait for an Argon2 worker; further ones answer 503 at once.
    pub login_queue: usize,
}

impl Default for Limits {
    /// 10 s for headers, 30 s for a body, 2,000 connections; 10 failures per user and 50 per
    /// address in 5 minutes; 32 waiting password checks.
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 2000,
            login_failures_per_user: 10,
            login_failures_per_address: 50,
            login_window: Duration::from_secs(300),
            login_queue: 32,
        }
    }
}

/// How many Argon2 checks run at once: one per core.
pub fn argon2_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Why a login is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user had too many failed logins; seconds until its window closes.
    User(u64),
    /// The address had too many failed logins; seconds until its window closes.
    Address(u64),
}

impl Refusal {
    /// Seconds until a login may be tried again (the `Retry-After` header).
    pub fn retry_after(self) -> u64 {
        match self {
            Refusal::User(s) | Refusal::Address(s) => s,
        }
    }

    /// The message of the 429 answer.
    pub fn message(self) -> String {
        match self {
            Refusal::User(s) => format!("Too many failed logins for this user; try again in {s} s"),
            Refusal::Address(s) => {
                format!("Too many failed logins from this address; try again in {s} s")
            }
        }
    }
}

/// The most keys each counter map tracks; past it (after dropping closed windows) new keys are
/// not counted, so an attacker inventing names or addresses cannot grow the memory.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

struct Counters<K> {
    windows: HashMap<K, Window>,
}

impl<K: Hash + Eq> Counters<K> {
    fn new() -> Self {
        Counters { windows: HashMap::new() }
    }

    /// The failures in `key`'s open window, and when it closes.
    fn live<Q>(&self, key: &Q, now: Instant, window: Duration) -> Option<(u32, Instant)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let w = self.windows.get(key)?;
        let end = w.start + window;
        (now < end).then_some((w.failures, end))
    }

    fn record(&mut self, key: K, now: Instant, window: Duration) {
        if !self.windows.contains_key(&key) && self.windows.len() >= MAX_TRACKED {
            self.windows.retain(|_, w| now < w.start + window);
            if self.windows.len() >= MAX_TRACKED {
                return;
            }
        }
        let w = self.windows.entry(key).or_insert(Window { start: now, failures: 0 });
        if now >= w.start + window {
            *w = Window { start: now, failures: 0 };
        }
        w.failures = w.failures.saturating_add(1);
    }
}

/// An address as counted: IPv4 whole, IPv6 by its /64 (one host's usual allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AddressKey {
    V4(u32),
    V6(u64),
}

fn address_key(ip: IpAddr) -> AddressKey {
    match ip.to_canonical() {
        IpAddr::V4(v4) => AddressKey::V4(u32::from(v4)),
        IpAddr::V6(v6) => AddressKey::V6((u128::from(v6) >> 64) as u64),
    }
}

fn seconds_until(end: Instant, now: Instant) -> u64 {
    let left = end.saturating_duration_since(now);
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

/// The failed-login counters and the bound on waiting password checks, per process.
pub struct Logins {
    limits: Limits,
    users: Mutex<Counters<String>>,
    addresses: Mutex<Counters<AddressKey>>,
    admission: Arc<Semaphore>,
}

impl Logins {
    /// Counters under `limits`, admitting `argon2_workers() + limits.login_queue` password
    /// checks at once.
    pub fn new(limits: &Limits) -> Self {
        Logins {
            limits: limits.clone(),
            users: Mutex::new(Counters::new()),
            addresses: Mutex::new(Counters::new()),
            admission: Arc::new(Semaphore::new(argon2_workers() + limits.login_queue)),
        }
    }

    /// The limits these counters apply.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether a login as `user` from `peer` is refused now.
    pub fn refused(&self, user: &str, peer: Option<IpAddr>) -> Option<Refusal> {
        self.refused_at(user, peer, Instant::now())
    }

    fn refused_at(&self, user: &str, peer: Option<IpAddr>, now: Instant) -> Option<Refusal> {
        let window = self.limits.login_window;
        let address = peer.and_then(|ip| {
            self.addresses.lock().ok().and_then(|a| a.live(&address_key(ip), now, window))
        });
        let per_address = self.limits.login_failures_per_address;
        if let Some((failures, end)) = address
            && per_address > 0
            && failures >= per_address
        {
            return Some(Refusal::Address(seconds_until(end, now)));
        }
        let per_user = self.limits.login_failures_per_user;
        let for_user = self.users.lock().ok().and_then(|u| u.live(user, now, window));
        if let Some((failures, end)) = for_user
            && per_user > 0
            && failures >= per_user
        {
            // An address with no failure of its own is not held back by others' guesses.
            let clean = peer.is_some() && address.is_none_or(|(failures, _)| failures == 0);
            if !clean {
                return Some(Refusal::User(seconds_until(end, now)));
            }
        }
        None
    }

    /// Counts a failed login as `user` from `peer`.
    pub fn failed(&self, user: &str, peer: Option<IpAddr>) {
        self.failed_at(user, peer, Instant::now());
    }

    fn failed_at(&self, user: &str, peer: Option<IpAddr>, now: Instant) {
        let window = self.limits.login_window;
        if let Ok(mut users) = self.users.lock() {
            users.record(user.to_owned(), now, window);
        }
        if let Some(ip) = peer
            && let Ok(mut addresses) = self.addresses.lock()
        {
            addresses.record(address_key(ip), now, window);
        }
    }

    /// A place among the password checks running or waiting, or `None` when they are all
    /// taken (the caller answers 503). Held until the request is answered or dropped.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.admission).try_acquire_owned().ok()
    }
}

/// The client of the request being served, for the password check (which counts its
/// failures). Set by the server around each request; absent in in-process tests.
#[derive(Clone)]
pub struct Attempt {
    /// The client's address.
    pub peer: Option<IpAddr>,
    /// The counters to update.
    pub logins: Arc<Logins>,
}

tokio::task_local! {
    static ATTEMPT: Attempt;
}

impl Attempt {
    /// Runs `f` with this attempt as the current one.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        ATTEMPT.scope(self, f).await
    }

    /// The attempt of the request being served, if any.
    pub fn current() -> Option<Attempt> {
        ATTEMPT.try_with(Clone::clone).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logins(per_user: u32, per_address: u32) -> Logins {
        Logins::new(&Limits {
            login_failures_per_user: per_user,
            login_failures_per_address: per_address,
            login_window: Duration::from_secs(60),
            ..Limits::default()
        })
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn per_user() {
        let l = logins(3, 100);
        let t = Instant::now();
        let attacker = ip("10.0.0.1");
        for _ in 0..3 {
            assert_eq!(l.refused_at("alice", attacker, t), None);
            l.failed_at("alice", attacker, t);
        }
        assert_eq!(l.refused_at("alice", attacker, t), Some(Refusal::User(60)));
        assert_eq!(
            l.refused_at("alice", attacker, t + Duration::from_millis(30_500)),
            Some(Refusal::User(30))
        );
        // Another user from the same address is not refused.
        assert_eq!(l.refused_at("bob", attacker, t), None);
        // An address with no failure of its own may still try alice (once: a failure makes it
        // one that failed).
        let elsewhere = ip("10.0.0.2");
        assert_eq!(l.refused_at("alice", elsewhere, t), None);
        l.failed_at("alice", elsewhere, t);
        assert_eq!(l.refused_at("alice", elsewhere, t), Some(Refusal::User(60)));
        // Without a known address (in-process), the user's count decides.
        assert_eq!(l.refused_at("alice", None, t), Some(Refusal::User(60)));
        // The window closes: everyone may try again, and counting starts over.
        let later = t + Duration::from_secs(60);
        assert_eq!(l.refused_at("alice", attacker, later), None);
        l.failed_at("alice", attacker, later);
        assert_eq!(l.refused_at("alice", attacker, later), None);
    }

    #[test]
    fn per_address() {
        let l = logins(100, 3);
        let t = Instant::now();
        for user in ["a", "b", "c"] {
            l.failed_at(user, ip("192.0.2.7"), t);
        }
        assert_eq!(l.refused_at("d", ip("192.0.2.7"), t), Some(Refusal::Address(60)));
        assert_eq!(l.refused_at("d", ip("::ffff:192.0.2.7"), t), Some(Refusal::Address(60)));
        assert_eq!(l.refused_at("d", ip("192.0.2.8"), t), None);
        // IPv6: one /64 counts as one address.
        for user in ["a", "b", "c"] {
            l.failed_at(user, ip("2001:db8:1:2::1"), t);
        }
        assert_eq!(l.refused_at("d", ip("2001:db8:1:2:ffff::9"), t), Some(Refusal::Address(60)));
        assert_eq!(l.refused_at("d", ip("2001:db8:1:3::1"), t), None);
        let message = Refusal::Address(60).message();
        assert_eq!(message, "Too many failed logins from this address; try again in 60 s");
    }

    #[test]
    fn zero_disables() {
        let l = logins(0, 0);
        let t = Instant::now();
        for _ in 0..1000 {
            l.failed_at("alice", ip("10.0.0.1"), t);
        }
        assert_eq!(l.refused_at("alice", ip("10.0.0.1"), t), None);
    }

    #[test]
    fn bounded_memory() {
        let l = logins(5, 5);
        let t = Instant::now();
        for i in 0..(MAX_TRACKED + 10) {
            l.failed_at(&format!("user{i}"), None, t);
        }
        assert_eq!(l.users.lock().unwrap().windows.len(), MAX_TRACKED);
        // Once the windows close, new names are counted again.
        l.failed_at("late", None, t + Duration::from_secs(61));
        assert_eq!(l.users.lock().unwrap().windows.len(), 1);
    }

    #[test]
    fn admission() {
        let l = Logins::new(&Limits { login_queue: 2, ..Limits::default() });
        let held: Vec<_> = std::iter::from_fn(|| l.admit()).collect();
        assert_eq!(held.len(), argon2_workers() + 2);
        assert!(l.admit().is_none());
        drop(held);
        assert!(l.admit().is_some());
    }
}
