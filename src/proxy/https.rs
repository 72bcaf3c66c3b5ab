//! `[server] redirect_https` and `[server] hsts`.
//!
//! With `redirect_https`, a request that is not already HTTPS gets `308
//! Location: https://HOST[:PORT]/path?query` (PORT: the first `tls_listen`
//! port, left out when 443), except ACME HTTP-01 requests and
//! `{portal}/health`. With `hsts`, every HTTPS response (TLS listener, or a
//! trusted proxy's `X-Forwarded-Proto: https`) carries
//! `Strict-Transport-Security: max-age=SECONDS`; plain responses never do
//! (browsers ignore it there, and it would be wrong on a plain-only host).

use std::sync::OnceLock;

use http::header::{HeaderValue, STRICT_TRANSPORT_SECURITY};
use pingora::http::{RequestHeader, ResponseHeader};

use super::ctx::RequestCtx;
use crate::acme::HTTP01_PREFIX;
use crate::app::App;
use crate::reply::Reply;

/// The 308 for a plain request when `redirect_https` is on.
pub fn redirect(app: &App, ctx: &RequestCtx, req: &RequestHeader, path: &str) -> Option<Reply> {
    let server = &app.config.server;
    if !server.redirect_https || ctx.https || path.starts_with(HTTP01_PREFIX) {
        return None;
    }
    if path.strip_prefix(app.config.portal.prefix.as_str()) == Some("/health") {
        return None;
    }
    let host = ctx.host.as_str();
    let port = server.tls_listen.first().map_or(443, |a| a.port());
    let target = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let fallback = server.public_url.host_str().unwrap_or("localhost");
    Some(Reply::redirect(
        308,
        &location(host, fallback, port, target),
    ))
}

/// `https://HOST[:PORT]TARGET`; a missing or malformed `host` is replaced by
/// `fallback` (public_url's host), so the Location never carries junk.
pub fn location(host: &str, fallback: &str, port: u16, target: &str) -> String {
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
    let host = if ok { host } else { fallback };
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let target = if target.starts_with('/') { target } else { "/" };
    if port == 443 {
        format!("https://{host}{target}")
    } else {
        format!("https://{host}:{port}{target}")
    }
}

/// `max-age=N`, built once.
fn value(app: &App) -> Option<&'static HeaderValue> {
    static VALUE: OnceLock<Option<HeaderValue>> = OnceLock::new();
    VALUE
        .get_or_init(|| {
            let secs = app.config.server.hsts?.as_secs();
            HeaderValue::from_str(&format!("max-age={secs}")).ok()
        })
        .as_ref()
}

/// Adds HSTS to a reply the gateway wrote itself.
pub fn reply_hsts(app: &App, ctx: &RequestCtx, reply: &mut Reply) {
    if ctx.https {
        if let Some(v) = value(app) {
            reply
                .headers
                .retain(|(n, _)| n != STRICT_TRANSPORT_SECURITY);
            reply.push(STRICT_TRANSPORT_SECURITY, v.clone());
        }
    }
}

/// Adds HSTS to a proxied response (replacing the upstream's).
pub fn response_hsts(app: &App, ctx: &RequestCtx, resp: &mut ResponseHeader) {
    if ctx.https {
        if let Some(v) = value(app) {
            let _ = resp.insert_header(STRICT_TRANSPORT_SECURITY, v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_location_forms() {
        assert_eq!(
            location("a.test", "x", 443, "/p?q=1"),
            "https://a.test/p?q=1"
        );
        assert_eq!(location("a.test", "x", 8443, "/"), "https://a.test:8443/");
        assert_eq!(location("::1", "x", 8443, "/"), "https://[::1]:8443/");
        assert_eq!(location("", "home.test", 443, "/a"), "https://home.test/a");
        assert_eq!(
            location("evil.test/@x", "home.test", 443, "/a"),
            "https://home.test/a"
        );
        assert_eq!(location("a.test", "x", 443, "*"), "https://a.test/");
    }
}
