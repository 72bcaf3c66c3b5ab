//! Login regulation: server-side failure counting and bans (docs/docs/security.md C), unlike Organizr's client-driven `loginAttempts`.
//!
//! Every failed sign-in is counted under two keys: the user name as typed
//! (trimmed, lowercased, at most [`MAX_KEY_BYTES`]) and the client address
//! (IPv4, or the /64 of an IPv6 address, since one host owns a whole /64).
//! Each key keeps the times of its recent failures (a sliding window, exact).
//!
//! ```text
//!              failure (count <= max_failures within window)
//!             ┌────┐
//!             v    │
//!  clean ──failure──> counting ──failure, count > max_failures──> banned
//!    ^                  │  │                                        │
//!    │  success (resets │  │ every failure older than window        │
//!    │  user AND ip)    │  │ (the key is forgotten)                 │
//!    └──────────────────┘──┘<───────── now >= until ─────────────────┘
//! ```
//!
//! - With `max_failures = 5` the 6th failure within `window` (counted for
//!   the user or for the IP) bans **both** that user name and that IP until
//!   `now + ban`; from then on even the right password is refused. A banned
//!   attempt is answered exactly like a wrong password; the caller still
//!   runs a password check, so timing is the same, and does not record it
//!   as a new failure.
//! - Bans are written to the store (`save_ban`) and reloaded by
//!   [`Regulation::load`]; counters are memory-only (a restart forgets at
//!   most `max_failures` attempts per key).
//! - A success clears the counters of the user and of the IP.
//!
//! Memory is bounded, and bans never fail open because of counters:
//! - Counters live in their own map of at most `capacity` entries (fewer
//!   when `max_failures` is large, see [`MEMORY_BUDGET`]). When full, keys
//!   whose failures are all older than `window` go first, then the tenth
//!   whose last failure is oldest. A flood of invented user names thus only
//!   ever evicts counters, never bans.
//! - Bans live in a separate map of at most `capacity` entries. When full,
//!   ended bans go first; if every ban is still running, the user-name ban
//!   that ends soonest is dropped from memory (it stays in the store and is
//!   back after a restart); IP bans are dropped only when there is no user
//!   ban left. Filling it takes `capacity` × `max_failures` failed logins
//!   from as many distinct addresses within `ban`.
//!
//! With several instances ([`Regulation::set_shared`], docs/cluster.md) the
//! counters and bans are also kept in the shared layer with the same
//! limits, window and ban length; while it is unreachable every node counts
//! on its own, as a single instance does.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::SystemTime;

use crate::clock::unix;
use crate::config::Login;
use crate::store::{BanKind, Store, StoreError};

use super::shared_regulation::SharedRegulation;

/// Default capacity of the counter map and of the ban map (each).
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Longer user names are truncated (at a character boundary) for counting.
pub const MAX_KEY_BYTES: usize = 128;

/// Failure times kept per key; `max_failures` above this counts as this.
pub const MAX_TRACKED_FAILURES: u32 = 1024;

/// Upper bound, in bytes, on what the counter map may hold: the effective
/// capacity is `min(capacity, MEMORY_BUDGET / worst-case entry size)`.
pub const MEMORY_BUDGET: usize = 32 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

/// Times (Unix seconds) of the failures still inside the window, oldest first.
#[derive(Debug, Default)]
struct Counter {
    stamps: VecDeque<u64>,
}

