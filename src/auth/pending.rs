//! The half-signed-in state between the password and the second factor
//! (and between a step-up request and its code): server-side, found by the
//! SHA-256 of a random nonce that only the browser holds (an HttpOnly
//! cookie under the portal prefix), valid for [`PENDING_TTL`], used once.
//! Another browser has no nonce; a stolen nonce is useless after the code
//! is entered or five minutes pass.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use sha2::{Digest, Sha256};

use crate::clock::unix;
use crate::tokens::SsoTokens;

/// How long the second step may take.
pub const PENDING_TTL: Duration = Duration::from_secs(300);

/// At most this many half-signed-in states are held; past it, expired ones
/// go first, then the oldest.
pub const MAX_PENDING: usize = 10_000;

/// What the second step completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A sign-in: a new session once the factor is passed.
    SignIn,
    /// A sign-in under `second_factor = "required"` by a user without any
    /// factor: TOTP is enrolled first, then the session starts.
    Enrol,
    /// A step-up of an existing session (its token hash): it is replaced by
    /// a new session that passed the factor.
    StepUp([u8; 32]),
}

/// One half-signed-in state.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The user who passed the first step.
    pub user_id: i64,
    /// Their name (regulation key, messages).
    pub username: String,
    /// "Remember me" was asked for.
    pub remember: bool,
    /// Where to go afterwards (already validated).
    pub rd: Option<String>,
    /// SSO tokens fetched at the first step, handed to the new session.
    pub sso: SsoTokens,
    /// What the second step completes.
    pub purpose: Purpose,
    /// Unix seconds when the first step passed.
    pub created: u64,
}

/// Half-signed-in states by nonce hash.
#[derive(Debug, Default)]
pub struct PendingTable {
    map: DashMap<[u8; 32], Arc<Pending>>,
}

fn hash(nonce: &str) -> [u8; 32] {
    Sha256::digest(nonce.as_bytes()).into()
}

fn live(p: &Pending, now: u64) -> bool {
    now < p.created.saturating_add(PENDING_TTL.as_secs())
}

impl PendingTable {
    /// Stores `pending`; returns the nonce for the browser's cookie.
    pub fn insert(&self, pending: Pending, now: SystemTime) -> String {
        if self.map.len() >= MAX_PENDING {
            let t = unix(now);
            self.map.retain(|_, p| live(p, t));
            if self.map.len() >= MAX_PENDING {
                let oldest = self
                    .map
                    .iter()
                    .min_by_key(|e| e.value().created)
                    .map(|e| *e.key());
                if let Some(k) = oldest {
                    self.map.remove(&k);
                }
            }
        }
        let nonce = crate::tokens::random_token();
        self.map.insert(hash(&nonce), Arc::new(pending));
        nonce
    }

    /// The live state of `nonce`.
    pub fn get(&self, nonce: &str, now: SystemTime) -> Option<Arc<Pending>> {
        if nonce.len() != crate::auth::session::TOKEN_LEN {
            return None;
        }
        let found = self.map.get(&hash(nonce))?.value().clone();
        if live(&found, unix(now)) {
            Some(found)
        } else {
            self.map.remove(&hash(nonce));
            None
        }
    }

    /// Removes and returns the live state of `nonce` (used once).
    pub fn take(&self, nonce: &str, now: SystemTime) -> Option<Arc<Pending>> {
        let (_, found) = self.map.remove(&hash(nonce))?;
        live(&found, unix(now)).then_some(found)
    }

    /// Drops every state of `user_id` (a password change, a lock).
    pub fn forget_user(&self, user_id: i64) {
        self.map.retain(|_, p| p.user_id != user_id);
    }

    /// Number of states held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// `true` when none is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn pending(created: u64) -> Pending {
        Pending {
            user_id: 1,
            username: "a".into(),
            remember: false,
            rd: None,
            sso: SsoTokens::default(),
            purpose: Purpose::SignIn,
            created,
        }
    }

    #[test]
    fn test_pending_expires_after_five_minutes_and_is_used_once() {
        let t = PendingTable::default();
        let nonce = t.insert(pending(100), at(100));
        assert_eq!(nonce.len(), 43);
        assert!(t.get(&nonce, at(399)).is_some());
        assert!(t.get("x", at(101)).is_none());
        assert!(
            t.get(&crate::tokens::random_token(), at(101)).is_none(),
            "another browser"
        );
        assert!(t.take(&nonce, at(200)).is_some());
        assert!(t.take(&nonce, at(200)).is_none(), "used once");
        let late = t.insert(pending(100), at(100));
        assert!(t.get(&late, at(400)).is_none(), "expired at 5 min");
        assert!(t.is_empty());
    }

    #[test]
    fn test_pending_bounded() {
        let t = PendingTable::default();
        for i in 0..(MAX_PENDING as u64 + 5) {
            t.insert(pending(i), at(i));
        }
        assert!(t.len() <= MAX_PENDING);
        let keep = t.insert(pending(0), at(0));
        t.forget_user(1);
        assert!(t.get(&keep, at(1)).is_none());
    }
}
