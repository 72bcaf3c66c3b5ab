//! The Pingora side of the metrics (`observability::metrics` holds the
//! families): the scrape listener of `[metrics] listen`, a separate
//! service so the public listeners never answer the metrics path; the
//! client-connection count around the proxy's connection handling; and
//! the mapping of proxy events to metric labels.

use std::sync::Arc;

use async_trait::async_trait;
use http::{header, Response};
use pingora::apps::http_app::ServeHttp;
use pingora::apps::ServerApp;
use pingora::protocols::http::ServerSession;
use pingora::protocols::Stream;
use pingora::server::ShutdownWatch;

use super::retry::{ExchangeFailure, Failure, Verdict};
use crate::app::App;
use crate::auth::policy;
use crate::observability::metrics::{self, Decision, FailureKind, Gauges, RouteMetrics};

/// The scrape listener's one page.
pub struct Scrape {
    pub app: Arc<App>,
}

#[async_trait]
impl ServeHttp for Scrape {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let req = session.req_header();
        let (status, ctype, body) = if req.uri.path() != self.app.config.metrics.path {
            (404, "text/plain; charset=utf-8", b"not found\n".to_vec())
        } else if req.method != http::Method::GET {
            (
                405,
                "text/plain; charset=utf-8",
                b"method not allowed\n".to_vec(),
            )
        } else {
            refresh(&self.app);
            (200, metrics::CONTENT_TYPE, metrics::encode().into_bytes())
        };
        let built = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, ctype)
            .header(header::CONTENT_LENGTH, body.len())
            .header(header::CACHE_CONTROL, "no-store")
            .body(body);
        built.unwrap_or_else(|_| Response::new(Vec::new()))
    }
}

/// Sets the gauges that describe state, as of now.
fn refresh(app: &App) {
    let now = crate::clock::now();
    let at = crate::clock::unix(now) as f64;
    let rows = app.certs.report();
    let certificates = rows.iter().flat_map(|row| {
        let left = row.not_after.map(|t| t as f64 - at);
        row.names
            .iter()
            .filter_map(move |n| Some((n.as_str(), left?)))
    });
    let gauges = Gauges {
        sessions: app.sessions.len(),
        bans: app.regulation.active_bans(now),
    };
    metrics::set_state(gauges, certificates);
}

/// The proxy's connection handling, counted: a client connection is open
/// from its first request to the last one it carries (Pingora's own
/// keep-alive loop, run here so the count sees the whole connection).
pub struct Counted<A>(pub Arc<A>);

#[async_trait]
impl<A: ServerApp + Send + Sync + 'static> ServerApp for Counted<A> {
    async fn process_new(
        self: &Arc<Self>,
        session: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let _open = metrics::connection_opened();
        let mut next = self.0.process_new(session, shutdown).await;
        while let Some(stream) = next {
            next = self.0.process_new(stream, shutdown).await;
        }
        None
    }

    async fn cleanup(&self) {
        // Pingora's cleanup aborts every connection still waiting for a
        // request; one accepted just before the listeners closed gets a
        // moment to send its first one (`drain::FIRST_REQUEST_GRACE`).
        tokio::time::sleep(super::drain::FIRST_REQUEST_GRACE).await;
        self.0.cleanup().await;
    }
}

/// The metric decision of an access-policy verdict (`user`: a session or
/// an API token was presented and valid).
pub fn decision(verdict: policy::Verdict, user: bool) -> Decision {
    match verdict {
        policy::Verdict::Allow if user => Decision::Allow,
        policy::Verdict::Allow => Decision::Public,
        policy::Verdict::LoginRedirect => Decision::Login,
        policy::Verdict::StepUp | policy::Verdict::StepUpUnauthorized => Decision::StepUp,
        policy::Verdict::Unauthorized => Decision::Unauthorized,
        policy::Verdict::Forbidden => Decision::Forbidden,
    }
}

/// Counts a failed upstream attempt and whether it is tried again. An
/// upstream status counts only when `next_upstream` treats it as a
/// failure (it moved on).
pub fn attempt(route: &RouteMetrics, failure: Failure, verdict: Verdict) {
    let kind = match failure {
        Failure::Status(_) if verdict != Verdict::Next => return,
        Failure::Status(_) => FailureKind::Status,
        Failure::Connect { timed_out: true } => FailureKind::ConnectTimeout,
        Failure::Connect { timed_out: false } => FailureKind::Connect,
        Failure::Exchange(ExchangeFailure::Timeout) => FailureKind::Timeout,
        Failure::Exchange(ExchangeFailure::InvalidHeader) => FailureKind::InvalidHeader,
        Failure::Exchange(ExchangeFailure::Error) => FailureKind::Error,
        Failure::StaleConnection => FailureKind::StaleConnection,
    };
    route.upstream_failure(kind);
    if verdict != Verdict::Stop {
        route.upstream_retry();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_decision_of_verdicts() {
        use policy::Verdict as V;
        assert_eq!(decision(V::Allow, true), Decision::Allow);
        assert_eq!(decision(V::Allow, false), Decision::Public);
        assert_eq!(decision(V::LoginRedirect, false), Decision::Login);
        assert_eq!(decision(V::StepUpUnauthorized, true), Decision::StepUp);
        assert_eq!(decision(V::Unauthorized, false), Decision::Unauthorized);
        assert_eq!(decision(V::Forbidden, true), Decision::Forbidden);
    }
}
