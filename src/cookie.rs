//! Cookies: every `Set-Cookie` the gateway sends is built by [`set_cookie`]
//! (removals by [`removal`], which repeats the Domain and Path), and incoming
//! `Cookie:` headers are read by [`find`] without allocating.
//!
//! Attribute order is fixed: `name=value; Path; Domain; Max-Age; Expires;
//! HttpOnly; Secure; SameSite`. `Expires` is written next to `Max-Age` for old
//! clients and is computed from an explicit `now`. Lifetimes are capped at 400
//! days (RFC 6265bis; browsers cap there anyway).
//!
//! The `Secure` flag comes from [`secure_flag`]: the configured `public_url`
//! and whether this connection is TLS — never from a client header such as
//! `X-Forwarded-Proto` (docs/docs/security.md D 21, the Organizr flaw).
//!
//! Nothing here ever formats a cookie *value* into an error or log line.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;

/// Longest lifetime written into a cookie (RFC 6265bis: 400 days).
pub const MAX_AGE_CAP: Duration = Duration::from_secs(400 * 24 * 3600);

/// Errors building a `Set-Cookie`. The value itself is never included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    /// The name is empty or has a character outside RFC 6265's token set.
    #[error("cookie name {0:?} is not valid")]
    InvalidName(String),
    /// The value of cookie `name` has a byte outside RFC 6265's cookie-octet
    /// set (`;`, `,`, space, `"`, `\`, control characters, non-ASCII).
    #[error("value of cookie {name:?} has an invalid byte at offset {offset}")]
    InvalidValue { name: String, offset: usize },
    /// The Domain attribute is empty or has a forbidden character.
    #[error("cookie domain {0:?} is not valid")]
    InvalidDomain(String),
    /// The Path attribute does not start with `/` or has a forbidden character.
    #[error("cookie path {0:?} is not valid")]
    InvalidPath(String),
    /// Browsers drop `SameSite=None` cookies that are not `Secure`.
    #[error("cookie {0:?}: SameSite=None requires Secure")]
    SameSiteNoneWithoutSecure(String),
}

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Never sent on cross-site requests.
    Strict,
    /// Sent on top-level cross-site navigations (our session cookie).
    Lax,
    /// Always sent; requires `Secure`.
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// Everything a `Set-Cookie` header says.
#[derive(Debug, Clone, Copy)]
pub struct CookieSpec<'a> {
    /// Cookie name (RFC 6265 token).
    pub name: &'a str,
    /// Cookie value (RFC 6265 cookie-octets; may be empty).
    pub value: &'a str,
    /// `Domain`, as configured (a leading dot is kept); `None` = host-only.
    pub domain: Option<&'a str>,
    /// `Path`, starting with `/`.
    pub path: &'a str,
    /// `None` = session cookie; `Some(ZERO)` = removal.
    pub max_age: Option<Duration>,
    /// `HttpOnly`: not readable from JavaScript.
    pub http_only: bool,
    /// `Secure`: only sent over HTTPS (see [`secure_flag`]).
    pub secure: bool,
    /// `SameSite`.
    pub same_site: SameSite,
}

