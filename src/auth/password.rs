//! Password hashing: argon2id in PHC strings, verification of imported
//! hashes (argon2i/argon2id from Authelia, bcrypt `$2y$`/`$2b$` from
//! Organizr) with rehash-on-login, and a bounded worker so a login flood
//! cannot exhaust CPU or memory.
//!
//! Costs default to m=19456 KiB, t=2, p=1 (OWASP's argon2id baseline). The
//! environment variable `GATEHOUSE_ARGON2=m=<KiB>,t=<n>,p=<n>`, read once at
//! start, changes them (the test suite lowers them to stay fast, e.g.
//! `GATEHOUSE_ARGON2=m=64,t=1,p=1`); an invalid value is logged and ignored.
//!
//! A verified hash `needs_upgrade` when it is bcrypt, argon2i/argon2d, or
//! argon2id with less memory or fewer passes than the policy (a stronger
//! imported hash, e.g. Authelia's m=65536,t=3,p=4, is kept). Comparisons are
//! constant time (argon2's and bcrypt's own `ct_eq`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// Longest password accepted, in bytes; longer ones are refused before any
/// hashing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Most verifications allowed to wait for a worker before new ones are
/// answered `Busy` at once.
pub const MAX_WAITING: usize = 64;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Longer than [`MAX_PASSWORD_BYTES`]; carries the length in bytes.
    #[error("password is {0} bytes long; at most {MAX_PASSWORD_BYTES} are accepted")]
    TooLong(usize),
    /// An empty password is never hashed or accepted.
    #[error("password is empty")]
    Empty,
    /// More than [`MAX_WAITING`] checks are already queued.
    #[error("too many sign-ins at once; try again")]
    Busy,
    /// argon2 refused the parameters, or a worker thread failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Memory in KiB.
    pub m: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            m: 19456,
            t: 2,
            p: 1,
        }
    }
}

impl PasswordPolicy {
    /// The default, or `GATEHOUSE_ARGON2=m=…,t=…,p=…` when set and valid.
    pub fn from_env() -> PasswordPolicy {
        match std::env::var("GATEHOUSE_ARGON2") {
            Ok(v) => PasswordPolicy::parse(&v).unwrap_or_else(|| {
                tracing::warn!(value = %v, "GATEHOUSE_ARGON2 ignored: expected m=<KiB>,t=<n>,p=<n>");
                PasswordPolicy::default()
            }),
            Err(_) => PasswordPolicy::default(),
        }
    }

    /// Parses `m=<KiB>,t=<n>,p=<n>` (any order, all three needed).
    pub fn parse(text: &str) -> Option<PasswordPolicy> {
        let (mut m, mut t, mut p) = (None, None, None);
        for part in text.split(',') {
            let (k, v) = part.trim().split_once('=')?;
            let v: u32 = v.trim().parse().ok()?;
            match k.trim() {
                "m" => m = Some(v),
                "t" => t = Some(v),
                "p" => p = Some(v),
                _ => return None,
            }
        }
        let policy = PasswordPolicy {
            m: m?,
            t: t?,
            p: p?,
        };
        Params::new(policy.m, policy.t, policy.p, None).ok()?;
        Some(policy)
    }

