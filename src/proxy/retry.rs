//! nginx's `proxy_next_upstream`, as one pure decision: after a failed
//! attempt, stop (the client gets 502/504 or the upstream's answer), try
//! the route's next upstream, or try the same one again (a pooled
//! keep-alive connection the upstream had already closed).
//!
//! The Pingora hooks only describe what happened ([`Failure`], [`Attempt`])
//! and apply the [`Verdict`]; the rules live here:
//! - nothing is retried once a response reached the client, when the
//!   request body can no longer be replayed, or after a 413;
//! - a connection that never got established may go to the next upstream
//!   whatever the method (nothing was sent);
//! - after the request was sent, only idempotent methods move on, unless
//!   `non_idempotent` is listed (nginx's rule);
//! - every move is bounded by the route's attempt budget
//!   (`next_upstream_tries`, else each upstream once).

use crate::config::NextUpstream;

/// What went wrong with one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No connection was established (refused, unreachable, DNS, TLS):
    /// nothing reached the upstream.
    Connect {
        /// It was the connect timeout.
        timed_out: bool,
    },
    /// The upstream answered with this status.
    Status(u16),
    /// The exchange failed after the request may have been sent.
    Exchange(ExchangeFailure),
    /// A pooled connection that the upstream had closed before this request
    /// (the request never reached it).
    StaleConnection,
}

/// How an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeFailure {
    /// Read or write timed out (`read_timeout`, `send_timeout`).
    Timeout,
    /// The upstream's response was not valid HTTP.
    InvalidHeader,
    /// Anything else (reset, closed mid-response).
    Error,
}

/// The request and the attempts so far.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    /// Attempts made, this one included.
    pub attempts: usize,
    /// The route's budget of attempts.
    pub max_attempts: usize,
    /// GET, HEAD, PUT, DELETE, OPTIONS, TRACE.
    pub idempotent: bool,
    /// A response header already went to the client.
    pub response_started: bool,
    /// The request body is still held in full (it can be sent again).
    pub replayable: bool,
    /// The body passed `client_max_body_size` (413).
    pub body_too_large: bool,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No more attempts.
    Stop,
    /// The route's next upstream.
    Next,
    /// The same upstream again, on a fresh connection.
    Same,
}

/// Decides what follows a failed attempt.
pub fn verdict(policy: &NextUpstream, failure: Failure, a: &Attempt) -> Verdict {
    if a.response_started || a.body_too_large || !a.replayable {
        return Verdict::Stop;
    }
    let budget = a.attempts < a.max_attempts;
    let sent_ok = a.idempotent || policy.non_idempotent;
    let next = match failure {
        Failure::Connect { timed_out } => {
            budget
                && if timed_out {
                    policy.timeout
                } else {
                    policy.error
                }
        }
        Failure::Status(code) => budget && sent_ok && policy.on_status(code),
        Failure::StaleConnection if a.idempotent => return Verdict::Same,
        Failure::StaleConnection => budget && sent_ok && policy.error,
        Failure::Exchange(kind) => {
            let wanted = match kind {
                ExchangeFailure::Timeout => policy.timeout,
                ExchangeFailure::InvalidHeader => policy.invalid_header,
                ExchangeFailure::Error => policy.error,
            };
            budget && sent_ok && wanted
        }
    };
    if next {
        Verdict::Next
    } else {
        Verdict::Stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> NextUpstream {
        NextUpstream {
            error: true,
            timeout: true,
            invalid_header: true,
            http_500: true,
            http_502: true,
            http_503: true,
            ..NextUpstream::default()
        }
    }

    fn attempt(attempts: usize, idempotent: bool) -> Attempt {
        Attempt {
            attempts,
            max_attempts: 2,
            idempotent,
            response_started: false,
            replayable: true,
            body_too_large: false,
        }
    }

    #[test]
    fn test_verdict_connect_failures_any_method() {
        let p = seed();
        let c = Failure::Connect { timed_out: false };
        assert_eq!(
            verdict(&p, c, &attempt(1, false)),
            Verdict::Next,
            "POST: nothing sent"
        );
        assert_eq!(
            verdict(&p, c, &attempt(2, true)),
            Verdict::Stop,
            "budget spent"
        );
        let t = Failure::Connect { timed_out: true };
        let no_timeout = NextUpstream {
            timeout: false,
            ..p
        };
        assert_eq!(verdict(&no_timeout, t, &attempt(1, true)), Verdict::Stop);
    }

    #[test]
    fn test_verdict_status_and_exchange_only_idempotent() {
        let p = seed();
        assert_eq!(
            verdict(&p, Failure::Status(502), &attempt(1, true)),
            Verdict::Next
        );
        assert_eq!(
            verdict(&p, Failure::Status(404), &attempt(1, true)),
            Verdict::Stop
        );
        assert_eq!(
            verdict(&p, Failure::Status(502), &attempt(1, false)),
            Verdict::Stop
        );
        let post_ok = NextUpstream {
            non_idempotent: true,
            ..p
        };
        assert_eq!(
            verdict(&post_ok, Failure::Status(502), &attempt(1, false)),
            Verdict::Next
        );
        let x = Failure::Exchange(ExchangeFailure::InvalidHeader);
        assert_eq!(verdict(&p, x, &attempt(1, true)), Verdict::Next);
        let strict = NextUpstream {
            invalid_header: false,
            ..p
        };
        assert_eq!(verdict(&strict, x, &attempt(1, true)), Verdict::Stop);
        let t = Failure::Exchange(ExchangeFailure::Timeout);
        assert_eq!(verdict(&p, t, &attempt(1, false)), Verdict::Stop);
    }

    #[test]
    fn test_verdict_never_after_response_or_unreplayable_or_413() {
        let p = seed();
        let f = Failure::Exchange(ExchangeFailure::Error);
        let started = Attempt {
            response_started: true,
            ..attempt(1, true)
        };
        assert_eq!(verdict(&p, f, &started), Verdict::Stop);
        let truncated = Attempt {
            replayable: false,
            ..attempt(1, true)
        };
        assert_eq!(verdict(&p, f, &truncated), Verdict::Stop);
        let big = Attempt {
            body_too_large: true,
            ..attempt(1, true)
        };
        assert_eq!(
            verdict(&p, Failure::Connect { timed_out: false }, &big),
            Verdict::Stop
        );
    }

    #[test]
    fn test_verdict_stale_pooled_connection_same_upstream() {
        let p = seed();
        let s = Failure::StaleConnection;
        assert_eq!(
            verdict(&p, s, &attempt(2, true)),
            Verdict::Same,
            "not an attempt of its own"
        );
        assert_eq!(verdict(&p, s, &attempt(1, false)), Verdict::Stop);
        let post_ok = NextUpstream {
            non_idempotent: true,
            ..p
        };
        assert_eq!(verdict(&post_ok, s, &attempt(1, false)), Verdict::Next);
    }
}