/// Builds the `Set-Cookie` header value for `spec`; `now` sets `Expires`.
pub fn set_cookie(spec: &CookieSpec<'_>, now: SystemTime) -> Result<HeaderValue, CookieError> {
    if !is_valid_name(spec.name) {
        return Err(CookieError::InvalidName(spec.name.to_owned()));
    }
    if let Some(offset) = spec.value.bytes().position(|b| !is_cookie_octet(b)) {
        let name = spec.name.to_owned();
        return Err(CookieError::InvalidValue { name, offset });
    }
    if !spec.path.starts_with('/') || !is_attr_text(spec.path) {
        return Err(CookieError::InvalidPath(spec.path.to_owned()));
    }
    if let Some(d) = spec.domain {
        if d.trim_start_matches('.').is_empty() || !is_attr_text(d) || d.contains(' ') {
            return Err(CookieError::InvalidDomain(d.to_owned()));
        }
    }
    if spec.same_site == SameSite::None && !spec.secure {
        return Err(CookieError::SameSiteNoneWithoutSecure(spec.name.to_owned()));
    }

    let mut out = String::with_capacity(spec.name.len() + spec.value.len() + 128);
    out.push_str(spec.name);
    out.push('=');
    out.push_str(spec.value);
    out.push_str("; Path=");
    out.push_str(spec.path);
    if let Some(d) = spec.domain {
        out.push_str("; Domain=");
        out.push_str(d);
    }
    if let Some(age) = spec.max_age {
        let age = age.min(MAX_AGE_CAP);
        out.push_str("; Max-Age=");
        out.push_str(&age.as_secs().to_string());
        let expires = if age.as_secs() == 0 {
            UNIX_EPOCH
        } else {
            now.checked_add(age).unwrap_or(now)
        };
        out.push_str("; Expires=");
        out.push_str(&http_date(expires));
    }
    if spec.http_only {
        out.push_str("; HttpOnly");
    }
    if spec.secure {
        out.push_str("; Secure");
    }
    out.push_str("; SameSite=");
    out.push_str(spec.same_site.as_str());
    // Every byte was checked above (visible ASCII or space), so this cannot fail.
    HeaderValue::from_str(&out).map_err(|_| CookieError::InvalidName(spec.name.to_owned()))
}

/// A `Set-Cookie` that deletes cookie `name`: empty value, `Max-Age=0`, an
/// `Expires` in the past (the Unix epoch), and the same `Domain` and `Path`
/// it was set with (a browser only replaces a cookie whose name, Domain and
/// Path all match).
pub fn removal(
    name: &str,
    domain: Option<&str>,
    path: &str,
    secure: bool,
) -> Result<HeaderValue, CookieError> {
    let spec = CookieSpec {
        name,
        value: "",
        domain,
        path,
        max_age: Some(Duration::ZERO),
        http_only: true,
        secure,
        same_site: SameSite::Lax,
    };
    set_cookie(&spec, UNIX_EPOCH)
}

/// Whether cookies get the `Secure` flag: `public_url` is https, or this
/// request arrived over TLS. Deliberately takes no client header.
pub fn secure_flag(public_url_is_https: bool, over_tls: bool) -> bool {
    public_url_is_https || over_tls
}

/// The value of cookie `name` in one `Cookie:` header value (`a=1; b=2`).
///
/// Names are case-sensitive; the first match wins (browsers send the most
/// specific path first); surrounding whitespace and a pair of double quotes
/// around the value are removed. Malformed pairs are skipped; a value that
/// is not UTF-8 gives `None`. Never allocates, never panics.
pub fn find<'a>(cookie_header: &'a [u8], name: &str) -> Option<&'a str> {
    if name.is_empty() {
        return None;
    }
    // One pass over the bytes, pair by pair: no UTF-8 check of the whole
    // header and no substring-search set-up (this runs on every request).
    let name = name.as_bytes();
    for pair in cookie_header.split(|&b| b == b';') {
        let Some(rest) = trim_start(pair).strip_prefix(name) else {
            continue;
        };
        let Some(value) = trim_start(rest).strip_prefix(b"=") else {
            continue;
        };
        return std::str::from_utf8(unquote(trim(value))).ok();
    }
    None
}

/// [`find`] over every `Cookie:` header of a request (HTTP/2 clients may
/// split cookies into several headers), in order.
pub fn find_in_headers<'a, I>(headers: I, name: &str) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    headers.into_iter().find_map(|h| find(h, name))
}

/// Every `(name, value)` pair of one `Cookie:` header value, trimmed, with
/// quotes removed from values; pairs without `=` or with an empty name are
/// skipped.
pub fn pairs(cookie_header: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    cookie_header.split(|&b| b == b';').filter_map(|pair| {
        let eq = pair.iter().position(|&b| b == b'=')?;
        let name = trim(&pair[..eq]);
        if name.is_empty() {
            return None;
        }
        let value = unquote(trim(&pair[eq + 1..]));
        Some((name, value))
    })
}

