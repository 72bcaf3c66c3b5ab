//! Requests in flight, so a stopping or upgraded process exits as soon as
//! its last request is done (at most `[server] drain_timeout` later).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How long a stopping process still waits for the first request of a
/// connection it accepted just before its listeners closed (the request
/// is not counted in flight until it has been read). Pingora aborts every
/// connection waiting for a request when the service cleans up, and the
/// process exits once nothing is in flight: without this moment, a client
/// that connected a millisecond before the stop loses its request.
pub const FIRST_REQUEST_GRACE: Duration = Duration::from_millis(500);

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

/// Blocks until no request is in flight (and at least
/// [`FIRST_REQUEST_GRACE`] passed, so requests of just-accepted
/// connections are counted) or `timeout` passed; `true` when drained.
#[allow(clippy::disallowed_methods)] // A poll with a deadline, on the stop thread.
pub fn wait(timeout: Duration) -> bool {
    let start = Instant::now();
    let deadline = start + timeout;
    loop {
        if in_flight() == 0 && start.elapsed() >= FIRST_REQUEST_GRACE {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
