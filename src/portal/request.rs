//! One request to the portal as plain values: what the proxy reads from the
//! client (method, path after the prefix, query, headers, small body) and
//! what the gateway believes about it (client address, TLS, time).

use std::net::IpAddr;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::app::App;

/// Largest request body the portal reads (forms and JSON are tiny).
pub const MAX_BODY: usize = 16 * 1024;

/// One request to the portal, as plain values.
#[derive(Debug)]
pub struct PortalRequest<'a> {
    pub method: &'a Method,
    /// Path after the prefix, e.g. `/login` (`""` for the prefix itself).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The body, for POST (at most [`MAX_BODY`] bytes).
    pub body: Bytes,
    /// The client address the gateway believes.
    pub client_ip: IpAddr,
    /// The request arrived over TLS.
    pub tls: bool,
    /// The request's `Host` (with port, as sent).
    pub host: Option<&'a str>,
    pub now: SystemTime,
}

impl PortalRequest<'_> {
    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        super::form::get(self.query.unwrap_or("").as_bytes(), name)
    }

    /// The token of the request's live session, if any.
    pub fn session_token(&self, app: &App) -> Option<&str> {
        app.sessions
            .live_token(self.headers, self.now)
            .map(|(token, _)| token)
    }

    /// The request's live session and its user.
    pub fn session(
        &self,
        app: &App,
    ) -> Option<(
        std::sync::Arc<crate::auth::session::SessionEntry>,
        std::sync::Arc<crate::auth::session::Identity>,
    )> {
        app.sessions.lookup_headers(self.headers, self.now)
    }

    /// Whether cookies set in the reply must carry `Secure`.
    pub fn secure(&self, app: &App) -> bool {
        crate::cookie::secure_flag(app.config.server.public_url.scheme() == "https", self.tls)
    }
}
