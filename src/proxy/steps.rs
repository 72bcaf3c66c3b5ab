//! `request_filter`'s steps, in the order a request meets them (README
//! "How a request is decided"): each either lets the request go on or
//! answers it.
//!
//! 1. [`Gateway::client`]: the client's address (fail closed without one),
//!    TLS, keep-alive, the `Upgrade` rule, head limits, the believed client
//!    IP and scheme;
//! 2. [`Gateway::acme_challenge`]: ACME HTTP-01 answers, on the raw path,
//!    before anything else can redirect or refuse them;
//! 3. [`Gateway::path`]: the normalized path (400 when it cannot be);
//! 4. `https::redirect`: `[server] redirect_https` on plain listeners;
//! 5. `local`: the portal and the Organizr-compatible auth API;
//! 6. [`Gateway::redirects`]: `[[redirect]]` rules, in file order;
//! 7. [`Gateway::route`]: host and longest prefix (nginx's add-slash 301,
//!    the portal home or 404 when nothing matches);
//! 8. [`Gateway::body_limit`]: `client_max_body_size` by Content-Length;
//! 9. [`Gateway::auth`]: the access policy (`auth::policy`: public paths,
//!    trusted networks, API tokens, second factor, the group rule) at the
//!    strictest reading of the path.

use http::header;
use pingora::prelude::*;
use pingora::proxy::Session;

use super::ctx::RequestCtx;
use super::gateway::{with_add_headers, Gateway};
use super::respond::Reply;
use super::upgrade::{self, UpgradeAsk};
use crate::app::App;
use crate::route::{path, redirect, Routing};

/// Ends the steps with a reply when a step gives one.
macro_rules! step {
    ($e:expr) => {
        if let Some(reply) = $e {
            return Ok(Some(reply));
        }
    };
}

