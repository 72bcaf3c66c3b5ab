//! The cache miss: a request's session cookie is not in this node's table,
//! so another node may have created it. The store (the shared truth) is
//! asked once, within [`MISS_WAIT`], and a live session is adopted into
//! the table; an unknown token is remembered for [`NEGATIVE_FOR`] (at most
//! [`NEGATIVE_MAX`] of them) so a flood of invented cookies costs one
//! look-up each at most, and at most [`MAX_IN_FLIGHT`] look-ups run at
//! once. None of this runs when the table knows the session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use http::HeaderMap;
use tokio::sync::Semaphore;

use crate::auth::session::{token_hash, SessionTable, TOKEN_LEN};
use crate::store::Store;

/// How long a request waits for the store on a miss: once per session and
/// node (the look-up goes on after it, and adopts the session for the next
/// request), and unknown tokens are remembered, so this is not paid per
/// request. 50 ms proved too short on a busy machine.
pub const MISS_WAIT: Duration = Duration::from_millis(250);
/// How long a token found nowhere (or ended elsewhere) is not looked up again.
pub const NEGATIVE_FOR: Duration = Duration::from_secs(10);
/// Most tokens remembered as unknown.
pub const NEGATIVE_MAX: usize = 10_000;
/// Most miss look-ups at once; past it a miss is a miss.
pub const MAX_IN_FLIGHT: usize = 16;
/// Most session cookies of one request looked up.
const MAX_TOKENS: usize = 4;

/// Miss look-ups and the tokens known to be unknown.
#[derive(Debug)]
pub struct MissLookup {
    negative: Mutex<HashMap<[u8; 32], Instant>>,
    permits: Semaphore,
}

impl Default for MissLookup {
    fn default() -> Self {
        MissLookup {
            negative: Mutex::new(HashMap::new()),
            permits: Semaphore::new(MAX_IN_FLIGHT),
        }
    }
}

impl MissLookup {
    /// Looks up the session cookies of `headers` the table does not hold
    /// (or holds stale) in the store and adopts the live ones; `true` when
    /// one was adopted.
    pub async fn fill(
        &self,
        sessions: &Arc<SessionTable>,
        store: &Store,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> bool {
        let name = sessions.settings().cookie.as_bytes();
        let tokens: Vec<[u8; 32]> = headers
            .get_all(http::header::COOKIE)
            .iter()
            .flat_map(|v| crate::cookie::pairs(v.as_bytes()))
            .filter(|(n, v)| *n == name && v.len() == TOKEN_LEN)
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .map(token_hash)
            .take(MAX_TOKENS)
            .collect();
        let mut adopted = false;
        for hash in tokens {
            if self.known_unknown(&hash) {
                continue;
            }
            let Ok(_permit) = self.permits.try_acquire() else {
                return adopted;
            };
            let table = sessions.clone();
            let look = store.call(move |s| {
                let Some(row) = s.session_by_hash(&hash)? else {
                    return Ok(false);
                };
                if !table.row_is_live(&row, now) {
                    table.drop_ended(&[hash]);
                    return Ok(false);
                }
                table.adopt(s, row, now)
            });
            match tokio::time::timeout(MISS_WAIT, look).await {
                Ok(Ok(true)) => adopted = true,
                Ok(Ok(false)) => self.remember_unknown(&[hash]),
                Ok(Err(e)) => tracing::warn!(error = %e, "session look-up on a cache miss failed"),
                // Slow store: a miss this time; the look-up goes on and
                // adopts the session for the next request.
                Err(_) => tracing::debug!("session look-up on a cache miss timed out"),
            }
        }
        adopted
    }

    /// Whether `hash` was recently found nowhere (or ended elsewhere).
    pub fn known_unknown(&self, hash: &[u8; 32]) -> bool {
        let map = self
            .negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(hash).is_some_and(|until| Instant::now() < *until)
    }

    /// Remembers `hashes` as unknown for [`NEGATIVE_FOR`] (sessions another
    /// node ended: a look-up racing its store deletion must not bring them
    /// back).
    pub fn remember_unknown(&self, hashes: &[[u8; 32]]) {
        let now = Instant::now();
        let mut map = self
            .negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for h in hashes {
            if map.len() >= NEGATIVE_MAX && !map.contains_key(h) {
                map.retain(|_, until| now < *until);
                if map.len() >= NEGATIVE_MAX {
                    // Still full of fresh entries: a flood. Start over rather
                    // than grow; the look-ups stay bounded by the permits.
                    map.clear();
                }
            }
            map.insert(*h, now + NEGATIVE_FOR);
        }
    }

    /// Tokens remembered as unknown.
    #[cfg(test)]
    pub fn negative_len(&self) -> usize {
        self.negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionSettings;
    use crate::tokens::SsoTokens;

    fn settings() -> SessionSettings {
        SessionSettings {
            cookie: "gh".into(),
            domain: None,
            lifetime: Duration::from_secs(100_000_000_000),
            remember_me: Duration::from_secs(100_000_000_000),
            idle_timeout: None,
        }
    }

    fn cookie(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            http::HeaderValue::from_str(&format!("other=1; gh={token}")).unwrap(),
        );
        h
    }

    #[tokio::test]
    async fn test_miss_adopts_once_and_remembers_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = crate::clock::now();
        let u = store.add_user("al", "", 4, None, None, now).unwrap();
        let a = SessionTable::load(&store, &settings(), now).unwrap();
        let b = Arc::new(SessionTable::load(&store, &settings(), now).unwrap());
        let token = a
            .create(&store, u.id, false, SsoTokens::default(), now)
            .unwrap();
        let miss = MissLookup::default();
        assert!(b.lookup(&token, now).is_none());
        assert!(miss.fill(&b, &store, &cookie(&token), now).await);
        assert_eq!(b.lookup(&token, now).unwrap().1.username, "al");
        let forged = "x".repeat(TOKEN_LEN);
        assert!(!miss.fill(&b, &store, &cookie(&forged), now).await);
        assert!(miss.known_unknown(&token_hash(&forged)));
        assert!(!miss.fill(&b, &store, &cookie("short"), now).await);
        assert_eq!(miss.negative_len(), 1, "a malformed token is not looked up");
    }

    #[test]
    fn test_negative_cache_is_bounded() {
        let miss = MissLookup::default();
        for i in 0..(NEGATIVE_MAX as u32 + 10) {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            miss.remember_unknown(&[h]);
            assert!(miss.negative_len() <= NEGATIVE_MAX);
        }
    }
}
