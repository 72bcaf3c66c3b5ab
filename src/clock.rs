//! The one place that reads the wall clock; everything else takes `now` as a parameter.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time.
#[allow(clippy::disallowed_methods)]
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// Seconds since the Unix epoch of `t` (0 for times before it).
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
