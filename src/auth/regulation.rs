//! Login regulation: server-side failure counting and bans (security.md C).
//!
//! State machine, per key (a lowercased user name, and separately the client
//! IP of every attempt):
//!
//! ```text
//!  clean --failure--> counting(n=1, since=t)
//!  counting --failure within `window`--> counting(n+1)
//!  counting --failure after `window`--> counting(n=1, since=now)
//!  counting(n > max_failures) --> banned(until = now + ban)   [user AND ip]
//!  counting --success--> clean
//!  banned --until passes--> clean
//! ```
//!
//! A banned attempt is answered exactly like a wrong password (the caller
//! still runs the password check so timing is the same), and a correct
//! password is refused while the ban lasts. Bans are written to the store
//! and reloaded at start.
//!
//! Memory is bounded: counters and bans live in two maps with a fixed
//! capacity. When the counter map is full, expired counters go first, then
//! the oldest tenth. When the ban map is full, expired bans go first, then
//! user-name bans (soonest to end first); IP bans are evicted last, so a
//! flood of invented user names cannot push out the ban of a real attacker's
//! address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::clock::unix;
use crate::config::Login;
use crate::store::{BanKind, Store};

/// Default capacity of each map.
pub const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    count: u32,
    since: u64,
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
    capacity: usize,
    inner: Mutex<Inner>,
}

fn user_key(user: &str) -> Key {
    Key::User(user.trim().to_lowercase())
}

