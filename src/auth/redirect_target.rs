//! Validation of the `rd` parameter (where to go after login): the
//! open-redirect defence of docs/docs/docs/security.md B 7–13.
//!
//! A target is accepted only if it is
//! - a path on this gateway: starts with exactly one `/`, and after
//!   percent-decoding (repeatedly) and removing dot segments still does not
//!   start with `//`, `/\` or `/<whitespace>/`; no control characters, no
//!   backslashes, no raw whitespace anywhere; or
//! - an absolute `https` URL (`http` too when cookies are not `Secure`)
//!   without userinfo, whose host — as parsed by the `url` crate, so
//!   `a.com@evil.com` and `evil.com#.a.com` are judged by their real host — is
//!   `public_url`'s host, or the session domain, or ends with `.` + it.
//!
//! In both cases no query value may itself look like a redirect target
//! (`https://…`, `//…`, `javascript:`…): that would only forward the open
//! redirect to the next application. Anything else gives `None` and the
//! caller falls back to the home page. Targets longer than 2 KiB are refused.
//!
//! The function takes only the `rd` value: a target must never be derived
//! from `X-Forwarded-Host`/`-Uri` of an untrusted client (B 13).

use std::borrow::Cow;

use url::Url;

/// Longest accepted `rd`, in bytes.
pub const MAX_LEN: usize = 2048;

/// How many rounds of percent-decoding are undone before checking.
const DECODE_ROUNDS: usize = 4;

/// The safe form of `rd`, or `None` when it must not be followed.
///
/// `public_url` is `[server] public_url`, `session_domain` is
/// `[session] domain` (with or without its leading dot), `secure` whether the
/// session cookie is `Secure` (then `http://` targets are refused).
pub fn safe_rd(
    rd: &str,
    public_url: &Url,
    session_domain: Option<&str>,
    secure: bool,
) -> Option<String> {
    if rd.is_empty() || rd.len() > MAX_LEN {
        return None;
    }
    // Raw form: visible ASCII only, never a backslash.
    if !rd.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return None;
    }
    if rd.starts_with('/') {
        return safe_path(rd).then(|| rd.to_owned());
    }
    let url = Url::parse(rd).ok()?;
    match url.scheme() {
        "https" => {}
        "http" if !secure => {}
        _ => return None,
    }
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let host = url.host_str()?;
    if !host_allowed(host, public_url, session_domain) {
        return None;
    }
    let path = fully_decoded(url.path())?;
    if path.contains('\\') || path.bytes().any(|b| b.is_ascii_control()) {
        return None;
    }
    if url.query().is_some_and(has_nested_redirect) {
        return None;
    }
    Some(url.into())
}

fn host_allowed(host: &str, public_url: &Url, session_domain: Option<&str>) -> bool {
    if public_url
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(host))
    {
        return true;
    }
    let Some(domain) = session_domain.map(|d| d.trim_start_matches('.')) else {
        return false;
    };
    if domain.is_empty() {
        return false;
    }
    let host = host.to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    host == domain
        || host
            .strip_suffix(domain.as_str())
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Checks a target that starts with `/`.
fn safe_path(rd: &str) -> bool {
    let (path, query) = match rd.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rd, None),
    };
    let path = path.split('#').next().unwrap_or_default();
    let Some(decoded) = fully_decoded(path) else {
        return false;
    };
    if decoded.contains('\\') || decoded.chars().any(char::is_control) {
        return false;
    }
    let normalized = remove_dot_segments(&decoded);
    let mut rest = normalized.strip_prefix('/').unwrap_or("/").chars();
    // `//evil`, `/ /evil`, `/\t/evil` (tabs are removed by browsers).
    let after_blank = rest.find(|c| !c.is_whitespace());
    if !normalized.starts_with('/') || matches!(after_blank, Some('/')) {
        return false;
    }
    !query.is_some_and(has_nested_redirect)
}

