//! Requests in flight, so a stopping or upgraded process exits as soon as
//! its last request is done (at most `[server] drain_timeout` later).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts one request until dropped (it lives in the request's context).
#[derive(Debug)]
pub struct InFlight(());

impl InFlight {
    /// Counts a request that starts.
    pub fn start() -> InFlight {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Requests in flight now.
pub fn in_flight() -> usize {
    IN_FLIGHT.load(Ordering::Relaxed)
}

/// Blocks until no request is in flight or `timeout` passed; `true` when
/// drained.
#[allow(clippy::disallowed_methods)] // A poll with a deadline, on the stop thread.
pub fn wait(timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if in_flight() == 0 {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