impl Counter {
    fn last(&self) -> u64 {
        self.stamps.back().copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
struct Inner {
    counters: HashMap<Key, Counter>,
    bans: HashMap<Key, u64>,
}

/// Failure counters and bans.
#[derive(Debug)]
pub struct Regulation {
    max_failures: u32,
    window: u64,
    ban: u64,
    counter_capacity: usize,
    ban_capacity: usize,
    /// The latest `until` of any ban ever inserted: before it passes there
    /// may be a ban; after, there is none, and [`Regulation::is_banned`]
    /// answers without taking the lock (the machine-client hot path).
    horizon: AtomicU64,
    inner: Mutex<Inner>,
    /// Counters and bans shared with other instances (docs/cluster.md).
    shared: OnceLock<Arc<dyn SharedRegulation>>,
}

fn user_key(user: &str) -> Key {
    let mut name = user.trim();
    if name.len() > MAX_KEY_BYTES {
        let mut end = MAX_KEY_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name = &name[..end];
    }
    Key::User(name.to_lowercase())
}

/// A key as the shared layer names it: the user name or the address.
fn key_text(key: &Key) -> String {
    match key {
        Key::User(name) => name.clone(),
        Key::Ip(addr) => addr.to_string(),
    }
}

/// The address a failure is counted under: IPv4 as is (also when mapped into
/// IPv6), IPv6 reduced to its /64.
fn ip_key(ip: IpAddr) -> Key {
    match ip.to_canonical() {
        IpAddr::V4(v4) => Key::Ip(IpAddr::V4(v4)),
        IpAddr::V6(v6) => {
            let masked = u128::from(v6) & !((1u128 << 64) - 1);
            Key::Ip(IpAddr::V6(Ipv6Addr::from(masked)))
        }
    }
}

impl Regulation {
    /// Empty regulation with the configured limits; `capacity` bounds the
    /// counter map and the ban map (each; at least 16).
    pub fn new(cfg: &Login, capacity: usize) -> Regulation {
        let max_failures = cfg.max_failures.min(MAX_TRACKED_FAILURES);
        let capacity = capacity.max(16);
        let entry_bytes = 160 + MAX_KEY_BYTES + 8 * (max_failures as usize + 1);
        Regulation {
            max_failures,
            window: cfg.window.as_secs(),
            ban: cfg.ban.as_secs(),
            counter_capacity: capacity.min(MEMORY_BUDGET / entry_bytes).max(16),
            ban_capacity: capacity,
            horizon: AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
            shared: OnceLock::new(),
        }
    }

    /// Regulation with [`DEFAULT_CAPACITY`] and the bans still running in
    /// the store.
    pub fn load(store: &Store, cfg: &Login, now: SystemTime) -> Result<Regulation, StoreError> {
        let r = Regulation::new(cfg, DEFAULT_CAPACITY);
        let t = unix(now);
        {
            let mut inner = r.lock();
            for b in store.live_bans(now)? {
                let key = match b.kind {
                    BanKind::User => user_key(&b.key),
                    BanKind::Ip => match b.key.parse() {
                        Ok(ip) => ip_key(ip),
                        Err(_) => continue,
                    },
                };
                r.insert_ban(&mut inner, key, u64::try_from(b.until).unwrap_or(0), t);
            }
        }
        Ok(r)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the user name or the client address is banned at `now`.
    pub fn is_banned(&self, user: &str, ip: IpAddr, now: SystemTime) -> bool {
        let t = unix(now);
        if t >= self.horizon.load(Ordering::Acquire) {
            return false;
        }
        let inner = self.lock();
        let banned = |k: &Key| inner.bans.get(k).is_some_and(|&until| t < until);
        banned(&user_key(user)) || banned(&ip_key(ip))
    }

    /// Counts a failed attempt; when the user's or the IP's failures within
    /// `window` pass `max_failures`, bans both and persists the bans (a store
    /// error is logged; the in-memory ban holds regardless). Returns whether
    /// this failure caused a ban.
    ///
    /// With a shared layer the counts are the shared ones (this blocks
    /// briefly: call it off the worker threads, as the callers do).
    pub fn record_failure(&self, store: &Store, user: &str, ip: IpAddr, now: SystemTime) -> bool {
        let t = unix(now);
        let (ukey, ikey) = (user_key(user), ip_key(ip));
        let until = t.saturating_add(self.ban);
        let shared = self.shared.get();
        let (uname, iname) = (key_text(&ukey), key_text(&ikey));
        let counted = shared.and_then(|s| s.add_failure(&uname, &iname, t, self.window));
        {
            let mut inner = self.lock();
            let (a, b) = match counted {
                Some(counts) => counts,
                None => (
                    self.bump(&mut inner, &ukey, t),
                    self.bump(&mut inner, &ikey, t),
                ),
            };
            if a <= self.max_failures as usize && b <= self.max_failures as usize {
                return false;
            }
            inner.counters.remove(&ukey);
            inner.counters.remove(&ikey);
            self.insert_ban(&mut inner, ukey.clone(), until, t);
            self.insert_ban(&mut inner, ikey.clone(), until, t);
        }
        if let Some(s) = shared {
            s.ban(&uname, &iname, until, t);
        }
        let until_secs = i64::try_from(until).unwrap_or(i64::MAX);
        for key in [&ukey, &ikey] {
            let saved = match key {
                Key::User(name) => store.save_ban(BanKind::User, name, until_secs),
                Key::Ip(addr) => store.save_ban(BanKind::Ip, &addr.to_string(), until_secs),
            };
            if let Err(e) = saved {
                tracing::error!(error = %e, "login ban not persisted");
            }
        }
        tracing::warn!(user = %user, client = %ip, seconds = self.ban, "login banned after repeated failures");
        true
    }

    /// A successful sign-in clears the counters of the user and the IP.
    pub fn record_success(&self, user: &str, ip: IpAddr) {
        let (ukey, ikey) = (user_key(user), ip_key(ip));
        if let Some(s) = self.shared.get() {
            s.clear(&key_text(&ukey), &key_text(&ikey));
        }
        let mut inner = self.lock();
        inner.counters.remove(&ukey);
        inner.counters.remove(&ikey);
    }

    /// Shares counters and bans with other instances from now on; `false`
    /// when already set.
    pub fn set_shared(&self, shared: Arc<dyn SharedRegulation>) -> bool {
        self.shared.set(shared).is_ok()
    }

    /// [`Self::is_banned`], also asking the shared layer (a ban another
    /// node placed a moment ago). Blocks briefly: call it off the worker
    /// threads.
    pub fn is_banned_anywhere(&self, user: &str, ip: IpAddr, now: SystemTime) -> bool {
        if self.is_banned(user, ip, now) {
            return true;
        }
        let Some(s) = self.shared.get() else {
            return false;
        };
        let (u, i) = (key_text(&user_key(user)), key_text(&ip_key(ip)));
        s.banned(&u, &i, unix(now)) == Some(true)
    }

    /// A ban another instance placed (its user name and address keys as
    /// [`SharedRegulation`] names them), held here in memory until `until`.
    pub fn note_ban(&self, user: &str, ip: &str, until: u64, now: SystemTime) {
        let t = unix(now);
        let mut inner = self.lock();
        if !user.is_empty() {
            self.insert_ban(&mut inner, user_key(user), until, t);
        }
        if let Ok(addr) = ip.parse::<IpAddr>() {
            self.insert_ban(&mut inner, ip_key(addr), until, t);
        }
        inner.counters.remove(&user_key(user));
    }

    /// Bans in force at `now` (user names and client addresses).
    pub fn active_bans(&self, now: SystemTime) -> usize {
        let t = unix(now);
        self.lock()
            .bans
            .values()
            .filter(|&&until| t < until)
            .count()
    }

    /// Entries held (counters + bans).
    pub fn entries(&self) -> usize {
        let inner = self.lock();
        inner.counters.len() + inner.bans.len()
    }

    /// The most entries [`Regulation::entries`] can reach.
    pub fn capacity(&self) -> usize {
        self.counter_capacity + self.ban_capacity
    }

    /// Adds a failure at `t` to `key`'s counter; returns how many failures
    /// it holds within the window.
    fn bump(&self, inner: &mut Inner, key: &Key, t: u64) -> usize {
        if !inner.counters.contains_key(key) && inner.counters.len() >= self.counter_capacity {
            self.evict_counters(inner, t);
        }
        let window = self.window;
        let c = inner.counters.entry(key.clone()).or_default();
        while c
            .stamps
            .front()
            .is_some_and(|&s| t >= s.saturating_add(window))
        {
            c.stamps.pop_front();
        }
        c.stamps.push_back(t);
        while c.stamps.len() > self.max_failures as usize + 1 {
            c.stamps.pop_front();
        }
        c.stamps.len()
    }

    fn evict_counters(&self, inner: &mut Inner, t: u64) {
        let window = self.window;
        inner
            .counters
            .retain(|_, c| t < c.last().saturating_add(window));
        let len = inner.counters.len();
        if len < self.counter_capacity {
            return;
        }
        let n = (len / 10).max(1);
        let mut by_age: Vec<(u64, &Key)> =
            inner.counters.iter().map(|(k, c)| (c.last(), k)).collect();
        by_age.select_nth_unstable_by_key(n - 1, |&(last, _)| last);
        let victims: Vec<Key> = by_age[..n].iter().map(|&(_, k)| k.clone()).collect();
        for k in victims {
            inner.counters.remove(&k);
        }
    }

    fn insert_ban(&self, inner: &mut Inner, key: Key, until: u64, t: u64) {
        if !inner.bans.contains_key(&key) && inner.bans.len() >= self.ban_capacity {
            inner.bans.retain(|_, &mut u| t < u);
            if inner.bans.len() >= self.ban_capacity {
                let victim = inner
                    .bans
                    .iter()
                    .filter(|(k, _)| matches!(k, Key::User(_)))
                    .min_by_key(|(_, &u)| u)
                    .or_else(|| inner.bans.iter().min_by_key(|(_, &u)| u))
                    .map(|(k, _)| k.clone());
                if let Some(v) = victim {
                    inner.bans.remove(&v);
                }
            }
        }
        self.horizon.fetch_max(until, Ordering::AcqRel);
        let slot = inner.bans.entry(key).or_insert(until);
        *slot = (*slot).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::time::{Duration, UNIX_EPOCH};

    fn cfg() -> Login {
        Login {
            backend: crate::config::LoginBackend::Local,
            max_failures: 5,
            window: Duration::from_secs(120),
            ban: Duration::from_secs(300),
            second_factor: Default::default(),
        }
    }

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 10));

    #[test]
    fn test_regulation_sixth_failure_bans_user_and_ip() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..5 {
            assert!(!r.record_failure(&store, "Alice", IP, at(i)));
            assert!(
                !r.is_banned("alice", IP, at(i)),
                "failure {} is not over the limit",
                i + 1
            );
        }
        assert!(
            r.record_failure(&store, "alice", IP, at(6)),
            "the 6th failure bans"
        );
        assert!(
            r.is_banned("ALICE", OTHER, at(7)),
            "the user is banned from any IP"
        );
        assert!(
            r.is_banned("bob", IP, at(7)),
            "the IP is banned for any user"
        );
        assert!(!r.is_banned("bob", OTHER, at(7)));
    }

    #[test]
    fn test_regulation_ban_expiry() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..6 {
            r.record_failure(&store, "alice", IP, at(100 + i));
        }
        assert!(r.is_banned("alice", IP, at(105 + 299)));
        assert_eq!(r.active_bans(at(105 + 299)), 2, "the user and the IP");
        assert!(!r.is_banned("alice", IP, at(105 + 300)), "ban over");
        assert_eq!(r.active_bans(at(105 + 300)), 0);
        // the counters were cleared by the ban: one more failure does not re-ban
        assert!(!r.record_failure(&store, "alice", IP, at(500)));
        assert!(!r.is_banned("alice", IP, at(500)));
    }