/// Whether a query string has a value that is itself a redirect target.
fn has_nested_redirect(query: &str) -> bool {
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').any(|pair| {
        let value = pair.split_once('=').map_or(pair, |(_, v)| v);
        let plus_as_space = value.replace('+', " ");
        match fully_decoded(&plus_as_space) {
            Some(v) => looks_like_target(&v),
            None => true,
        }
    })
}

fn looks_like_target(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    if v.starts_with("//") || v.starts_with("\\\\") || v.starts_with("/\\") || v.starts_with("\\/")
    {
        return true;
    }
    let Some((scheme, rest)) = v.split_once(':') else {
        return false;
    };
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme
        && (rest.starts_with("//")
            || rest.starts_with("\\")
            || matches!(scheme, "javascript" | "data" | "vbscript" | "file"))
}

/// Percent-decodes until stable (at most [`DECODE_ROUNDS`] rounds); `None`
/// if it is still changing after that or the bytes are not UTF-8.
fn fully_decoded(input: &str) -> Option<String> {
    let mut current: Cow<'_, str> = Cow::Borrowed(input);
    for _ in 0..DECODE_ROUNDS {
        let decoded = percent_decode(current.as_bytes());
        if decoded == current.as_bytes() {
            return Some(current.into_owned());
        }
        current = Cow::Owned(String::from_utf8(decoded).ok()?);
    }
    None
}

