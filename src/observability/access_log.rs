//! The access log: one line per request through `tracing` (target
//! `gatehouse::access`), buffered per worker thread ([`super::buffer`]). Only
//! the path is logged, never the query (Plex puts `X-Plex-Token` there),
//! cookies or `Authorization`.
//!
//! The proxy builds an [`AccessRecord`] of plain values for each finished
//! request; nothing here knows the proxy or the gateway's state.

use std::fmt;
use std::net::IpAddr;

/// What one log line says about a finished request.
#[derive(Debug)]
pub struct AccessRecord<'a> {
    /// The client address the gateway believes, if known.
    pub client: Option<IpAddr>,
    pub host: &'a str,
    pub method: &'a str,
    /// The path only (never the query).
    pub path: &'a str,
    /// Status written to the client (0 when none was).
    pub status: u16,
    /// Response body bytes sent to the client.
    pub body_bytes: usize,
    /// The route's name, or `-`.
    pub route: &'a str,
    /// The upstream address of the last attempt, or `-`.
    pub upstream: &'a str,
    /// The signed-in user, or `-`.
    pub user: &'a str,
    /// Time since the request reached the gateway, in milliseconds.
    pub ms: f64,
    /// Why the request failed, if it did.
    pub error: Option<&'a str>,
}

/// Writes the line for one finished request.
pub fn write(r: &AccessRecord<'_>) {
    let client = Client(r.client);
    let error = ErrorNote(r.error);
    tracing::info!(
        target: "gatehouse::access",
        "{client} {host} \"{method} {path}\" {status} {bytes} route={route} upstream={upstream} user={user} {ms:.1}ms{error}",
        host = r.host,
        method = r.method,
        path = r.path,
        status = r.status,
        bytes = r.body_bytes,
        route = r.route,
        upstream = r.upstream,
        user = r.user,
        ms = r.ms,
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
