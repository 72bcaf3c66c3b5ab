//! Builds the upstream request: nginx's `proxy_pass` URI, hop-by-hop and
//! spoofable headers removed, `set_headers` applied, identity and SSO values
//! injected, a WebSocket `Upgrade` kept (and no other).

use http::header::{self, HeaderValue};
use pingora::http::RequestHeader;
use pingora::prelude::*;
use pingora::proxy::Session;
use pingora::{Error, ErrorType};

use super::ctx::RequestCtx;
use crate::app::{App, HeaderRule};
use crate::headers::{self, RequestVars};
use crate::route;

/// Rewrites `up` (a copy of the client request) for the current upstream.
pub fn rewrite(
    app: &App,
    session: &Session,
    up: &mut RequestHeader,
    ctx: &RequestCtx,
) -> Result<()> {
    let (Some(index), Some(path)) = (ctx.route, ctx.target.as_deref()) else {
        return Err(Error::explain(ErrorType::InternalError, "no route"));
    };
    let route = &app.config.routes[index];
    let upstream = route
        .upstreams
        .get(ctx.upstream)
        .ok_or_else(|| Error::explain(ErrorType::InternalError, "no upstream"))?;
    let client = session.req_header();
    let target = route::upstream_target(&route.path, upstream, path, client.uri.query());
    let uri = http::Uri::try_from(target.as_ref())
        .map_err(|_| Error::explain(ErrorType::InvalidHTTPHeader, "bad upstream target"))?;
    up.set_uri(uri);
    up.set_version(http::Version::HTTP_11);

    // Pingora stripped most of these already; looking for them first costs
    // a pass over the names instead of hashing each one into both maps.
    if up.headers.keys().any(|n| headers::HOP_BY_HOP.contains(n)) {
        for name in &headers::HOP_BY_HOP {
            up.remove_header(name);
        }
    }
    super::access::strip_spoofable(app, up);
    let names = &ctx.live.header_names[index];
    // Room for what the rules below add, so each insert does not grow the copied maps.
    up.reserve_headers(names.added_at_most() + 2)?;

    let server_ip = session
        .server_addr()
        .and_then(|a| a.as_inet())
        .map(|a| a.ip());
    let host = ctx.host.as_str();
    // nginx: $host falls back to the server name; ours is the listener address.
    let fallback_host;
    let host = if host.is_empty() {
        fallback_host = server_ip.map(|ip| ip.to_string()).unwrap_or_default();
        fallback_host.as_str()
    } else {
        host
    };
    let vars = RequestVars {
        host,
        server_port: session
            .server_addr()
            .and_then(|a| a.as_inet())
            .map_or(0, |a| a.port()),
        server_addr: session
            .server_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip()),
        remote_addr: ctx
            .client_ip
            .ok_or_else(|| Error::explain(ErrorType::InternalError, "no client address"))?,
        scheme: if ctx.https { "https" } else { "http" },
        peer_addr: session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip().to_canonical())
            .ok_or_else(|| Error::explain(ErrorType::InternalError, "no peer address"))?,
        forwarded_for: forwarded_for(app, session, client),
        request_uri: client.uri.path_and_query().map_or("/", |p| p.as_str()),
        headers: &client.headers,
        method: client.method.as_str(),
        uri: path,
        args: client.uri.query(),
        http_host: client
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| client.uri.authority().map(|a| a.as_str())),
        server_name: &route.server_name,
        proxy_host: &upstream.proxy_host,
        proxy_port: upstream.proxy_port,
    };
    for rule in &names.set {
        match rule {
            HeaderRule::Static(name, value) => up.insert_header(name, value.clone())?,
            HeaderRule::Remove(name) => {
                up.remove_header(name.header_name());
            }
            HeaderRule::Dynamic(name, template) => match headers::expand(template, &vars) {
                Some(v) => up.insert_header(name, v)?,
                None => {
                    up.remove_header(name.header_name());
                }
            },
        }
    }
    super::access::inject(app, index, up, ctx)?;
    super::sso_inject::rewrite_cookies(
        app,
        route,
        ctx.session.as_ref().map(|(entry, _)| &**entry),
        up,
    )?;

    if ctx.websocket {
        up.insert_header(header::UPGRADE, super::upgrade::WEBSOCKET)?;
        up.insert_header(header::CONNECTION, HeaderValue::from_static("upgrade"))?;
    } else if !route.proxy.keepalive {
        up.insert_header(header::CONNECTION, HeaderValue::from_static("close"))?;
    }
    Ok(())
}

/// The client's `X-Forwarded-For`, believed only from a trusted proxy (the
/// same rule as the client address: `net::is_trusted`, so an IPv4-mapped
/// peer on a dual-stack listener counts as its IPv4 address).
fn forwarded_for<'a>(app: &App, session: &Session, client: &'a RequestHeader) -> Option<&'a [u8]> {
    let peer = session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| a.ip())?;
    if crate::net::is_trusted(peer, &app.config.server.trusted_proxies) {
        client
            .headers
            .get(headers::X_FORWARDED_FOR)
            .map(|v| v.as_bytes())
    } else {
        None
    }
}