/// Whether `name` is a valid cookie name (RFC 6265 token).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// Whether `value` may be sent as a cookie value (RFC 6265 cookie-octets).
pub fn is_valid_value(value: &str) -> bool {
    value.bytes().all(is_cookie_octet)
}

fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

fn is_attr_text(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        v => v,
    }
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

fn trim(s: &[u8]) -> &[u8] {
    let mut s = trim_start(s);
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// `t` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`). Times before the
/// epoch are written as the epoch.
pub fn http_date(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS[(days % 7) as usize];
    let month = MONTHS[(month - 1) as usize];
    format!(
        "{weekday}, {day:02} {month} {year:04} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), proleptic
/// Gregorian (Howard Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn session_spec<'a>(value: &'a str) -> CookieSpec<'a> {
        CookieSpec {
            name: "gatehouse_session",
            value,
            domain: Some(".example.com"),
            path: "/",
            max_age: Some(Duration::from_secs(86_400)),
            http_only: true,
            secure: true,
            same_site: SameSite::Lax,
        }
    }

    #[test]
    fn test_set_cookie_attribute_order() {
        let v = set_cookie(&session_spec("abc123"), at(784_111_777)).unwrap();
        assert_eq!(
            v.to_str().unwrap(),
            "gatehouse_session=abc123; Path=/; Domain=.example.com; Max-Age=86400; \
             Expires=Mon, 07 Nov 1994 08:49:37 GMT; HttpOnly; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn test_set_cookie_session_cookie_has_no_expiry() {
        let spec = CookieSpec {
            name: "mpt",
            value: "tok",
            domain: None,
            path: "/",
            max_age: None,
            http_only: false,
            secure: false,
            same_site: SameSite::Lax,
        };
        let v = set_cookie(&spec, at(0)).unwrap();
        assert_eq!(v.to_str().unwrap(), "mpt=tok; Path=/; SameSite=Lax");
    }

    #[test]
    fn test_set_cookie_round_trip_through_find() {
        let token = "Zm9vYmFy-_.~0123456789abcdefABCDEF";
        let v = set_cookie(&session_spec(token), at(1_000)).unwrap();
        // A browser sends back only `name=value`.
        let set = v.to_str().unwrap();
        let pair = set.split(';').next().unwrap();
        let header = format!("other=1; {pair}; last=2");
        assert_eq!(find(header.as_bytes(), "gatehouse_session"), Some(token));
    }

    #[test]
    fn test_set_cookie_caps_lifetime() {
        let mut spec = session_spec("v");
        spec.max_age = Some(Duration::from_secs(u64::MAX));
        let v = set_cookie(&spec, at(0)).unwrap();
        assert!(v.to_str().unwrap().contains("; Max-Age=34560000;"));
    }

    #[test]
    fn test_set_cookie_rejects_bad_values_without_echoing_them() {
        for bad in [
            "a;b",
            "a b",
            "a\r\nSet-Cookie: x=1",
            "a,b",
            "\"q\"",
            "caf\u{e9}",
            "a\0",
        ] {
            let err = set_cookie(&session_spec(bad), at(0)).unwrap_err();
            assert!(matches!(err, CookieError::InvalidValue { .. }), "{bad:?}");
            assert!(
                !err.to_string().contains(bad),
                "error must not echo the value"
            );
            assert!(!is_valid_value(bad));
        }
        assert!(is_valid_value(""));
    }

    #[test]
    fn test_set_cookie_rejects_bad_name_path_domain_samesite() {
        let mut spec = session_spec("v");
        spec.name = "a=b";
        assert_eq!(
            set_cookie(&spec, at(0)),
            Err(CookieError::InvalidName("a=b".into()))
        );
        let mut spec = session_spec("v");
        spec.path = "/x; Domain=evil.com";
        assert!(matches!(
            set_cookie(&spec, at(0)),
            Err(CookieError::InvalidPath(_))
        ));
        let mut spec = session_spec("v");
        spec.path = "x";
        assert!(matches!(
            set_cookie(&spec, at(0)),
            Err(CookieError::InvalidPath(_))
        ));
        let mut spec = session_spec("v");
        spec.domain = Some(".");
        assert!(matches!(
            set_cookie(&spec, at(0)),
            Err(CookieError::InvalidDomain(_))
        ));
        let mut spec = session_spec("v");
        spec.secure = false;
        spec.same_site = SameSite::None;
        assert!(matches!(
            set_cookie(&spec, at(0)),
            Err(CookieError::SameSiteNoneWithoutSecure(_))
        ));
    }

    #[test]
    fn test_removal_matches_domain_and_path() {
        let v = removal(
            "tautulli_token_ab12",
            Some(".example.com"),
            "/tautulli",
            true,
        )
        .unwrap();
        assert_eq!(
            v.to_str().unwrap(),
            "tautulli_token_ab12=; Path=/tautulli; Domain=.example.com; Max-Age=0; \
             Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax"
        );
        let v = removal("gatehouse_session", None, "/", false).unwrap();
        assert!(!v.to_str().unwrap().contains("Domain="));
    }

    #[test]
    fn test_secure_flag_never_from_client() {
        assert!(secure_flag(true, false));
        assert!(secure_flag(false, true));
        assert!(!secure_flag(false, false));
    }

    #[test]
    fn test_find_variants() {
        let h: &[u8] = b"a=1; gs=tok; b=\"quoted\";c=;  d = spaced ; =x; noeq; gs=second";
        assert_eq!(find(h, "a"), Some("1"));
        assert_eq!(find(h, "gs"), Some("tok"));
        assert_eq!(find(h, "b"), Some("quoted"));
        assert_eq!(find(h, "c"), Some(""));
        assert_eq!(find(h, "d"), Some("spaced"));
        assert_eq!(find(h, "GS"), None);
        assert_eq!(find(h, "noeq"), None);
        assert_eq!(find(h, "missing"), None);
        assert_eq!(find(b"", "a"), None);
        assert_eq!(find(b"x=\xff\xfe", "x"), None);
    }

    #[test]
    fn test_find_in_headers_first_header_wins() {
        let headers: [&[u8]; 3] = [b"a=1", b"s=first", b"s=second"];
        assert_eq!(find_in_headers(headers, "s"), Some("first"));
        assert_eq!(find_in_headers(headers, "zz"), None);
    }

    #[test]
    fn test_find_tampered_truncated_and_huge_headers() {
        // docs/docs/security.md D 25: never a panic.
        let huge = "x=".repeat(200_000) + "; s=ok";
        assert_eq!(find(huge.as_bytes(), "s"), Some("ok"));
        for h in [
            &b"s"[..],
            b"s=",
            b"=",
            b";;;",
            b"\"",
            b"s=\"",
            b"s=\"\"",
            b"; s",
        ] {
            let _ = find(h, "s");
        }
        assert_eq!(find(b"s=\"", "s"), Some("\""));
        assert_eq!(find(b"s=\"\"", "s"), Some(""));
    }

    #[test]
    fn test_find_random_bytes_never_panic() {
        // Property-style: xorshift over an alphabet rich in separators.
        let alphabet = b"s=; \t\"ab,\\\xff\x00\xc3\xa9";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut buf = Vec::with_capacity(256);
        for _ in 0..20_000 {
            buf.clear();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 64) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                buf.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            // The scan agrees with the pair-by-pair reading of `pairs`.
            let reference = pairs(&buf)
                .find(|(n, _)| *n == b"s")
                .and_then(|(_, v)| std::str::from_utf8(v).ok());
            assert_eq!(find(&buf, "s"), reference, "{buf:?}");
            if let Some(v) = find(&buf, "s") {
                // Whatever is found is a sub-slice of the input.
                assert!(v.len() <= buf.len());
                assert!(!v.contains(';'));
            }
        }
    }

    #[test]
    fn test_http_date_known_values() {
        assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(at(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(
            http_date(at(1_795_000_000)),
            "Wed, 18 Nov 2026 11:06:40 GMT"
        );
        assert_eq!(
            http_date(at(253_402_300_799)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }
}