impl Gateway {
    /// Runs the steps; `Some(reply)` answers the request, `None` proxies it.
    pub(super) async fn request_steps(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Option<Reply>> {
        let live = ctx.live.clone();
        let app = &*live.app;
        step!(self.client(app, session, ctx));
        step!(self.acme_challenge(app, session).await);
        let normalized = match Self::path(session) {
            Ok(p) => p,
            Err(reply) => return Ok(Some(reply)),
        };
        step!(super::https::redirect(
            app,
            ctx,
            session.req_header(),
            &normalized
        ));
        step!(super::local::handle(&live.portal, session, &normalized, ctx).await?);
        step!(self.redirects(app, session, &normalized, ctx));
        let index = match self.route(&live, session, &normalized, ctx).await? {
            Ok(index) => index,
            Err(reply) => return Ok(Some(reply)),
        };
        // The route's add_headers go on the gateway's own replies too (nginx).
        let route = &app.config.routes[index];
        step!(self
            .body_limit(app, ctx, index)
            .map(|r| with_add_headers(route, r)));
        step!(self
            .auth(app, session, index, &normalized, ctx)
            .await
            .map(|r| with_add_headers(route, r)));
        ctx.target = Some(normalized);
        Ok(None)
    }

    /// Who is asking, and how: fills `ctx.tls`, `client_ip`, `https` and
    /// `websocket`, and sets the connection's keep-alive.
    fn client(&self, app: &App, session: &mut Session, ctx: &mut RequestCtx) -> Option<Reply> {
        ctx.tls = session.digest().is_some_and(|d| d.ssl_digest.is_some());
        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        let Some(peer) = peer else {
            // Fail closed on an unknown client address.
            return Some(Reply::text(403, "forbidden\n"));
        };
        // nginx keepalive_timeout: an idle client connection is closed after
        // this long (Pingora keeps it forever once the client asked for
        // keep-alive). A client that asked to close keeps that.
        if session.as_downstream().get_keepalive().is_some() {
            let idle = app.config.server.keepalive_timeout;
            let secs = (!idle.is_zero()).then(|| idle.as_secs().max(1));
            session.as_downstream_mut().set_keepalive(secs);
        }
        let req = session.req_header();
        let fields = match super::limits::check(req) {
            Ok(fields) => fields,
            Err(status) => {
                // The body's framing may be in doubt: answer and close.
                ctx.close_after_reply = true;
                return Some(Reply::text(status, "bad request\n"));
            }
        };
        ctx.host = crate::request_host::RequestHost::from_field(&req.uri, fields.host);
        ctx.content_length = fields
            .content_length
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let xff = fields.forwarded_for.map(|v| v.as_bytes());
        let trusted = &app.config.server.trusted_proxies;
        ctx.client_ip = Some(crate::net::client_ip(peer, xff, trusted));
        ctx.https = ctx.tls
            || (crate::net::is_trusted(peer, trusted)
                && fields
                    .forwarded_proto
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")));
        // Most requests have no `Upgrade` field: nothing to classify.
        ctx.websocket = fields.upgrade
            && match upgrade::classify(&session.req_header().headers) {
                UpgradeAsk::WebSocket => true,
                UpgradeAsk::None => false,
                UpgradeAsk::Other => {
                    // Never a tunnel for anything but a WebSocket: neither
                    // Pingora nor the upstream may see this token.
                    session.req_header_mut().remove_header(&header::UPGRADE);
                    false
                }
            };
        None
    }

    /// `/.well-known/acme-challenge/TOKEN` while an HTTP-01 order is pending.
    async fn acme_challenge(&self, app: &App, session: &Session) -> Option<Reply> {
        let req = session.req_header();
        super::acme_challenge::answer(app, &req.method, req.uri.path()).await
    }

    /// The normalized path (`/a/../b`, `//b`, `/%62` → `/b`), or a 400.
    fn path(session: &Session) -> std::result::Result<String, Reply> {
        path::normalize(session.req_header().uri.path())
            .map(|p| p.into_owned())
            .map_err(|_| Reply::text(400, "bad request\n"))
    }

    /// `[[redirect]]` rules, in file order (with the rule's `add_headers`).
    fn redirects(
        &self,
        app: &App,
        session: &Session,
        normalized: &str,
        ctx: &RequestCtx,
    ) -> Option<Reply> {
        let redirects = &app.config.redirects;
        if redirects.is_empty() {
            return None;
        }
        let req = session.req_header();
        let rreq = redirect::RedirectRequest {
            path: normalized,
            query: req.uri.query(),
            host: ctx.host.as_str(),
            scheme: if ctx.https { "https" } else { "http" },
            request_uri: req.uri.path_and_query().map_or("/", |p| p.as_str()),
            server_port: session
                .server_addr()
                .and_then(|a| a.as_inet())
                .map_or(0, |a| a.port()),
            referer: req
                .headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok()),
        };
        let r = redirect::apply(redirects, &rreq)?;
        let mut reply = Reply::redirect(r.status, &r.location);
        for h in r.rule.add_headers.iter().filter(|h| h.applies(r.status)) {
            reply.push(h.name.clone(), h.value.clone());
        }
        Some(reply)
    }

    /// The route's index (also set in `ctx`), or the reply when no route
    /// takes the request: nginx's add-slash 301, the portal home, or 404.
    async fn route(
        &self,
        live: &super::live::Live,
        session: &mut Session,
        normalized: &str,
        ctx: &mut RequestCtx,
    ) -> Result<std::result::Result<usize, Reply>> {
        let (app, portal) = (&*live.app, &live.portal);
        let req = session.req_header();
        let index = match app
            .router
            .find(ctx.host.as_str(), normalized, req.uri.query())
        {
            Routing::Route(i) => i,
            Routing::AddSlash(location) => return Ok(Err(Reply::redirect(301, &location))),
            Routing::NotFound => {
                if app.config.portal.home.as_deref() == Some(normalized) {
                    return super::local::home(portal, session, ctx).await.map(Err);
                }
                return Ok(Err(Reply::text(404, "not found\n")));
            }
        };
        let route = &app.config.routes[index];
        ctx.route = Some(index);
        if ctx.websocket && !route.proxy.websocket {
            session.req_header_mut().remove_header(&header::UPGRADE);
            ctx.websocket = false;
        }
        session
            .as_downstream_mut()
            .set_write_timeout(Some(route.proxy.client_send_timeout));
        Ok(Ok(index))
    }

    /// `client_max_body_size` by Content-Length (413 before the upstream is
    /// contacted; a chunked body is counted in `request_body_filter`).
    fn body_limit(&self, app: &App, ctx: &RequestCtx, index: usize) -> Option<Reply> {
        let max = app.config.routes[index].proxy.client_max_body_size;
        if max == 0 {
            return None;
        }
        ctx.content_length
            .is_some_and(|len| len > max)
            .then(|| Reply::text(413, "request entity too large\n"))
    }

    /// The auth decision, at the route's level or a stricter one the path's
    /// loose reading routes to (`route::strict`).
    async fn auth(
        &self,
        app: &App,
        session: &Session,
        index: usize,
        normalized: &str,
        ctx: &mut RequestCtx,
    ) -> Option<Reply> {
        let host = ctx.host.as_str();
        let level = match app
            .strict
            .level(&app.router, &app.config.routes, index, host, normalized)
        {
            Ok(level) => level,
            Err(_) => return Some(Reply::text(400, "bad request\n")),
        };
        super::access::check(app, session, index, level, normalized, ctx).await
    }
}
