//! Whether the store can write right now, as `{portal}/health` reports it.
//!
//! Every write the gateway makes outside the hot path (sign-in, sign-out,
//! the `last_seen` flush, the upkeep's probe) reports its outcome here: a
//! failure marks the store failing with a one-line reason, the next success
//! clears it. Reading it is one atomic load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::StoreError;

/// The store's write health.
#[derive(Debug, Default)]
pub struct StoreHealth {
    failing: AtomicBool,
    reason: Mutex<String>,
}

impl StoreHealth {
    /// Records the outcome of a write.
    pub fn record<T>(&self, outcome: &Result<T, StoreError>) {
        match outcome {
            Ok(_) => self.ok(),
            Err(e) => self.failed(e),
        }
    }

    /// A write succeeded.
    pub fn ok(&self) {
        if self.failing.swap(false, Ordering::AcqRel) {
            tracing::info!("store writes succeed again");
        }
    }

    /// A write failed with `e`.
    pub fn failed(&self, e: &StoreError) {
        let line: String = e
            .to_string()
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        if let Ok(mut r) = self.reason.lock() {
            *r = line;
        }
        if !self.failing.swap(true, Ordering::AcqRel) {
            tracing::error!(error = %e, "store writes are failing");
        }
    }

    /// `None` while writes succeed, else the last failure's reason.
    pub fn failure(&self) -> Option<String> {
        if !self.failing.load(Ordering::Acquire) {
            return None;
        }
        Some(self.reason.lock().map(|r| r.clone()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_failure_then_recovery() {
        let h = StoreHealth::default();
        assert_eq!(h.failure(), None);
        h.record::<()>(&Err(StoreError::Corrupt(
            "x".into(),
            "disk full\nmore".into(),
        )));
        assert_eq!(
            h.failure().as_deref(),
            Some("stored value \"x\" is not valid: disk full")
        );
        h.record(&Ok(()));
        assert_eq!(h.failure(), None);
    }
}