    fn argon2(&self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.m, self.t, self.p, None)
            .map_err(|e| PasswordError::Hash(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes into a PHC string (synchronous; CPU-heavy on purpose).
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        check_length(password)?;
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// Checks `password` against a stored hash (synchronous).
    pub fn verify(&self, password: &str, stored: &str) -> Verified {
        if check_length(password).is_err() {
            return Verified::Mismatch;
        }
        if stored.starts_with("$2") {
            return match bcrypt::verify(password, stored) {
                Ok(true) => Verified::Ok {
                    needs_upgrade: true,
                },
                _ => Verified::Mismatch,
            };
        }
        let Ok(parsed) = PasswordHash::new(stored) else {
            // Unreadable hash: spend the same work as a real check.
            let _ = self.hash(password);
            return Verified::Mismatch;
        };
        if Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Verified::Mismatch;
        }
        Verified::Ok {
            needs_upgrade: self.requires_upgrade(&parsed),
        }
    }

    /// Whether a verified hash is weaker than (or other than) this policy's argon2id.
    fn requires_upgrade(&self, parsed: &PasswordHash<'_>) -> bool {
        if parsed.algorithm.as_str() != "argon2id" || parsed.version != Some(0x13) {
            return true;
        }
        let get = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
        get("m") < self.m || get("t") < self.t
    }
}

fn check_length(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong(password.len()));
    }
    if password.is_empty() {
        return Err(PasswordError::Empty);
    }
    Ok(())
}

/// The result of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Correct.
    Ok {
        /// The stored hash is bcrypt, argon2i/d, an old argon2 version, or
        /// cheaper than the policy: store a fresh [`PasswordPolicy::hash`].
        needs_upgrade: bool,
    },
    /// Wrong password (or an unreadable hash).
    Mismatch,
}

/// Runs hashing on blocking threads, at most one per core at a time, with a
/// bounded queue: when [`MAX_WAITING`] calls already wait for a worker, new
/// ones get [`PasswordError::Busy`] at once. A caller that gives up (its
/// future is dropped) leaves the queue immediately; work already started
/// keeps its worker until it ends, so the bound holds.
#[derive(Debug, Clone)]
pub struct Hasher {
    policy: PasswordPolicy,
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    dummy: Arc<str>,
}