impl Regulation {
    /// Empty regulation with the configured limits.
    pub fn new(cfg: &Login, capacity: usize) -> Regulation {
        Regulation {
            max_failures: cfg.max_failures,
            window: cfg.window.as_secs(),
            ban: cfg.ban.as_secs(),
            capacity: capacity.max(16),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Regulation with the bans still in force in the store.
    pub fn load(store: &Store, cfg: &Login, now: SystemTime) -> Result<Regulation, crate::store::StoreError> {
        let r = Regulation::new(cfg, DEFAULT_CAPACITY);
        {
            let mut inner = r.lock();
            for b in store.live_bans(now)? {
                let key = match b.kind {
                    BanKind::User => Key::User(b.key),
                    BanKind::Ip => match b.key.parse() {
                        Ok(ip) => Key::Ip(ip),
                        Err(_) => continue,
                    },
                };
                inner.bans.insert(key, u64::try_from(b.until).unwrap_or(0));
            }
        }
        Ok(r)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the user name or the client IP is banned now.
    pub fn is_banned(&self, user: &str, ip: IpAddr, now: SystemTime) -> bool {
        let t = unix(now);
        let inner = self.lock();
        let banned = |k: &Key| inner.bans.get(k).is_some_and(|&until| t < until);
        banned(&user_key(user)) || banned(&Key::Ip(ip))
    }

    /// Counts a failed attempt; bans both keys once one of them passes
    /// `max_failures` within `window`. Bans are persisted (a store error is
    /// logged; the in-memory ban holds regardless).
    pub fn record_failure(&self, store: &Store, user: &str, ip: IpAddr, now: SystemTime) {
        let t = unix(now);
        let (ukey, ikey) = (user_key(user), Key::Ip(ip));
        let over = {
            let mut inner = self.lock();
            let a = self.bump(&mut inner, ukey.clone(), t);
            let b = self.bump(&mut inner, ikey.clone(), t);
            let over = a > self.max_failures || b > self.max_failures;
            if over {
                let until = t.saturating_add(self.ban);
                self.insert_ban(&mut inner, ukey.clone(), until, t);
                self.insert_ban(&mut inner, ikey.clone(), until, t);
                inner.counters.remove(&ukey);
                inner.counters.remove(&ikey);
            }
            over
        };
        if over {
            let until = i64::try_from(t.saturating_add(self.ban)).unwrap_or(i64::MAX);
            if let Key::User(name) = &ukey {
                if let Err(e) = store.save_ban(BanKind::User, name, until) {
                    tracing::error!(error = %e, "ban not persisted");
                }
            }
            if let Err(e) = store.save_ban(BanKind::Ip, &ip.to_string(), until) {
                tracing::error!(error = %e, "ban not persisted");
            }
            tracing::warn!(user = %user, client = %ip, seconds = self.ban, "login banned after repeated failures");
        }
    }

    /// A successful sign-in clears the counters of the user and the IP.
    pub fn record_success(&self, user: &str, ip: IpAddr) {
        let mut inner = self.lock();
        inner.counters.remove(&user_key(user));
        inner.counters.remove(&Key::Ip(ip));
    }

    /// Entries held (counters + bans), for the memory-bound tests.
    pub fn entries(&self) -> usize {
        let inner = self.lock();
        inner.counters.len() + inner.bans.len()
    }

    fn bump(&self, inner: &mut Inner, key: Key, t: u64) -> u32 {
        if !inner.counters.contains_key(&key) && inner.counters.len() >= self.capacity {
            let window = self.window;
            inner.counters.retain(|_, c| t < c.since.saturating_add(window));
            if inner.counters.len() >= self.capacity {
                let mut ages: Vec<u64> = inner.counters.values().map(|c| c.since).collect();
                ages.sort_unstable();
                let cut = ages[ages.len() / 10];
                inner.counters.retain(|_, c| c.since > cut);
            }
        }
        let c = inner.counters.entry(key).or_insert(Counter { count: 0, since: t });
        if t >= c.since.saturating_add(self.window) {
            *c = Counter { count: 0, since: t };
        }
        c.count = c.count.saturating_add(1);
        c.count
    }

    fn insert_ban(&self, inner: &mut Inner, key: Key, until: u64, t: u64) {
        if !inner.bans.contains_key(&key) && inner.bans.len() >= self.capacity {
            inner.bans.retain(|_, &mut u| t < u);
            if inner.bans.len() >= self.capacity {
                // Evict the user-name ban that ends soonest; IP bans only if none.
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
        let slot = inner.bans.entry(key).or_insert(until);
        *slot = (*slot).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::{Duration, UNIX_EPOCH};

    fn cfg() -> Login {
        Login {
            backend: crate::config::LoginBackend::Local,
            max_failures: 5,
            window: Duration::from_secs(120),
            ban: Duration::from_secs(300),
        }
    }

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 10));

    #[test]
    fn test_sixth_failure_bans_user_and_ip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..5 {
            r.record_failure(&store, "Alice", IP, at(i));
            assert!(!r.is_banned("alice", IP, at(i)), "failure {} is not over the limit", i + 1);
        }
        r.record_failure(&store, "alice", IP, at(6));
        assert!(r.is_banned("ALICE", OTHER, at(7)), "the user is banned from any IP");
        assert!(r.is_banned("bob", IP, at(7)), "the IP is banned for any user");
        assert!(!r.is_banned("alice", IP, at(6 + 300)), "ban over");
        // persisted and reloaded
        let again = Regulation::load(&store, &cfg(), at(10)).unwrap();
        assert!(again.is_banned("alice", OTHER, at(10)));
        assert!(again.is_banned("carol", IP, at(10)));
    }

    #[test]
    fn test_window_expiry_and_success_reset() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..5 {
            r.record_failure(&store, "dave", IP, at(i));
        }
        r.record_failure(&store, "dave", IP, at(200)); // window passed: count restarts
        assert!(!r.is_banned("dave", IP, at(200)));
        for i in 0..4 {
            r.record_failure(&store, "erin", OTHER, at(300 + i));
        }
        r.record_success("erin", OTHER);
        r.record_failure(&store, "erin", OTHER, at(305));
        r.record_failure(&store, "erin", OTHER, at(306));
        assert!(!r.is_banned("erin", OTHER, at(306)));
    }

    #[test]
    fn test_password_spraying_bans_the_ip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let r = Regulation::new(&cfg(), 1000);
        for i in 0..6 {
            r.record_failure(&store, &format!("user{i}"), IP, at(i));
        }
        assert!(r.is_banned("someone-else", IP, at(7)));
    }

    #[test]
    fn test_memory_bounded_under_random_usernames() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let r = Regulation::new(&cfg(), 1000);
        // An attacker's IP gets banned first …
        for i in 0..6 {
            r.record_failure(&store, "victim", IP, at(i));
        }
        // … then a flood of invented names from rotating addresses.
        for i in 0..200_000u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + (i % 50_000)));
            r.record_failure(&store, &format!("u{i}"), ip, at(10));
        }
        assert!(r.entries() <= 2 * 1000, "entries {}", r.entries());
        assert!(r.is_banned("anyone", IP, at(11)), "the IP ban survived the flood");
    }
}
