//! The host a request asked for ([`crate::headers::request_host`]), found
//! once per request and kept beside it: routing, the auth level, redirects
//! and `$host` all read the same value without looking the `Host` header up
//! and trimming it again.

use http::header::HeaderValue;
use http::uri::Authority;
use http::Uri;

/// A request's host, held as a reference-counted copy of the field it lies in
/// (no allocation) and the range it takes there.
#[derive(Debug, Clone, Default)]
pub struct RequestHost {
    source: Source,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Default)]
enum Source {
    /// No host: an HTTP/1.0 request without `Host`, or an empty one.
    #[default]
    None,
    /// The URI's authority (HTTP/2 `:authority`, absolute-form targets).
    Authority(Authority),
    /// The `Host` header.
    Header(HeaderValue),
    /// Kept as text when the host is not found inside its field (not
    /// expected; it keeps the value right all the same).
    Owned(Box<str>),
}

impl RequestHost {
    /// The host of a request with this URI and this (first) `Host` field:
    /// the same value as [`crate::headers::request_host`].
    pub fn from_field(uri: &Uri, header: Option<&HeaderValue>) -> RequestHost {
        let uri_host = uri.host();
        let host = crate::headers::request_host(uri_host, header.map(|v| v.as_bytes()));
        if host.is_empty() {
            return RequestHost::default();
        }
        let source = match (uri_host.and(uri.authority()), header) {
            (Some(authority), _) => Source::Authority(authority.clone()),
            (None, Some(value)) => Source::Header(value.clone()),
            (None, None) => Source::Owned(host.into()),
        };
        let mut found = RequestHost {
            source,
            start: 0,
            end: 0,
        };
        let field = found.field();
        let start = (host.as_ptr() as usize).wrapping_sub(field.as_ptr() as usize);
        if field.get(start..start + host.len()) == Some(host.as_bytes()) {
            found.start = start;
            found.end = start + host.len();
        } else {
            found = RequestHost {
                source: Source::Owned(host.into()),
                start: 0,
                end: host.len(),
            };
        }
        found
    }

    /// The host without port and trailing dot, case kept; `""` when the
    /// request named none.
    pub fn as_str(&self) -> &str {
        self.field()
            .get(self.start..self.end)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    fn field(&self) -> &[u8] {
        match &self.source {
            Source::None => b"",
            Source::Authority(a) => a.as_str().as_bytes(),
            Source::Header(v) => v.as_bytes(),
            Source::Owned(s) => s.as_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HOST;
    use http::HeaderMap;

    fn host(uri: &str, header: Option<&str>) -> String {
        let uri: Uri = uri.parse().unwrap();
        let mut headers = HeaderMap::new();
        if let Some(h) = header {
            headers.insert(HOST, h.parse().unwrap());
        }
        let found = RequestHost::from_field(&uri, headers.get(HOST));
        let expected = crate::headers::request_host(uri.host(), header.map(|h| h.as_bytes()));
        assert_eq!(found.as_str(), expected, "{uri} {header:?}");
        assert_eq!(found.clone().as_str(), expected);
        found.as_str().to_owned()
    }

    #[test]
    fn test_request_host_is_the_same_value_as_headers_request_host() {
        assert_eq!(host("/", Some("Example.test:8080")), "Example.test");
        assert_eq!(host("/", Some(" private.test.:80 ")), "private.test");
        assert_eq!(host("/", Some("[::1]:8080")), "::1");
        assert_eq!(host("/", Some("[::1]")), "::1");
        assert_eq!(host("/", Some("")), "");
        assert_eq!(host("/", Some(":80")), "");
        assert_eq!(host("/", None), "");
        // HTTP/2 :authority and absolute-form targets win over Host
        assert_eq!(host("https://a.test:8443/x", Some("b.test")), "a.test");
        assert_eq!(host("http://user@a.test./x", None), "a.test");
        assert_eq!(
            host("http://[2001:db8::1]:80/", Some("b.test")),
            "2001:db8::1"
        );
        assert_eq!(RequestHost::default().as_str(), "");
    }

    #[test]
    fn test_request_host_with_obs_text_in_host_is_empty_as_before() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_bytes(b"caf\xe9.test").unwrap());
        let uri: Uri = "/".parse().unwrap();
        assert_eq!(
            RequestHost::from_field(&uri, headers.get(HOST)).as_str(),
            ""
        );
    }
}
