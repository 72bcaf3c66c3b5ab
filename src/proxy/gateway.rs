//! The one `ProxyHttp` implementation. Hooks stay short and call into plain
//! modules: `route` (matching, `proxy_pass` rule, redirects), `headers`
//! (nginx variables), `auth` (decision), `portal` (pages the gateway serves).
//!
//! | phase | what happens here |
//! |---|---|
//! | `request_filter` | client address, portal + Organizr API, `[[redirect]]`, route match, 413 by Content-Length, auth decision (302/401/403 written here) |
//! | `upstream_peer` | next upstream of the route (failover order) |
//! | `upstream_request_filter` | `proxy_pass` URI, hop-by-hop + spoofable headers out, `set_headers`, identity + SSO in |
//! | `request_body_filter` | `client_max_body_size` while streaming |
//! | `upstream_response_filter` | `next_upstream` on status, `hide_headers`, `Location` scheme |
//! | `fail_to_connect` / `error_while_proxy` | which failures try the next upstream |
//! | `fail_to_proxy` | 502 / 504 / 413 page |
//! | `logging` | access log |

use std::sync::Arc;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use http::header;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::{Error, ErrorSource, ErrorType};

use super::ctx::RequestCtx;
use super::live::Live;
use super::respond::{self, Reply};
use super::retry::{self, Attempt, ExchangeFailure, Failure, Verdict};
use super::upstream_request;
use crate::app::upstream_health::ErrorKind;
use crate::observability::access_log::AccessRecord;

/// The gateway: the current configuration, swapped by a reload
/// (`super::live`).
pub struct Gateway {
    pub(super) live: Arc<ArcSwap<Live>>,
}

impl Gateway {
    /// The gateway on `live`'s snapshots.
    pub fn new(live: Arc<ArcSwap<Live>>) -> Gateway {
        Gateway { live }
    }

    /// The `next_upstream` decision for a failed attempt of route `index`.
    fn verdict(
        &self,
        index: usize,
        session: &Session,
        ctx: &RequestCtx,
        failure: Failure,
    ) -> Verdict {
        let attempt = Attempt {
            attempts: ctx.attempts,
            max_attempts: ctx.live.app.routes[index].max_attempts,
            idempotent: session.req_header().method.is_idempotent(),
            response_started: ctx.response_started,
            replayable: !session.as_ref().retry_buffer_truncated(),
            body_too_large: ctx.body_too_large,
        };
        let verdict = retry::verdict(
            &ctx.live.app.config.routes[index].proxy.next_upstream,
            failure,
            &attempt,
        );
        if !ctx.body_too_large {
            super::metrics::attempt(&ctx.live.app.routes[index].metrics, failure, verdict);
        }
        verdict
    }

    /// Records a failed attempt of the current upstream of route `index`
    /// (and a failover when the request moves on to the next one).
    fn note_failure(&self, index: usize, ctx: &RequestCtx, kind: ErrorKind, verdict: Verdict) {
        if let Some(h) = ctx.live.app.routes[index].health.get(ctx.upstream) {
            h.error(kind, crate::clock::unix(crate::clock::now()));
            if verdict == Verdict::Next {
                h.failover();
            }
        }
    }

    /// Writes a reply the gateway produced itself and records its status.
    /// The connection stays open (the rest of the body is drained) unless
    /// the request's framing was in doubt.
    async fn reply(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        mut reply: Reply,
    ) -> Result<bool> {
        super::https::reply_hsts(&ctx.live.app, ctx, &mut reply);
        ctx.local_status = Some(reply.status);
        if ctx.close_after_reply {
            session.as_downstream_mut().set_keepalive(None);
            respond::send(session, reply).await?;
        } else {
            respond::send(session, reply).await?;
            respond::drain_body(session).await;
        }
        Ok(true)
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx::new(self.live.load_full())
    }

    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {
        // No response compression module (Pingora adds a disabled one by
        // default, which still costs a context and filter calls per request):
        // like nginx without `gzip on`, responses pass as the upstream sent them.
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        match self.request_steps(session, ctx).await? {
            None => Ok(false),
            Some(reply) => self.reply(session, ctx, reply).await,
        }
    }

