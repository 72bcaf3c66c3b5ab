//! Per-request context carried through the Pingora phases.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::auth::session::{Identity, SessionEntry};

/// What the gateway knows about one request.
#[derive(Debug)]
pub struct RequestCtx {
    /// The configuration this request started on: kept to its end, so a
    /// reload never changes a request in flight.
    pub live: Arc<super::live::Live>,
    /// Counts the request as in flight until it ends (the drain after an
    /// upgrade or a stop waits for these).
    pub _in_flight: super::drain::InFlight,
    /// When the request reached `request_filter`.
    pub start: Instant,
    /// The client address the gateway believes (after `trusted_proxies`).
    pub client_ip: Option<IpAddr>,
    /// Whether the client connection is TLS.
    pub tls: bool,
    /// `$scheme` is https: TLS here, or `X-Forwarded-Proto: https` from a
    /// trusted proxy.
    pub https: bool,
    /// The host the request asked for, found once (`client`) for every step
    /// that reads it.
    pub host: crate::request_host::RequestHost,
    /// Matched route index.
    pub route: Option<usize>,
    /// Normalized path and query, as matched (the upstream target is derived from them).
    pub target: Option<String>,
    /// Upstream attempts made so far.
    pub attempts: usize,
    /// Index of the upstream used by the current attempt.
    pub upstream: usize,
    /// Retry the same upstream (a reused keep-alive connection was stale).
    pub retry_same: bool,
    /// The request's `Content-Length`, when it has one that is a number.
    pub content_length: Option<u64>,
    /// Request body bytes received so far.
    pub body_bytes: u64,
    /// The body passed `client_max_body_size`: never retried.
    pub body_too_large: bool,
    /// A response header has been handed to the client: never retry now.
    pub response_started: bool,
    /// An upstream status that asked for the next upstream.
    pub retry_status: Option<u16>,
    /// Status of a response the gateway wrote itself.
    pub local_status: Option<u16>,
    /// Close the connection after the gateway's own reply (the request's
    /// framing was in doubt).
    pub close_after_reply: bool,
    /// The session and its user, when the route admitted a signed-in user.
    pub session: Option<(Arc<SessionEntry>, Arc<Identity>)>,
    /// A WebSocket handshake the route lets through (`websocket = true`);
    /// every other `Upgrade` was removed from the request.
    pub websocket: bool,
    /// The user of the API token a machine client presented (no session).
    pub machine: Option<Arc<Identity>>,
    /// The `Authorization` header authenticated the request: removed
    /// before the upstream (unless the route says `pass_authorization`).
    pub strip_authorization: bool,
    /// The auth decision, for the metrics.
    pub decision: crate::observability::metrics::Decision,
    /// When the first upstream attempt started (the upstream time metric).
    pub upstream_start: Option<Instant>,
}

impl RequestCtx {
    /// A fresh context on the configuration `live`.
    pub fn new(live: Arc<super::live::Live>) -> RequestCtx {
        RequestCtx {
            live,
            _in_flight: super::drain::InFlight::start(),
            start: Instant::now(),
            client_ip: None,
            tls: false,
            https: false,
            host: Default::default(),
            route: None,
            target: None,
            attempts: 0,
            upstream: 0,
            retry_same: false,
            content_length: None,
            body_bytes: 0,
            body_too_large: false,
            response_started: false,
            retry_status: None,
            local_status: None,
            close_after_reply: false,
            session: None,
            websocket: false,
            machine: None,
            strip_authorization: false,
            decision: Default::default(),
            upstream_start: None,
        }
    }
}
