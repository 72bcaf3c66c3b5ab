//! The access log: one line per request through `tracing` (target
//! `gatehouse::access`). Only the path is logged, never the query (Plex puts
//! `X-Plex-Token` there), cookies or `Authorization`.

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
    let client = ctx
        .client_ip
        .map_or_else(|| "-".to_string(), |ip| ip.to_string());
    let ms = ctx.start.elapsed().as_secs_f64() * 1000.0;
    let user = ctx
        .session
        .as_ref()
        .map_or("-", |(_, i)| i.username.as_str());
    match error {
        None => tracing::info!(
            target: "gatehouse::access",
            "{client} {host} \"{method} {path}\" {status} {bytes} route={route} upstream={upstream} user={user} {ms:.1}ms",
            host = req.host,
            method = req.method,
            path = req.path,
            bytes = req.body_bytes,
        ),
        Some(err) => tracing::info!(
            target: "gatehouse::access",
            "{client} {host} \"{method} {path}\" {status} {bytes} route={route} upstream={upstream} user={user} {ms:.1}ms error=\"{err}\"",
            host = req.host,
            method = req.method,
            path = req.path,
            bytes = req.body_bytes,
        ),
    }
}
