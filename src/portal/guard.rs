//! Cross-site request refusal for the portal's state-changing endpoints.
//!
//! A POST is accepted only when the browser says it is same-origin:
//! `Sec-Fetch-Site` (sent by every current browser) must be `same-origin` or
//! `none`; without it, an `Origin` header must name this host or
//! `public_url`'s origin; a request with neither (curl, scripts) is accepted,
//! since it cannot carry a victim's cookies cross-site.

use http::HeaderMap;
use url::Url;

/// `true` when the request may change state.
pub fn same_origin(headers: &HeaderMap, host_header: Option<&str>, public_url: &Url) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    if origin == "null" {
        return false;
    }
    let Ok(origin) = Url::parse(origin) else {
        return false;
    };
    let origin_authority = match (origin.host_str(), origin.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return false,
    };
    if host_header.is_some_and(|h| h.eq_ignore_ascii_case(&origin_authority)) {
        return true;
    }
    origin.origin() == public_url.origin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.insert(*n, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn test_same_origin_fetch_metadata() {
        let public = Url::parse("https://home.example.com").unwrap();
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            None,
            &public
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            None,
            &public
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            None,
            &public
        ));
    }

    #[test]
    fn test_same_origin_origin_header() {
        let public = Url::parse("https://home.example.com").unwrap();
        let evil = headers(&[("origin", "https://evil.example")]);
        assert!(!same_origin(&evil, Some("home.example.com"), &public));
        let ok = headers(&[("origin", "http://127.0.0.1:8080")]);
        assert!(same_origin(&ok, Some("127.0.0.1:8080"), &public));
        let via_public = headers(&[("origin", "https://home.example.com")]);
        assert!(same_origin(&via_public, Some("10.0.0.2"), &public));
        assert!(!same_origin(&headers(&[("origin", "null")]), None, &public));
        assert!(same_origin(&HeaderMap::new(), None, &public));
    }
}
