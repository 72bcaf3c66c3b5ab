//! Request-head limits applied before anything else, like nginx's
//! `large_client_header_buffers 4 8k` (made roomier: SSO cookies add up) and
//! its refusal of raw spaces or control bytes in the request target (and a
//! raw backslash, which Windows servers read as `/`).

use pingora::http::RequestHeader;

/// Longest single header value accepted.
pub const MAX_HEADER_VALUE: usize = 16 * 1024;
/// Largest total of header names and values accepted.
pub const MAX_HEADERS_TOTAL: usize = 48 * 1024;

/// `Some(status)` when the request head must be refused: 400 for a target
/// with a space or control byte, an HTTP/1.1 request without `Host` or with
/// two, 431 for headers over the limits.
pub fn check(req: &RequestHeader) -> Option<u16> {
    // A raw backslash too: Windows servers read it as `/`.
    if req
        .raw_path()
        .iter()
        .any(|&b| b <= b' ' || b == 0x7f || b == b'\\')
    {
        return Some(400);
    }
    // HTTP/1.1 requires Host (RFC 9112 §3.2); nginx answers 400 without it.
    if req.version == http::Version::HTTP_11
        && req.uri.host().is_none()
        && req.headers.get(http::header::HOST).is_none()
    {
        return Some(400);
    }
    if req.headers.get_all(http::header::HOST).iter().count() > 1 {
        return Some(400);
    }
    if ambiguous_length(&req.headers) {
        return Some(400);
    }
    let mut total = 0usize;
    for (name, value) in req.headers.iter() {
        if value.len() > MAX_HEADER_VALUE {
            return Some(431);
        }
        total += name.as_str().len() + value.len();
    }
    (total > MAX_HEADERS_TOTAL).then_some(431)
}

/// A `Content-Length` that is a list (`5, 5`) or repeated. RFC 9110 §8.6
/// lets a recipient reject such a message or collapse an equal-valued list;
/// the gateway rejects it (400, connection closed), so a list never reaches
/// an upstream that might frame the body differently.
pub fn ambiguous_length(headers: &http::HeaderMap) -> bool {
    let mut values = headers.get_all(http::header::CONTENT_LENGTH).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v.as_bytes().contains(&b','),
        (Some(_), Some(_)) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ambiguous_length_lists_and_repeats() {
        let mut h = http::HeaderMap::new();
        assert!(!ambiguous_length(&h));
        h.insert("content-length", http::HeaderValue::from_static("5"));
        assert!(!ambiguous_length(&h));
        h.insert("content-length", http::HeaderValue::from_static("5, 5"));
        assert!(ambiguous_length(&h));
        h.insert("content-length", http::HeaderValue::from_static("5"));
        h.append("content-length", http::HeaderValue::from_static("5"));
        assert!(ambiguous_length(&h));
    }
}
