//! The one place that reads the wall clock; everything else takes `now` as a
//! parameter.
//!
//! Tests of the real binary can move its clock forward without waiting:
//! with `GATEHOUSE_TEST_CLOCK_FILE=PATH` in the environment, the file holds
//! a whole number of seconds that [`now`] adds to the system time (re-read
//! every 20 ms; each change is logged as `test clock offset`). Without the
//! variable nothing is read and the offset stays 0: one relaxed atomic
//! load per call.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The environment variable naming the test clock file.
pub const TEST_CLOCK_ENV: &str = "GATEHOUSE_TEST_CLOCK_FILE";

/// Seconds added to the system time (tests only; see the module docs).
static OFFSET: AtomicI64 = AtomicI64::new(0);

/// The current time.
#[allow(clippy::disallowed_methods)]
pub fn now() -> SystemTime {
    let t = SystemTime::now();
    match OFFSET.load(Ordering::Relaxed) {
        0 => t,
        s if s > 0 => t + Duration::from_secs(s.unsigned_abs()),
        s => t - Duration::from_secs(s.unsigned_abs()),
    }
}

/// Seconds since the Unix epoch of `t` (0 for times before it).
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Starts following the test clock file when [`TEST_CLOCK_ENV`] is set.
pub fn follow_test_clock() {
    let Some(path) = std::env::var_os(TEST_CLOCK_ENV) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("gatehouse-test-clock".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "test clock not followed");
                    return;
                }
            };
            rt.block_on(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                loop {
                    tick.tick().await;
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    let Ok(secs) = text.trim().parse::<i64>() else {
                        continue;
                    };
                    if OFFSET.swap(secs, Ordering::Relaxed) != secs {
                        tracing::info!(seconds = secs, "test clock offset");
                    }
                }
            });
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "test clock not followed");
    }
}