    async fn upstream_peer(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        let Some(index) = ctx.route else {
            return Err(Error::explain(ErrorType::InternalError, "no route"));
        };
        let live = ctx.live.clone();
        let peers = &live.peers[index];
        if peers.is_empty() {
            return Err(Error::explain(
                ErrorType::InternalError,
                "route has no upstream",
            ));
        }
        ctx.upstream_start
            .get_or_insert_with(std::time::Instant::now);
        if ctx.retry_same {
            ctx.retry_same = false;
        } else {
            ctx.upstream = ctx.attempts % peers.len();
            ctx.attempts += 1;
        }
        match peers[ctx.upstream].peer().await {
            Ok(peer) => Ok(peer),
            Err(mut e) => {
                // The upstream's name did not resolve: nothing was sent.
                let failure = Failure::Connect { timed_out: false };
                let verdict = self.verdict(index, session, ctx, failure);
                self.note_failure(index, ctx, ErrorKind::Connect, verdict);
                e.set_retry(verdict == Verdict::Next);
                Err(e)
            }
        }
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let live = ctx.live.clone();
        upstream_request::rewrite(&live.app, session, upstream_request, ctx)
    }

    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let Some(index) = ctx.route else {
            return Ok(());
        };
        if let Some(b) = body {
            ctx.body_bytes += b.len() as u64;
        }
        let max = ctx.live.app.config.routes[index].proxy.client_max_body_size;
        if max > 0 && ctx.body_bytes > max {
            ctx.body_too_large = true;
            let mut e = Error::explain(ErrorType::HTTPStatus(413), "client_max_body_size");
            e.set_retry(false);
            return Err(e);
        }
        Ok(())
    }

    async fn upstream_response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let Some(index) = ctx.route else {
            return Ok(());
        };
        let live = ctx.live.clone();
        let route = &live.app.config.routes[index];
        let status = upstream_response.status.as_u16();
        if status == 101 && !ctx.websocket {
            // Only a WebSocket handshake may switch protocols.
            let mut e = Error::explain(
                ErrorType::InvalidHTTPHeader,
                "101 Switching Protocols to a request that asked for no WebSocket",
            );
            e.set_retry(false);
            return Err(e.into_up());
        }
        if self.verdict(index, session, ctx, Failure::Status(status)) == Verdict::Next {
            self.note_failure(index, ctx, ErrorKind::Status(status), Verdict::Next);
            ctx.retry_status = Some(status);
            return Err(Error::explain(
                ErrorType::HTTPStatus(status),
                "next_upstream",
            ));
        }
        if let Some(h) = ctx.live.app.routes[index].health.get(ctx.upstream) {
            h.success(crate::clock::unix(crate::clock::now()));
        }
        if let Some(start) = ctx.upstream_start.take() {
            ctx.live.app.routes[index]
                .metrics
                .upstream_duration(start.elapsed());
        }
        for name in &route.proxy.hide_headers {
            upstream_response.remove_header(name);
        }
        for h in &route.proxy.add_headers {
            if h.applies(status) {
                upstream_response.append_header(h.name.clone(), h.value.clone())?;
            }
        }
        if !route.proxy.location_rewrite.is_empty() {
            let rewritten = upstream_response
                .headers
                .get(header::LOCATION)
                .and_then(|v| {
                    crate::headers::rewrite_location_prefix(
                        v.as_bytes(),
                        &route.proxy.location_rewrite,
                    )
                });
            if let Some(v) = rewritten {
                upstream_response.insert_header(header::LOCATION, v)?;
                return Ok(());
            }
        }
        if route.proxy.redirect_scheme {
            let scheme = if ctx.https { "https" } else { "http" };
            let rewritten = upstream_response
                .headers
                .get(header::LOCATION)
                .and_then(|v| crate::headers::rewrite_location(v.as_bytes(), scheme));
            if let Some(v) = rewritten {
                upstream_response.insert_header(header::LOCATION, v)?;
            }
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        _session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        ctx.response_started = true;
        super::https::response_hsts(&ctx.live.app, ctx, upstream_response);
        Ok(())
    }

    fn fail_to_connect(
        &self,
        session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        let Some(index) = ctx.route else { return e };
        let timed_out = matches!(e.etype(), ErrorType::ConnectTimedout);
        let failure = Failure::Connect { timed_out };
        let verdict = self.verdict(index, session, ctx, failure);
        let kind = if timed_out {
            ErrorKind::ConnectTimeout
        } else {
            ErrorKind::Connect
        };
        self.note_failure(index, ctx, kind, verdict);
        e.set_retry(verdict == Verdict::Next);
        e
    }

    fn error_while_proxy(
        &self,
        peer: &HttpPeer,
        session: &mut Session,
        e: Box<Error>,
        ctx: &mut RequestCtx,
        client_reused: bool,
    ) -> Box<Error> {
        let mut e = e.more_context(format!("peer: {peer}"));
        let Some(index) = ctx.route else { return e };
        if ctx.retry_status.take().is_some() {
            // upstream_response_filter already chose the next upstream.
            e.set_retry(true);
            return e;
        }
        let failure = if client_reused && matches!(e.retry, pingora::RetryType::ReusedOnly) {
            Failure::StaleConnection
        } else {
            Failure::Exchange(match e.etype() {
                ErrorType::ReadTimedout | ErrorType::WriteTimedout | ErrorType::ConnectTimedout => {
                    ExchangeFailure::Timeout
                }
                ErrorType::InvalidHTTPHeader | ErrorType::H1Error | ErrorType::InvalidH2 => {
                    ExchangeFailure::InvalidHeader
                }
                _ => ExchangeFailure::Error,
            })
        };
        if matches!(e.etype(), ErrorType::HTTPStatus(413)) {
            ctx.body_too_large = true;
        }
        let verdict = self.verdict(index, session, ctx, failure);
        let kind = match failure {
            Failure::Exchange(ExchangeFailure::Timeout) => Some(ErrorKind::Timeout),
            Failure::Exchange(ExchangeFailure::InvalidHeader) => Some(ErrorKind::InvalidResponse),
            Failure::Exchange(ExchangeFailure::Error) => Some(ErrorKind::Exchange),
            // A pooled connection the upstream had closed: not its fault.
            _ => None,
        };
        if let Some(kind) = kind {
            self.note_failure(index, ctx, kind, verdict);
        }
        ctx.retry_same = verdict == Verdict::Same;
        e.set_retry(verdict != Verdict::Stop);
        e
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        ctx: &mut RequestCtx,
    ) -> FailToProxy {
        let code = match e.etype() {
            ErrorType::HTTPStatus(code) => *code,
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => 504,
            _ => match e.esource() {
                ErrorSource::Upstream => 502,
                ErrorSource::Downstream => match e.etype() {
                    ErrorType::WriteError | ErrorType::ReadError | ErrorType::ConnectionClosed => 0,
                    _ => 400,
                },
                ErrorSource::Internal | ErrorSource::Unset => 500,
            },
        };
        let live = ctx.live.clone();
        if code > 0 && !ctx.response_started {
            let body = match code {
                502 => "bad gateway\n",
                504 => "gateway timeout\n",
                413 => "request entity too large\n",
                400 => "bad request\n",
                _ => "error\n",
            };
            ctx.local_status = Some(code);
            session.as_downstream_mut().set_keepalive(None);
            let mut reply = Reply::text(code, body);
            if let Some(index) = ctx.route {
                reply = with_add_headers(&live.app.config.routes[index], reply);
            }
            super::https::reply_hsts(&live.app, ctx, &mut reply);
            if let Err(err) = respond::send(session, reply).await {
                tracing::debug!(error = %err, "could not send error response");
            }
        }
        FailToProxy {
            error_code: code,
            can_reuse_downstream: false,
        }
    }

    fn suppress_error_log(&self, _session: &Session, _ctx: &RequestCtx, error: &Error) -> bool {
        // Client went away mid-request: not worth an ERROR line.
        matches!(error.esource(), ErrorSource::Downstream)
    }

    fn request_summary(&self, session: &Session, _ctx: &RequestCtx) -> String {
        // Pingora's error lines use this; never the query (tokens live there).
        let req = session.req_header();
        format!(
            "{} {}, Host: {}",
            req.method,
            req.uri.path(),
            req.headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
        )
    }

    async fn logging(&self, session: &mut Session, e: Option<&Error>, ctx: &mut RequestCtx) {
        let error = e.map(|e| e.to_string());
        let req = session.req_header();
        let app = &*ctx.live.app;
        let status = session
            .response_written()
            .map(|r| r.status.as_u16())
            .or(ctx.local_status)
            .unwrap_or(0);
        let (route, upstream) = match ctx.route {
            Some(i) => (
                app.routes[i].name.as_ref(),
                app.config.routes[i]
                    .upstreams
                    .get(ctx.upstream)
                    .filter(|_| ctx.attempts > 0)
                    .map_or("-", |u| u.address.as_str()),
            ),
            None => ("-", "-"),
        };
        crate::observability::access_log::write(&AccessRecord {
            client: ctx.client_ip,
            host: req
                .headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .or_else(|| req.uri.host())
                .unwrap_or("-"),
            method: req.method.as_str(),
            path: req.uri.path(),
            status,
            body_bytes: session.body_bytes_sent(),
            route,
            upstream,
            user: ctx
                .session
                .as_ref()
                .map_or("-", |(_, i)| i.username.as_str()),
            ms: ctx.start.elapsed().as_secs_f64() * 1000.0,
            error: error.as_deref(),
        });
        match ctx.route {
            Some(i) => &app.routes[i].metrics,
            None => crate::observability::metrics::unrouted(),
        }
        .request(status, ctx.decision);
    }
}

/// A reply the gateway wrote for a route, with the route's `add_headers`
/// that apply to its status (nginx adds `add_header` to those too).
pub(super) fn with_add_headers(route: &crate::config::Route, mut reply: Reply) -> Reply {
    for h in &route.proxy.add_headers {
        if h.applies(reply.status) {
            reply.push(h.name.clone(), h.value.clone());
        }
    }
    reply
}
