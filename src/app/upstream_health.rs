//! Live health of one upstream of one route, for the admin pages: the last
//! error (kind and time), the last success, and how many times a request
//! moved on from it to the route's next upstream (a failover). Plain
//! atomics updated by the proxy's existing retry hooks: no lock, no
//! allocation, and on the success path one relaxed load (and a store at
//! most once a second).

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};

/// What the last error of an upstream was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The connection failed (refused, unreachable, name not resolved, TLS).
    Connect,
    /// The connection timed out.
    ConnectTimeout,
    /// Reading or writing timed out after the request was sent.
    Timeout,
    /// The response was not valid HTTP.
    InvalidResponse,
    /// The exchange broke (reset, closed mid-response).
    Exchange,
    /// An answer with this status that `next_upstream` moves on from.
    Status(u16),
}

impl ErrorKind {
    fn code(self) -> u16 {
        match self {
            ErrorKind::Connect => 1,
            ErrorKind::ConnectTimeout => 2,
            ErrorKind::Timeout => 3,
            ErrorKind::InvalidResponse => 4,
            ErrorKind::Exchange => 5,
            ErrorKind::Status(s) => s.max(100),
        }
    }

    fn from_code(code: u16) -> Option<ErrorKind> {
        Some(match code {
            0 => return None,
            1 => ErrorKind::Connect,
            2 => ErrorKind::ConnectTimeout,
            3 => ErrorKind::Timeout,
            4 => ErrorKind::InvalidResponse,
            5 => ErrorKind::Exchange,
            s => ErrorKind::Status(s),
        })
    }

    /// A short name for pages.
    pub fn describe(self) -> String {
        match self {
            ErrorKind::Connect => "connect failed".into(),
            ErrorKind::ConnectTimeout => "connect timed out".into(),
            ErrorKind::Timeout => "timed out".into(),
            ErrorKind::InvalidResponse => "invalid response".into(),
            ErrorKind::Exchange => "connection broke".into(),
            ErrorKind::Status(s) => format!("status {s}"),
        }
    }
}

/// The health counters of one upstream.
#[derive(Debug, Default)]
pub struct UpstreamHealth {
    last_error: AtomicU16,
    last_error_at: AtomicU64,
    last_success_at: AtomicU64,
    failovers: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthSnapshot {
    pub last_error: Option<ErrorKind>,
    /// Unix seconds; 0 = never.
    pub last_error_at: u64,
    /// Unix seconds; 0 = never.
    pub last_success_at: u64,
    pub failovers: u64,
}

impl UpstreamHealth {
    /// An answer came back and is passed on (`now`: Unix seconds).
    pub fn success(&self, now: u64) {
        if self.last_success_at.load(Ordering::Relaxed) < now {
            self.last_success_at.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// An attempt failed.
    pub fn error(&self, kind: ErrorKind, now: u64) {
        self.last_error.store(kind.code(), Ordering::Relaxed);
        self.last_error_at.store(now, Ordering::Relaxed);
    }

    /// A request moved on from this upstream to the next one.
    pub fn failover(&self) {
        self.failovers.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> HealthSnapshot {
        HealthSnapshot {
            last_error: ErrorKind::from_code(self.last_error.load(Ordering::Relaxed)),
            last_error_at: self.last_error_at.load(Ordering::Relaxed),
            last_success_at: self.last_success_at.load(Ordering::Relaxed),
            failovers: self.failovers.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_health_records_errors_successes_failovers() {
        let h = UpstreamHealth::default();
        assert_eq!(h.snapshot(), HealthSnapshot::default());
        h.success(10);
        h.success(5);
        h.error(ErrorKind::ConnectTimeout, 11);
        h.failover();
        h.failover();
        let s = h.snapshot();
        assert_eq!(s.last_success_at, 10, "never moves back");
        assert_eq!(s.last_error, Some(ErrorKind::ConnectTimeout));
        assert_eq!((s.last_error_at, s.failovers), (11, 2));
        h.error(ErrorKind::Status(503), 12);
        assert_eq!(h.snapshot().last_error, Some(ErrorKind::Status(503)));
        assert_eq!(ErrorKind::Status(503).describe(), "status 503");
    }
}
