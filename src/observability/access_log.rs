//! The access log: one line per request (target `gatehouse::access`,
//! filtered by `RUST_LOG` like every target), buffered per worker thread
//! ([`super::buffer`]). With the gateway's own subscriber installed the line
//! is written by hand straight into the buffer; otherwise it goes out as a
//! `tracing` event with the same text. Only the path is logged, never the
//! query (Plex puts `X-Plex-Token` there), cookies or `Authorization`.
//!
//! The proxy builds an [`AccessRecord`] of plain values for each finished
//! request; nothing here knows the proxy or the gateway's state.

use std::io::Write as _;
use std::net::IpAddr;

use crate::ip_text::V4Text;

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

/// Writes the line for one finished request: straight into this worker's
/// buffer when the gateway's own subscriber is installed and the access
/// target is enabled, else (another subscriber, as in some tests) as a
/// `tracing` event with the same text.
pub fn write(r: &AccessRecord<'_>) {
    if !tracing::enabled!(target: "gatehouse::access", tracing::Level::INFO) {
        return;
    }
    if super::buffer::direct() {
        super::buffer::append_line(crate::clock::now(), |out| push_line(out, r));
        return;
    }
    let mut line = Vec::with_capacity(160);
    push_line(&mut line, r);
    let line = String::from_utf8_lossy(&line);
    tracing::info!(target: "gatehouse::access", "{line}");
}

/// The line after its prefix:
/// `{client} {host} "{method} {path}" {status} {bytes} route={route}
/// upstream={upstream} user={user} {ms:.1}ms[ error="…"]`, written without
/// `core::fmt` (its machinery was most of the line's cost: the integers,
/// the float and the IPv4 address).
fn push_line(out: &mut Vec<u8>, r: &AccessRecord<'_>) {
    match r.client {
        Some(IpAddr::V4(v4)) => out.extend_from_slice(V4Text::new(v4).as_str().as_bytes()),
        Some(ip @ IpAddr::V6(_)) => {
            let _ = write!(out, "{ip}");
        }
        None => out.push(b'-'),
    }
    out.push(b' ');
    out.extend_from_slice(r.host.as_bytes());
    out.extend_from_slice(b" \"");
    out.extend_from_slice(r.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(r.path.as_bytes());
    out.extend_from_slice(b"\" ");
    push_u64(out, u64::from(r.status));
    out.push(b' ');
    push_u64(out, r.body_bytes as u64);
    out.extend_from_slice(b" route=");
    out.extend_from_slice(r.route.as_bytes());
    out.extend_from_slice(b" upstream=");
    out.extend_from_slice(r.upstream.as_bytes());
    out.extend_from_slice(b" user=");
    out.extend_from_slice(r.user.as_bytes());
    out.push(b' ');
    push_tenths(out, r.ms);
    out.extend_from_slice(b"ms");
    if let Some(err) = r.error {
        out.extend_from_slice(b" error=\"");
        out.extend_from_slice(err.as_bytes());
        out.push(b'"');
    }
}

/// `n` in decimal.
fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(crate::ip_text::decimal(n, &mut [0u8; 20]));
}

/// A non-negative number of milliseconds with one decimal (`18.2`),
/// rounded half up.
fn push_tenths(out: &mut Vec<u8>, ms: f64) {
    // Saturating: NaN and negatives give 0, huge values the largest u64.
    let tenths = (ms * 10.0).round() as u64;
    push_u64(out, tenths / 10);
    out.push(b'.');
    out.push(b'0' + (tenths % 10) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(client: Option<IpAddr>, ms: f64, error: Option<&'a str>) -> AccessRecord<'a> {
        AccessRecord {
            client,
            host: "gw.example.com",
            method: "GET",
            path: "/plex/web/index.html",
            status: 200,
            body_bytes: 1234,
            route: "plex",
            upstream: "127.0.0.1:32400",
            user: "alice",
            ms,
            error,
        }
    }

    fn line(r: &AccessRecord<'_>) -> String {
        let mut out = Vec::new();
        push_line(&mut out, r);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn test_line_as_documented() {
        let r = record(Some(IpAddr::from([192, 0, 2, 7])), 18.24, None);
        assert_eq!(
            line(&r),
            "192.0.2.7 gw.example.com \"GET /plex/web/index.html\" 200 1234 route=plex \
             upstream=127.0.0.1:32400 user=alice 18.2ms"
        );
        let r = record(None, 0.0, Some("upstream timed out"));
        assert_eq!(
            line(&r),
            "- gw.example.com \"GET /plex/web/index.html\" 200 1234 route=plex \
             upstream=127.0.0.1:32400 user=alice 0.0ms error=\"upstream timed out\""
        );
        let v6 = "2001:db8::1".parse().ok();
        assert!(line(&record(v6, 1.0, None)).starts_with("2001:db8::1 gw.example.com "));
    }

    #[test]
    fn test_numbers_match_fmt() {
        for n in [0u64, 7, 10, 99, 100, 65_535, 1_000_000, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
        for (ms, text) in [
            (0.0, "0.0"),
            (0.04, "0.0"),
            (0.06, "0.1"),
            (18.26, "18.3"),
            (1234.5678, "1234.6"),
        ] {
            let mut out = Vec::new();
            push_tenths(&mut out, ms);
            assert_eq!(String::from_utf8(out).unwrap_or_default(), text);
        }
    }
}