/// Decodes `%XX` escapes; malformed escapes are kept as they are.
pub(crate) fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' && i + 2 < input.len() {
            if let (Some(h), Some(l)) = (hex_val(input[i + 1]), hex_val(input[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 §5.2.4 for an absolute path; empty segments are kept, so
/// `/../..//evil.com` becomes `//evil.com`.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
        if i == last && matches!(*seg, "." | "..") {
            out.push("");
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::random_string;

    fn public() -> Url {
        Url::parse("https://gw.example.com:8443/").unwrap()
    }

    /// `safe_rd` with public_url `https://gw.example.com:8443`, session
    /// domain `.example.com`, Secure cookies.
    fn rd(target: &str) -> Option<String> {
        safe_rd(target, &public(), Some(".example.com"), true)
    }

    fn assert_rejected(targets: &[&str]) {
        for t in targets {
            assert_eq!(rd(t), None, "{t:?} must be rejected");
        }
    }

    #[test]
    fn test_safe_rd_local_paths_accepted_unchanged() {
        for t in [
            "/",
            "/plex/web/index.html",
            "/a/b?x=1&y=two%20words",
            "/ombi/#/requests",
            "/a//b",
        ] {
            assert_eq!(rd(t).as_deref(), Some(t));
        }
    }

    #[test]
    fn test_safe_rd_b7_absolute_foreign_host() {
        assert_rejected(&[
            "https://evil.com",
            "https://evil.com/",
            "http://evil.com/x",
            "evil.com",
        ]);
    }

    #[test]
    fn test_safe_rd_b8_protocol_relative_and_slash_tricks() {
        assert_rejected(&[
            "//evil.com",
            "/\\evil.com",
            "\\/evil.com",
            "/ /evil.com",
            "/%09/evil.com",
            "/\t/evil.com",
            "/%2509/evil.com",
            "/%2F/evil.com",
            "/%5Cevil.com",
            "/../..//evil.com",
            "/./..//evil.com",
            "/%2e%2e/%2e%2e//evil.com",
            "/%20/evil.com",
            "///evil.com",
        ]);
    }

    #[test]
    fn test_safe_rd_b9_suffix_confusion() {
        assert_rejected(&[
            "https://evil-example.com/",
            "https://example.com.evil.com/",
            "https://evilexample.com/",
        ]);
        assert_eq!(
            rd("https://APP.EXAMPLE.COM/x").as_deref(),
            Some("https://app.example.com/x")
        );
        assert_eq!(
            rd("https://example.com/").as_deref(),
            Some("https://example.com/")
        );
        assert_eq!(
            rd("https://a.b.example.com/").as_deref(),
            Some("https://a.b.example.com/")
        );
    }

    #[test]
    fn test_safe_rd_b10_userinfo_port_fragment_query_tricks() {
        assert_rejected(&[
            "https://example.com@evil.com",
            "https://example.com:443@evil.com",
            "https://user@app.example.com/",
            "https://evil.com#.example.com",
            "https://evil.com?.example.com",
            "https://evil.com%2f.example.com/",
            "https://evil.com\\.example.com/",
        ]);
        assert_eq!(
            rd("https://app.example.com:9000/x").as_deref(),
            Some("https://app.example.com:9000/x")
        );
    }

    #[test]
    fn test_safe_rd_b11_schemes() {
        assert_rejected(&[
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://app.example.com/",
            "http://app.example.com/",
            "https:/evil.com",
            "https:evil.com",
        ]);
        // http is fine when the cookies are not Secure.
        let plain = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            safe_rd("http://127.0.0.1:8080/x", &plain, None, false).as_deref(),
            Some("http://127.0.0.1:8080/x")
        );
        assert_eq!(safe_rd("http://127.0.0.1:8080/x", &plain, None, true), None);
    }

    #[test]
    fn test_safe_rd_b12_nested_redirect() {
        assert_rejected(&[
            "https://app.example.com/login?next=https://evil.com",
            "https://app.example.com/login?next=https%3A%2F%2Fevil.com",
            "https://app.example.com/login?a=1&next=//evil.com",
            "/login?next=%2F%2Fevil.com",
            "/login?next=javascript:alert(1)",
            "/login?next=+//evil.com",
        ]);
        assert_eq!(
            rd("/x?t=12:30&p=/local").as_deref(),
            Some("/x?t=12:30&p=/local")
        );
    }

    #[test]
    fn test_safe_rd_b13_forwarded_host_value_is_judged_like_any_rd() {
        // An rd assembled from a client's X-Forwarded-Host is just a foreign
        // absolute URL: only public_url and the session domain count.
        assert_eq!(rd("https://attacker.example.net/plex/"), None);
        assert_eq!(
            safe_rd("https://gw.example.com/", &public(), None, true).as_deref(),
            Some("https://gw.example.com/")
        );
        assert_eq!(
            safe_rd("https://app.example.com/", &public(), None, true),
            None
        );
    }

    #[test]
    fn test_safe_rd_length_and_control_chars() {
        let long = format!("/{}", "a".repeat(MAX_LEN));
        assert_eq!(rd(&long), None);
        let ok = format!("/{}", "a".repeat(MAX_LEN - 1));
        assert_eq!(rd(&ok).as_deref(), Some(ok.as_str()));
        assert_rejected(&[
            "",
            "/a\r\nLocation: //evil.com",
            "/a%0d%0ax",
            "/a%00",
            "/caf\u{e9}",
        ]);
    }

    #[test]
    fn test_percent_decode_malformed_escapes_kept() {
        assert_eq!(percent_decode(b"%41%4a%zz%4"), b"AJ%zz%4".to_vec());
        assert_eq!(percent_decode(b"%"), b"%".to_vec());
    }

    #[test]
    fn test_remove_dot_segments() {
        assert_eq!(remove_dot_segments("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(remove_dot_segments("/a/.."), "/");
        assert_eq!(remove_dot_segments("/../..//evil.com"), "//evil.com");
    }

    #[test]
    fn test_safe_rd_random_inputs_never_escape() {
        let alphabet = b"/\\%092fFeE5cC.:@ ?#=&htps:/example.comevil\t\x00";
        let mut state = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            let bytes = random_string(&mut state, alphabet, 40);
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let Some(target) = rd(&text) else { continue };
            if target.starts_with('/') {
                assert!(!target.starts_with("//"), "{text:?}");
                let decoded = fully_decoded(&target).unwrap();
                assert!(!remove_dot_segments(&decoded).starts_with("//"), "{text:?}");
            } else {
                let url = Url::parse(&target).unwrap();
                let host = url.host_str().unwrap();
                assert!(
                    host == "gw.example.com"
                        || host == "example.com"
                        || host.ends_with(".example.com"),
                    "{text:?}"
                );
            }
        }
    }
}
