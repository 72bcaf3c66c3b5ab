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

use async_trait::async_trait;
use bytes::Bytes;
use http::header;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::{Error, ErrorSource, ErrorType};

use super::ctx::RequestCtx;
use super::respond::{self, Reply};
use super::upstream_request;
use crate::app::App;
use crate::route::{path, redirect, Routing};

/// The gateway: shared state plus prebuilt upstream peers.
pub struct Gateway {
    app: Arc<App>,
    /// `peers[route][upstream]`, built once.
    peers: Vec<Vec<super::peer::PeerSlot>>,
}

impl Gateway {
    /// Builds the peers of every route.
    pub fn new(app: Arc<App>) -> Gateway {
        let peers = app
            .config
            .routes
            .iter()
            .map(|r| {
                r.upstreams
                    .iter()
                    .map(|u| super::peer::PeerSlot::new(u, &r.proxy))
                    .collect()
            })
            .collect();
        Gateway { app, peers }
    }

    /// Writes a reply the gateway produced itself and records its status.
    async fn reply(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        reply: Reply,
    ) -> Result<bool> {
        ctx.local_status = Some(reply.status);
        respond::send(session, reply).await?;
        respond::drain_body(session).await;
        Ok(true)
    }
}

fn is_idempotent(method: &http::Method) -> bool {
    method.is_idempotent()
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx::new()
    }

    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {
        // No response compression module (Pingora adds a disabled one by
        // default, which still costs a context and filter calls per request):
        // like nginx without `gzip on`, responses pass as the upstream sent them.
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        let app = &*self.app;
        ctx.tls = session.digest().is_some_and(|d| d.ssl_digest.is_some());
        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        let Some(peer) = peer else {
            // Fail closed on an unknown client address.
            return self
                .reply(session, ctx, Reply::text(403, "forbidden\n"))
                .await;
        };
        let req = session.req_header();
        if let Some(status) = super::limits::check(req) {
            return self
                .reply(session, ctx, Reply::text(status, "bad request\n"))
                .await;
        }
        let xff = req
            .headers
            .get(crate::headers::X_FORWARDED_FOR)
            .map(|v| v.as_bytes());
        let trusted = &app.config.server.trusted_proxies;
        ctx.client_ip = Some(crate::net::client_ip(peer, xff, trusted));
        ctx.https = ctx.tls
            || (crate::net::is_trusted(peer, trusted)
                && req
                    .headers
                    .get(crate::headers::X_FORWARDED_PROTO)
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")));

        let normalized = match path::normalize(req.uri.path()) {
            Ok(p) => p.into_owned(),
            Err(_) => {
                return self
                    .reply(session, ctx, Reply::text(400, "bad request\n"))
                    .await
            }
        };

        if let Some(reply) = super::local::handle(app, session, &normalized, ctx).await? {
            return self.reply(session, ctx, reply).await;
        }

        let req = session.req_header();
        let query = req.uri.query();
        let referer = req
            .headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok());
        let host = crate::headers::request_host(
            req.uri.host(),
            req.headers.get(header::HOST).map(|v| v.as_bytes()),
        );
        if !app.config.redirects.is_empty() {
            let rreq = redirect::RedirectRequest {
                path: &normalized,
                query,
                host,
                scheme: if ctx.https { "https" } else { "http" },
                request_uri: req.uri.path_and_query().map_or("/", |p| p.as_str()),
                server_port: session
                    .server_addr()
                    .and_then(|a| a.as_inet())
                    .map_or(0, |a| a.port()),
                referer,
            };
            if let Some(r) = redirect::apply(&app.config.redirects, &rreq) {
                let mut reply = Reply::redirect(r.status, &r.location);
                for h in r.rule.add_headers.iter().filter(|h| h.applies(r.status)) {
                    reply.push(h.name.clone(), h.value.clone());
                }
                return self.reply(session, ctx, reply).await;
            }
        }

        let routing = app.router.find(host, &normalized, query);
        let index = match routing {
            Routing::Route(i) => i,
            Routing::AddSlash(location) => {
                return self
                    .reply(session, ctx, Reply::redirect(301, &location))
                    .await
            }
            Routing::NotFound => {
                let reply = if app.config.portal.home.as_deref() == Some(normalized.as_str()) {
                    super::local::home(app, session, ctx).await?
                } else {
                    Reply::text(404, "not found\n")
                };
                return self.reply(session, ctx, reply).await;
            }
        };
        let route = &app.config.routes[index];
        ctx.route = Some(index);
        session
            .as_downstream_mut()
            .set_write_timeout(Some(route.proxy.client_send_timeout));

        let max = route.proxy.client_max_body_size;
        if max > 0 {
            let len = session
                .req_header()
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if len.is_some_and(|len| len > max) {
                return self
                    .reply(
                        session,
                        ctx,
                        with_add_headers(route, Reply::text(413, "request entity too large\n")),
                    )
                    .await;
            }
        }

        if let Some(reply) = super::access::check(app, session, index, ctx) {
            return self
                .reply(session, ctx, with_add_headers(route, reply))
                .await;
        }
        ctx.target = Some(normalized);
        Ok(false)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        let Some(index) = ctx.route else {
            return Err(Error::explain(ErrorType::InternalError, "no route"));
        };
        let peers = &self.peers[index];
        if peers.is_empty() {
            return Err(Error::explain(
                ErrorType::InternalError,
                "route has no upstream",
            ));
        }
        if ctx.retry_same {
            ctx.retry_same = false;
        } else {
            ctx.upstream = ctx.attempts % peers.len();
            ctx.attempts += 1;
        }
        match peers[ctx.upstream].peer().await {
            Ok(peer) => Ok(peer),
            Err(mut e) => {
                let policy = self.app.config.routes[index].proxy.next_upstream;
                e.set_retry(policy.error && ctx.attempts < self.app.routes[index].max_attempts);
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
        upstream_request::rewrite(&self.app, session, upstream_request, ctx)
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
        let max = self.app.config.routes[index].proxy.client_max_body_size;
        if max > 0 && ctx.body_bytes > max {
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
        let route = &self.app.config.routes[index];
        let status = upstream_response.status.as_u16();
        let policy = route.proxy.next_upstream;
        let idempotent = is_idempotent(&session.req_header().method);
        if policy.on_status(status)
            && ctx.attempts < self.app.routes[index].max_attempts
            && (idempotent || policy.non_idempotent)
        {
            ctx.retry_status = Some(status);
            return Err(Error::explain(
                ErrorType::HTTPStatus(status),
                "next_upstream",
            ));
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
        _upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        ctx.response_started = true;
        Ok(())
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        let Some(index) = ctx.route else { return e };
        let policy = self.app.config.routes[index].proxy.next_upstream;
        let timeout = matches!(e.etype(), ErrorType::ConnectTimedout);
        let wanted = if timeout {
            policy.timeout
        } else {
            policy.error
        };
        // Nothing reached the upstream yet: any method may go to the next one.
        e.set_retry(wanted && ctx.attempts < self.app.routes[index].max_attempts);
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
        let policy = self.app.config.routes[index].proxy.next_upstream;
        let more = ctx.attempts < self.app.routes[index].max_attempts;
        let idempotent = is_idempotent(&session.req_header().method);
        let replayable = !session.as_ref().retry_buffer_truncated();
        if ctx.response_started || matches!(e.etype(), ErrorType::HTTPStatus(413)) || !replayable {
            e.set_retry(false);
            return e;
        }
        if ctx.retry_status.take().is_some() {
            e.set_retry(true);
            return e;
        }
        if client_reused && matches!(e.retry, pingora::RetryType::ReusedOnly) && idempotent {
            // A pooled keep-alive connection the upstream had closed: same upstream again.
            ctx.retry_same = true;
            e.set_retry(true);
            return e;
        }
        let wanted = match e.etype() {
            ErrorType::ReadTimedout | ErrorType::WriteTimedout | ErrorType::ConnectTimedout => {
                policy.timeout
            }
            ErrorType::InvalidHTTPHeader | ErrorType::H1Error | ErrorType::InvalidH2 => {
                policy.invalid_header
            }
            _ => policy.error,
        };
        e.set_retry(wanted && more && (idempotent || policy.non_idempotent));
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
                reply = with_add_headers(&self.app.config.routes[index], reply);
            }
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
        crate::access_log::write(
            &self.app,
            session_view(session),
            e.map(|e| e.to_string()),
            ctx,
        );
    }
}

/// A reply the gateway wrote for a route, with the route's `add_headers`
/// that apply to its status (nginx adds `add_header` to those too).
fn with_add_headers(route: &crate::config::Route, mut reply: Reply) -> Reply {
    for h in &route.proxy.add_headers {
        if h.applies(reply.status) {
            reply.push(h.name.clone(), h.value.clone());
        }
    }
    reply
}

/// The plain values the access log needs from a Pingora session.
fn session_view(session: &Session) -> crate::access_log::RequestView<'_> {
    let req = session.req_header();
    crate::access_log::RequestView {
        method: req.method.as_str(),
        path: req.uri.path(),
        host: req
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri.host())
            .unwrap_or("-"),
        status: session.response_written().map(|r| r.status.as_u16()),
        body_bytes: session.body_bytes_sent(),
    }
}
