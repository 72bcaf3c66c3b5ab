//! A response built by a plain (non-Pingora) module — portal pages, redirects,
//! error pages — and written to the client by the proxy.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};

/// Status, headers and a complete body.
#[derive(Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Reply {
    /// A plain-text reply.
    pub fn text(status: u16, body: &'static str) -> Reply {
        Reply::with_type(
            status,
            "text/plain; charset=utf-8",
            Bytes::from_static(body.as_bytes()),
        )
    }

    /// A plain-text reply built at run time.
    pub fn text_owned(status: u16, body: String) -> Reply {
        Reply::with_type(status, "text/plain; charset=utf-8", Bytes::from(body))
    }

    /// An HTML page (never cached, never framed by other sites).
    pub fn html(status: u16, body: String) -> Reply {
        let mut r = Reply::with_type(status, "text/html; charset=utf-8", Bytes::from(body));
        r.headers.push((
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
        r.headers.push((
            http::header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        ));
        r.headers.push((
            http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'self'",
            ),
        ));
        r
    }

    /// A JSON reply.
    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::json_text(status, value.to_string())
    }

    /// A JSON reply from already serialized text.
    pub fn json_text(status: u16, body: String) -> Reply {
        let mut r = Reply::with_type(status, "application/json", Bytes::from(body));
        r.headers.push((
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
        r
    }

    /// Headers only (`Content-Length: 0`), not to be cached.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            )],
            body: Bytes::new(),
        }
    }

    /// A redirect with an empty body.
    pub fn redirect(status: u16, location: &str) -> Reply {
        let mut r = Reply::with_type(status, "text/plain; charset=utf-8", Bytes::new());
        if let Ok(v) = HeaderValue::from_str(location) {
            r.headers.push((http::header::LOCATION, v));
        }
        r
    }

    fn with_type(status: u16, content_type: &'static str, body: Bytes) -> Reply {
        Reply {
            status,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(content_type),
            )],
            body,
        }
    }

    /// Adds a header (e.g. `Set-Cookie`).
    pub fn push(&mut self, name: HeaderName, value: HeaderValue) {
        self.headers.push((name, value));
    }
}
