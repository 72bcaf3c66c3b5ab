//! Request-head limits applied before anything else, like nginx's
//! `large_client_header_buffers 4 8k` (made roomier: SSO cookies add up) and
//! its refusal of raw spaces or control bytes in the request target.

use pingora::http::RequestHeader;

/// Longest single header value accepted.
pub const MAX_HEADER_VALUE: usize = 16 * 1024;
/// Largest total of header names and values accepted.
pub const MAX_HEADERS_TOTAL: usize = 48 * 1024;

/// `Some(status)` when the request head must be refused: 400 for a target
/// with a space or control byte, an HTTP/1.1 request without `Host` or with
/// two, 431 for headers over the limits.
pub fn check(req: &RequestHeader) -> Option<u16> {
    if req.raw_path().iter().any(|&b| b <= b' ' || b == 0x7f) {
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
    let mut total = 0usize;
    for (name, value) in req.headers.iter() {
        if value.len() > MAX_HEADER_VALUE {
            return Some(431);
        }
        total += name.as_str().len() + value.len();
    }
    (total > MAX_HEADERS_TOTAL).then_some(431)
}
