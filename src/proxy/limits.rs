//! Request-head limits applied before anything else, like nginx's
//! `large_client_header_buffers 4 8k` (made roomier: SSO cookies add up) and
//! its refusal of raw spaces or control bytes in the request target (and a
//! raw backslash, which Windows servers read as `/`).

use http::header::{self, HeaderValue};
use pingora::http::RequestHeader;

/// Longest single header value accepted.
pub const MAX_HEADER_VALUE: usize = 16 * 1024;
/// Largest total of header names and values accepted.
pub const MAX_HEADERS_TOTAL: usize = 48 * 1024;

/// The fields the gateway reads from every request, each the first value of
/// its name (what `HeaderMap::get` returns), found by [`check`]'s one walk
/// over the head instead of a look-up each.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fields<'a> {
    pub host: Option<&'a HeaderValue>,
    pub forwarded_for: Option<&'a HeaderValue>,
    pub forwarded_proto: Option<&'a HeaderValue>,
    pub content_length: Option<&'a HeaderValue>,
    /// Whether the request has an `Upgrade` field at all.
    pub upgrade: bool,
}

/// `Err(status)` when the request head must be refused: 400 for a target
/// with a space or control byte, an HTTP/1.1 request without `Host` or with
/// two, or with a listed or repeated `Content-Length`; 431 for headers over
/// the limits. Otherwise the [`Fields`] the gateway reads next.
pub fn check(req: &RequestHeader) -> Result<Fields<'_>, u16> {
    // A raw backslash too: Windows servers read it as `/`.
    if req
        .raw_path()
        .iter()
        .any(|&b| b <= b' ' || b == 0x7f || b == b'\\')
    {
        return Err(400);
    }
    // One walk over the fields gives the sizes, the Host and Content-Length
    // counts and the fields read later, instead of a look-up for each.
    let (mut hosts, mut lengths, mut listed_length) = (0usize, 0usize, false);
    let (mut long_value, mut total) = (false, 0usize);
    let mut fields = Fields::default();
    for (name, value) in req.headers.iter() {
        if name == header::HOST {
            hosts += 1;
            fields.host.get_or_insert(value);
        } else if name == header::CONTENT_LENGTH {
            lengths += 1;
            listed_length |= value.as_bytes().contains(&b',');
            fields.content_length.get_or_insert(value);
        } else if name == header::UPGRADE {
            fields.upgrade = true;
        } else if name == crate::headers::X_FORWARDED_FOR {
            fields.forwarded_for.get_or_insert(value);
        } else if name == crate::headers::X_FORWARDED_PROTO {
            fields.forwarded_proto.get_or_insert(value);
        }
        long_value |= value.len() > MAX_HEADER_VALUE;
        total += name.as_str().len() + value.len();
    }
    // HTTP/1.1 requires Host (RFC 9112 §3.2); nginx answers 400 without it.
    if req.version == http::Version::HTTP_11 && req.uri.host().is_none() && hosts == 0 {
        return Err(400);
    }
    if hosts > 1 {
        return Err(400);
    }
    // A `Content-Length` that is a list (`5, 5`) or repeated. RFC 9110 §8.6
    // lets a recipient reject such a message or collapse an equal-valued
    // list; the gateway rejects it (400, connection closed), so a list never
    // reaches an upstream that might frame the body differently.
    if lengths > 1 || listed_length {
        return Err(400);
    }
    if long_value || total > MAX_HEADERS_TOTAL {
        return Err(431);
    }
    Ok(fields)
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

    /// The fields of a request `check` lets through; an error when refused.
    fn admitted(req: &RequestHeader) -> pingora::Result<Fields<'_>> {
        check(req).map_err(|s| {
            pingora::Error::explain(pingora::ErrorType::InternalError, format!("refused: {s}"))
        })
    }

    #[test]
    fn test_check_host_and_content_length() -> pingora::Result<()> {
        let v11 = http::Version::HTTP_11;
        let ok = request(v11, &[("host", "gw"), ("content-length", "5")])?;
        assert_eq!(check(&ok).err(), None);
        assert_eq!(check(&request(v11, &[])?).err(), Some(400));
        assert_eq!(check(&request(http::Version::HTTP_10, &[])?).err(), None);
        let two_hosts = request(v11, &[("host", "a"), ("Host", "b")])?;
        assert_eq!(check(&two_hosts).err(), Some(400));
        let listed = request(v11, &[("host", "gw"), ("content-length", "5, 5")])?;
        assert_eq!(check(&listed).err(), Some(400));
        let repeated = request(
            v11,
            &[
                ("host", "gw"),
                ("content-length", "5"),
                ("content-length", "5"),
            ],
        )?;
        assert_eq!(check(&repeated).err(), Some(400));
        Ok(())
    }

    #[test]
    fn test_check_sizes_and_precedence() -> pingora::Result<()> {
        let v11 = http::Version::HTTP_11;
        let long = "a".repeat(MAX_HEADER_VALUE + 1);
        let fits = "a".repeat(MAX_HEADER_VALUE);
        assert_eq!(
            check(&request(v11, &[("host", "gw"), ("x-a", &fits)])?).err(),
            None
        );
        assert_eq!(
            check(&request(v11, &[("host", "gw"), ("x-a", &long)])?).err(),
            Some(431)
        );
        let many: Vec<(&str, &str)> = std::iter::once(("host", "gw"))
            .chain(std::iter::repeat_n(("x-a", fits.as_str()), 3))
            .collect();
        assert_eq!(check(&request(v11, &many)?).err(), Some(431));
        // A 400 reason wins over a size one, whichever field comes first.
        let both = request(v11, &[("x-a", &long), ("host", "a"), ("host", "b")])?;
        assert_eq!(check(&both).err(), Some(400));
        let raw = RequestHeader::build("GET", b"/a\\b", None)?;
        assert_eq!(check(&raw).err(), Some(400));
        Ok(())
    }

    #[test]
    fn test_check_fields_are_the_first_values() -> pingora::Result<()> {
        let v11 = http::Version::HTTP_11;
        let req = request(
            v11,
            &[
                ("x-forwarded-for", "10.0.0.1"),
                ("host", "gw"),
                ("X-Forwarded-For", "10.0.0.2"),
                ("content-length", "5"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-proto", "http"),
                ("upgrade", "websocket"),
            ],
        )?;
        let fields = admitted(&req)?;
        let h = &req.headers;
        assert_eq!(fields.host, h.get("host"));
        assert_eq!(fields.forwarded_for, h.get("x-forwarded-for"));
        assert_eq!(
            fields.forwarded_for.map(|v| v.as_bytes()),
            Some(&b"10.0.0.1"[..])
        );
        assert_eq!(fields.forwarded_proto, h.get("x-forwarded-proto"));
        assert_eq!(
            fields.forwarded_proto.map(|v| v.as_bytes()),
            Some(&b"https"[..])
        );
        assert_eq!(fields.content_length, h.get("content-length"));
        assert!(fields.upgrade);
        let bare = request(http::Version::HTTP_10, &[])?;
        let none = admitted(&bare)?;
        assert!(none.host.is_none() && none.forwarded_for.is_none());
        assert!(none.forwarded_proto.is_none() && none.content_length.is_none());
        assert!(!none.upgrade);
        Ok(())
    }
}