/// Counts one waiting caller until dropped.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Hasher {
    /// A hasher for `policy` with one worker per core and [`MAX_WAITING`]
    /// queue slots. Computes the dummy hash used for unknown users once.
    pub fn new(policy: PasswordPolicy) -> Hasher {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hasher::with_limits(policy, cores, MAX_WAITING)
    }

    /// A hasher with explicit worker and queue limits.
    pub fn with_limits(policy: PasswordPolicy, workers: usize, max_waiting: usize) -> Hasher {
        let dummy = policy.hash("gatehouse-dummy-password").unwrap_or_else(|e| {
            tracing::error!(error = %e, "dummy password hash failed");
            String::new()
        });
        Hasher {
            policy,
            permits: Arc::new(Semaphore::new(workers.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            dummy: Arc::from(dummy),
        }
    }

    /// The policy in use.
    pub fn policy(&self) -> PasswordPolicy {
        self.policy
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(PasswordPolicy) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(PasswordError::Busy);
        }
        let waiting = Waiting(self.waiting.clone());
        let permit = self.permits.clone().acquire_owned().await;
        drop(waiting);
        let permit = permit.map_err(|_| PasswordError::Busy)?;
        let policy = self.policy;
        tokio::task::spawn_blocking(move || {
            let out = work(policy);
            drop(permit);
            out
        })
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// Hashes a new password (refused when empty or too long).
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        check_length(password)?;
        let password = password.to_string();
        self.run(move |p| p.hash(&password)).await?
    }

    /// Verifies `password` against `stored`; with `None` (unknown user, or no
    /// local password) the same work is done against a dummy hash and the
    /// answer is `Mismatch`, so timing does not tell whether a user exists.
    /// Passwords over [`MAX_PASSWORD_BYTES`] are refused before any work.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<Verified, PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong(password.len()));
        }
        let password = password.to_string();
        let real = stored.map(str::to_string);
        let dummy = self.dummy.clone();
        self.run(move |p| match real {
            Some(hash) => p.verify(&password, &hash),
            None => {
                let _ = p.verify(&password, &dummy);
                Verified::Mismatch
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: PasswordPolicy = PasswordPolicy { m: 64, t: 1, p: 1 };

    #[test]
    fn test_hash_and_verify_argon2id() {
        let h = FAST.hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            FAST.verify("correct horse", &h),
            Verified::Ok {
                needs_upgrade: false
            }
        );
        assert_eq!(FAST.verify("wrong", &h), Verified::Mismatch);
        let stronger = PasswordPolicy { m: 128, t: 1, p: 1 };
        assert_eq!(
            stronger.verify("correct horse", &h),
            Verified::Ok {
                needs_upgrade: true
            }
        );
    }

    #[test]
    fn test_verify_bcrypt_2y_needs_upgrade() {
        let h = bcrypt::hash("organizr", 4)
            .unwrap()
            .replacen("$2b$", "$2y$", 1);
        assert_eq!(
            FAST.verify("organizr", &h),
            Verified::Ok {
                needs_upgrade: true
            }
        );
        assert_eq!(FAST.verify("nope", &h), Verified::Mismatch);
    }

    #[test]
    fn test_verify_authelia_argon2id_phc() {
        let a = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(256, 3, 4, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let h = a.hash_password(b"authelia", &salt).unwrap().to_string();
        assert!(h.contains("m=256,t=3,p=4"));
        assert_eq!(
            FAST.verify("authelia", &h),
            Verified::Ok {
                needs_upgrade: false
            }
        );
    }

    #[test]
    fn test_too_long_and_garbage_hashes() {
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            FAST.hash(&long),
            Err(PasswordError::TooLong(1025))
        ));
        assert_eq!(FAST.verify(&long, "$argon2id$whatever"), Verified::Mismatch);
        assert_eq!(FAST.verify("x", "not a hash"), Verified::Mismatch);
        assert_eq!(FAST.verify("x", "$2y$garbage"), Verified::Mismatch);
    }

    #[test]
    fn test_policy_parse() {
        assert_eq!(PasswordPolicy::parse("m=64,t=1,p=1"), Some(FAST));
        assert_eq!(PasswordPolicy::parse("t=1,p=1,m=64"), Some(FAST));
        assert_eq!(PasswordPolicy::parse("m=64,t=1"), None);
        assert_eq!(
            PasswordPolicy::parse("m=1,t=1,p=1"),
            None,
            "argon2 minimum memory"
        );
    }

    #[tokio::test]
    async fn test_hasher_verify_unknown_user_is_mismatch() {
        let h = Hasher::new(FAST);
        let stored = h.hash("pw").await.unwrap();
        assert_eq!(
            h.verify("pw", Some(&stored)).await.unwrap(),
            Verified::Ok {
                needs_upgrade: false
            }
        );
        assert_eq!(h.verify("pw", None).await.unwrap(), Verified::Mismatch);
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            h.verify(&long, None).await,
            Err(PasswordError::TooLong(_))
        ));
    }

    #[tokio::test]
    async fn test_hasher_busy_when_queue_full_and_cancel_frees_slot() {
        let h = Hasher::with_limits(FAST, 1, 1);
        let held = h.permits.clone().acquire_owned().await.unwrap();
        let queued = tokio::spawn({
            let h = h.clone();
            async move { h.verify("pw", None).await }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while h.waiting.load(Ordering::Acquire) == 0 {
            assert!(std::time::Instant::now() < deadline, "never queued");
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            h.verify("pw", None).await,
            Err(PasswordError::Busy)
        ));
        queued.abort();
        let _ = queued.await;
        assert_eq!(
            h.waiting.load(Ordering::Acquire),
            0,
            "a dropped caller leaves the queue"
        );
        drop(held);
        assert_eq!(h.verify("pw", None).await.unwrap(), Verified::Mismatch);
    }

    #[test]
    fn test_verify_argon2i_needs_upgrade() {
        let a = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let h = a.hash_password(b"pw", &salt).unwrap().to_string();
        assert_eq!(
            FAST.verify("pw", &h),
            Verified::Ok {
                needs_upgrade: true
            }
        );
    }
}
