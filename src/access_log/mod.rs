//! The access log: one line per request through `tracing` (target
//! `gatehouse::access`), buffered per worker thread ([`buffer`]). Only the
//! path is logged, never the query (Plex puts `X-Plex-Token` there), cookies
//! or `Authorization`.

pub mod buffer;

use std::fmt;
use std::net::IpAddr;

use crate::app::App;
use crate::proxy::ctx::RequestCtx;

/// The request values the log line needs, extracted by the proxy.
#[derive(Debug)]
pub struct RequestView<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub host: &'a str,
    /// Status written to the client, if any.
    pub status: Option<u16>,
    /// Response body bytes sent to the client.
    pub body_bytes: usize,
}

/// Writes the line for one finished request.
pub fn write(app: &App, req: RequestView<'_>, error: Option<String>, ctx: &RequestCtx) {
    let status = req.status.or(ctx.local_status).unwrap_or(0);
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
    let client = Client(ctx.client_ip);
    let ms = ctx.start.elapsed().as_secs_f64() * 1000.0;
    let user = ctx
        .session
        .as_ref()
        .map_or("-", |(_, i)| i.username.as_str());
    let error = ErrorNote(error.as_deref());
    tracing::info!(
        target: "gatehouse::access",
        "{client} {host} \"{method} {path}\" {status} {bytes} route={route} upstream={upstream} user={user} {ms:.1}ms{error}",
        host = req.host,
        method = req.method,
        path = req.path,
        bytes = req.body_bytes,
    );
}

/// ` error="…"` after the line when the request failed; nothing otherwise.
struct ErrorNote<'a>(Option<&'a str>);

impl fmt::Display for ErrorNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(err) => write!(f, " error=\"{err}\""),
            None => Ok(()),
        }
    }
}

/// The client address, or `-`, written without an intermediate `String`.
struct Client(Option<IpAddr>);

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_line_suffixes() {
        assert_eq!(ErrorNote(None).to_string(), "");
        assert_eq!(
            ErrorNote(Some("upstream timed out")).to_string(),
            " error=\"upstream timed out\""
        );
        assert_eq!(Client(None).to_string(), "-");
        assert_eq!(
            Client(Some(IpAddr::from([192, 0, 2, 7]))).to_string(),
            "192.0.2.7"
        );
    }
}
