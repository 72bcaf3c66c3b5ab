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
/// two, or with a listed or repeated `Content-Length`; 431 for headers over
/// the limits.
pub fn check(req: &RequestHeader) -> Option<u16> {
    // A raw backslash too: Windows servers read it as `/`.
    if req
        .raw_path()
        .iter()
        .any(|&b| b <= b' ' || b == 0x7f || b == b'\\')
    {
        return Some(400);
    }
    // One walk over the fields gives the sizes and the Host and
    // Content-Length counts, instead of a look-up for each.
    let (mut hosts, mut lengths, mut listed_length) = (0usize, 0usize, false);
    let (mut long_value, mut total) = (false, 0usize);
    for (name, value) in req.headers.iter() {
        if name == http::header::HOST {
            hosts += 1;
        } else if name == http::header::CONTENT_LENGTH {
            lengths += 1;
            listed_length |= value.as_bytes().contains(&b',');
        }
        long_value |= value.len() > MAX_HEADER_VALUE;
        total += name.as_str().len() + value.len();
    }
    // HTTP/1.1 requires Host (RFC 9112 §3.2); nginx answers 400 without it.
    if req.version == http::Version::HTTP_11 && req.uri.host().is_none() && hosts == 0 {
        return Some(400);
    }
    if hosts > 1 {
        return Some(400);
    }
    // A `Content-Length` that is a list (`5, 5`) or repeated. RFC 9110 §8.6
    // lets a recipient reject such a message or collapse an equal-valued
    // list; the gateway rejects it (400, connection closed), so a list never
    // reaches an upstream that might frame the body differently.
    if lengths > 1 || listed_length {
        return Some(400);
    }
    (long_value || total > MAX_HEADERS_TOTAL).then_some(431)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: http::Version, fields: &[(&str, &str)]) -> pingora::Result<RequestHeader> {
        let mut req = RequestHeader::build("GET", b"/a", None)?;
        req.set_version(version);
        for (name, value) in fields {
            req.append_header(name.to_string(), *value)?;
        }
        Ok(req)
    }

    #[test]
    fn test_check_host_and_content_length() -> pingora::Result<()> {
        let v11 = http::Version::HTTP_11;
        let ok = request(v11, &[("host", "gw"), ("content-length", "5")])?;
        assert_eq!(check(&ok), None);
        assert_eq!(check(&request(v11, &[])?), Some(400));
        assert_eq!(check(&request(http::Version::HTTP_10, &[])?), None);
        let two_hosts = request(v11, &[("host", "a"), ("Host", "b")])?;
        assert_eq!(check(&two_hosts), Some(400));
        let listed = request(v11, &[("host", "gw"), ("content-length", "5, 5")])?;
        assert_eq!(check(&listed), Some(400));
        let repeated = request(
            v11,
            &[
                ("host", "gw"),
                ("content-length", "5"),
                ("content-length", "5"),
            ],
        )?;
        assert_eq!(check(&repeated), Some(400));
        Ok(())
    }

    #[test]
    fn test_check_sizes_and_precedence() -> pingora::Result<()> {
        let v11 = http::Version::HTTP_11;
        let long = "a".repeat(MAX_HEADER_VALUE + 1);
        let fits = "a".repeat(MAX_HEADER_VALUE);
        assert_eq!(
            check(&request(v11, &[("host", "gw"), ("x-a", &fits)])?),
            None
        );
        assert_eq!(
            check(&request(v11, &[("host", "gw"), ("x-a", &long)])?),
            Some(431)
        );
        let many: Vec<(&str, &str)> = std::iter::once(("host", "gw"))
            .chain(std::iter::repeat_n(("x-a", fits.as_str()), 3))
            .collect();
        assert_eq!(check(&request(v11, &many)?), Some(431));
        // A 400 reason wins over a size one, whichever field comes first.
        let both = request(v11, &[("x-a", &long), ("host", "a"), ("host", "b")])?;
        assert_eq!(check(&both), Some(400));
        let raw = RequestHeader::build("GET", b"/a\\b", None)?;
        assert_eq!(check(&raw), Some(400));
        Ok(())
    }
}