    #[test]
    fn test_regulation_bans_persist_across_reload() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..6 {
            r.record_failure(&store, "Alice", IP, at(i));
        }
        let again = Regulation::load(&store, &cfg(), at(10)).unwrap();
        assert!(again.is_banned("alice", OTHER, at(10)));
        assert!(again.is_banned("carol", IP, at(10)));
        let later = Regulation::load(&store, &cfg(), at(305)).unwrap();
        assert!(
            !later.is_banned("alice", IP, at(305)),
            "ended bans are not reloaded"
        );
        assert_eq!(later.entries(), 0);
    }

    #[test]
    fn test_regulation_window_is_sliding() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..5 {
            r.record_failure(&store, "dave", IP, at(i));
        }
        // 120 s after the first failure it has left the window: 5 inside.
        assert!(!r.record_failure(&store, "dave", IP, at(120)));
        // 5 failures at the end of one window and 1 just after are 6 within
        // 120 s: a fixed window restarting at 120 would miss this.
        for i in 0..4 {
            r.record_failure(&store, "erin", OTHER, at(1000 + 115 + i));
        }
        assert!(!r.record_failure(&store, "erin", OTHER, at(1000 + 119)));
        assert!(r.record_failure(&store, "erin", OTHER, at(1000 + 121)));
    }

    #[test]
    fn test_regulation_success_resets_user_and_ip() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..5 {
            r.record_failure(&store, "erin", OTHER, at(300 + i));
        }
        r.record_success("Erin", OTHER);
        for i in 0..5 {
            assert!(!r.record_failure(&store, "erin", OTHER, at(310 + i)));
        }
        assert!(!r.is_banned("erin", OTHER, at(320)));
    }

    #[test]
    fn test_regulation_password_spraying_bans_the_ip() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..6 {
            r.record_failure(&store, &format!("user{i}"), IP, at(i));
        }
        assert!(r.is_banned("someone-else", IP, at(7)));
    }

    #[test]
    fn test_regulation_ipv6_counted_per_64() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..6u16 {
            let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, i, i, i, i));
            r.record_failure(&store, &format!("user{i}"), ip, at(u64::from(i)));
        }
        let same64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9));
        let other64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert!(r.is_banned("x", same64, at(10)));
        assert!(!r.is_banned("x", other64, at(10)));
        let again = Regulation::load(&store, &cfg(), at(10)).unwrap();
        assert!(
            again.is_banned("x", same64, at(10)),
            "the /64 ban is persisted"
        );
    }

    #[test]
    fn test_regulation_memory_bounded_under_random_usernames() {
        let (_d, store) = store();
        let r = Regulation::new(&cfg(), 1000);
        // An attacker's IP gets banned first …
        for i in 0..6 {
            r.record_failure(&store, "victim", IP, at(i));
        }
        // … then a flood of 1,000,000 invented names from rotating addresses
        // (four tries each, under the limit, so nothing new is banned).
        for i in 0..1_000_000u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + (i % 250_000)));
            r.record_failure(
                &store,
                &format!("u{i}"),
                ip,
                at(10 + u64::from(i) / 100_000),
            );
            if i % 100_000 == 0 {
                assert!(r.entries() <= r.capacity(), "entries {}", r.entries());
            }
        }
        assert!(r.entries() <= r.capacity(), "entries {}", r.entries());
        assert!(r.capacity() <= 2 * 1000);
        assert!(
            r.is_banned("anyone", IP, at(20)),
            "the IP ban survived the flood"
        );
        assert!(
            r.is_banned("victim", OTHER, at(20)),
            "the user ban survived the flood"
        );
    }

    #[test]
    fn test_regulation_full_ban_map_evicts_user_bans_first() {
        let (_d, store) = store();
        let c = Login {
            max_failures: 1,
            ..cfg()
        };
        let r = Regulation::new(&c, 16);
        // The real attacker: user "a" and its address, banned first.
        r.record_failure(&store, "a", IP, at(0));
        assert!(r.record_failure(&store, "a", IP, at(0)));
        // Every later ban is a (user, address) pair: 7 pairs fill the map.
        let pair = |i: u32, t: u64| {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0c00_0000 + i));
            r.record_failure(&store, &format!("n{i}"), ip, at(t));
            assert!(r.record_failure(&store, &format!("n{i}"), ip, at(t)));
        };
        for i in 0..7 {
            pair(i, 1);
        }
        assert_eq!(r.lock().bans.len(), 16);
        // One more pair: two user bans make room (the soonest ending first),
        // every IP ban stays.
        pair(7, 2);
        assert_eq!(r.lock().bans.len(), 16);
        assert!(
            r.is_banned("z", IP, at(3)),
            "the attacker's address is still banned"
        );
        assert!(
            !r.is_banned("a", OTHER, at(3)),
            "the oldest user ban left memory"
        );
        let reloaded = Regulation::load(&store, &c, at(3)).unwrap();
        assert!(reloaded.is_banned("a", OTHER, at(3)), "… but not the store");
    }

    /// The shared layer in memory: what two nodes on one Redis see.
    #[derive(Debug, Default)]
    struct FakeShared {
        failures: Mutex<HashMap<String, Vec<u64>>>,
        bans: Mutex<HashMap<String, u64>>,
        down: std::sync::atomic::AtomicBool,
    }

    impl SharedRegulation for FakeShared {
        fn add_failure(&self, user: &str, ip: &str, t: u64, window: u64) -> Option<(usize, usize)> {
            if self.down.load(Ordering::Relaxed) {
                return None;
            }
            let mut f = self.failures.lock().unwrap();
            let mut count = |k: String| {
                let v = f.entry(k).or_default();
                v.retain(|&s| t < s + window);
                v.push(t);
                v.len()
            };
            Some((count(format!("u:{user}")), count(format!("@{ip}"))))
        }
        fn ban(&self, user: &str, ip: &str, until: u64, _t: u64) {
            let mut b = self.bans.lock().unwrap();
            b.insert(format!("u:{user}"), until);
            b.insert(format!("@{ip}"), until);
            let mut f = self.failures.lock().unwrap();
            f.remove(&format!("u:{user}"));
            f.remove(&format!("@{ip}"));
        }
        fn banned(&self, user: &str, ip: &str, t: u64) -> Option<bool> {
            let b = self.bans.lock().unwrap();
            let on = |k: String| b.get(&k).is_some_and(|&u| t < u);
            Some(on(format!("u:{user}")) || on(format!("@{ip}")))
        }
        fn clear(&self, user: &str, ip: &str) {
            let mut f = self.failures.lock().unwrap();
            f.remove(&format!("u:{user}"));
            f.remove(&format!("@{ip}"));
        }
    }

    #[test]
    fn test_regulation_shared_failures_split_across_nodes_ban_at_the_count() {
        let (_d, store) = store();
        let shared = Arc::new(FakeShared::default());
        let (a, b) = (Regulation::new(&cfg(), 1000), Regulation::new(&cfg(), 1000));
        assert!(a.set_shared(shared.clone()) && b.set_shared(shared.clone()));
        let nodes = [&a, &b];
        for i in 0..5u64 {
            assert!(!nodes[i as usize % 2].record_failure(&store, "Alice", IP, at(i)));
        }
        // Five failures split 3 + 2: on one node 5 do not ban either.
        assert!(!a.is_banned_anywhere("alice", IP, at(5)));
        assert!(b.record_failure(&store, "alice", IP, at(6)), "the 6th bans");
        assert!(b.is_banned("alice", OTHER, at(7)));
        assert!(
            a.is_banned_anywhere("alice", OTHER, at(7)),
            "the other node sees the ban at once"
        );
        a.note_ban("alice", "10.0.0.9", 306, at(7));
        assert!(a.is_banned("bob", IP, at(8)), "… and holds it once told");
        // The shared layer down: each node counts on its own.
        shared.down.store(true, Ordering::Relaxed);
        for i in 0..5u64 {
            assert!(!nodes[i as usize % 2].record_failure(&store, "erin", OTHER, at(400 + i)));
        }
        assert!(!a.is_banned("erin", OTHER, at(410)));
    }

    #[test]
    fn test_regulation_long_names_are_truncated() {
        let long = "é".repeat(200);
        let Key::User(k) = user_key(&long) else {
            panic!()
        };
        assert!(k.len() <= MAX_KEY_BYTES * 2 && long.starts_with(&k));
        assert_eq!(user_key("  Bob "), Key::User("bob".into()));
    }
}
