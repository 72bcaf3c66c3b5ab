//! Which `Upgrade` requests may reach an upstream: WebSocket handshakes only.
//!
//! Any other token (`h2c`, `foo/1`, …) is removed from the request before
//! Pingora or the upstream see it. An upstream that honoured such a token
//! with `101 Switching Protocols` would open a raw tunnel on which later
//! bytes bypass routing and the auth decision (a public `/app/` request
//! upgraded to h2c could then carry `GET /app/admin/` unchecked).

use http::header::{HeaderValue, CONNECTION, UPGRADE};
use http::HeaderMap;

/// The one `Upgrade` value forwarded.
pub const WEBSOCKET: HeaderValue = HeaderValue::from_static("websocket");

/// What the request's `Upgrade` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeAsk {
    /// No `Upgrade` header.
    None,
    /// A WebSocket handshake: exactly one `Upgrade: websocket` (any letter
    /// case) with `Connection` listing `upgrade`.
    WebSocket,
    /// Anything else: removed from the request.
    Other,
}

/// Classifies a request's `Upgrade` header.
pub fn classify(headers: &HeaderMap) -> UpgradeAsk {
    let mut values = headers.get_all(UPGRADE).iter();
    let Some(first) = values.next() else {
        return UpgradeAsk::None;
    };
    let single = values.next().is_none();
    let websocket = single
        && first
            .as_bytes()
            .trim_ascii()
            .eq_ignore_ascii_case(b"websocket");
    let connection_upgrade = headers.get_all(CONNECTION).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
    });
    if websocket && connection_upgrade {
        UpgradeAsk::WebSocket
    } else {
        UpgradeAsk::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn test_classify_websocket_only() {
        assert_eq!(classify(&headers(&[])), UpgradeAsk::None);
        let ws = [("upgrade", "websocket"), ("connection", "Upgrade")];
        assert_eq!(classify(&headers(&ws)), UpgradeAsk::WebSocket);
        let ws = [
            ("upgrade", "WebSocket"),
            ("connection", "keep-alive, upgrade"),
        ];
        assert_eq!(classify(&headers(&ws)), UpgradeAsk::WebSocket);
        for other in ["h2c", "foo/1", "websocket, h2c", "TLS/1.0", ""] {
            let h = headers(&[("upgrade", other), ("connection", "upgrade")]);
            assert_eq!(classify(&h), UpgradeAsk::Other, "{other:?}");
        }
        let no_conn = headers(&[("upgrade", "websocket")]);
        assert_eq!(classify(&no_conn), UpgradeAsk::Other);
        let two = headers(&[
            ("upgrade", "websocket"),
            ("upgrade", "h2c"),
            ("connection", "upgrade"),
        ]);
        assert_eq!(classify(&two), UpgradeAsk::Other);
    }
}
