//! `application/x-www-form-urlencoded` and query-string helpers.

use url::form_urlencoded;

/// The first value of `name`, percent-decoded (`+` = space).
pub fn get(data: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(data)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A checkbox-like flag: present with `1`, `true`, `on` or `yes`.
pub fn flag(data: &[u8], name: &str) -> bool {
    get(data, name).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "on" | "yes"))
}

/// Percent-encodes a value for a query string.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The redirect that sends a browser to sign in first and come back to
/// `back` (a path under the portal, or any safe target) afterwards.
pub fn sign_in_first(prefix: &str, back: &str) -> crate::reply::Reply {
    crate::reply::Reply::redirect(302, &format!("{prefix}/login?rd={}", encode(back)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_get_decodes() {
        assert_eq!(
            get(b"a=1&rd=%2Fplex%2F%3Fx%3D1&u=a+b", "rd").unwrap(),
            "/plex/?x=1"
        );
        assert_eq!(get(b"u=a+b", "u").unwrap(), "a b");
        assert_eq!(get(b"u=a", "x"), None);
        assert!(flag(b"remember=on", "remember"));
        assert!(!flag(b"remember=0", "remember"));
        assert_eq!(encode("/a b?c=d"), "%2Fa+b%3Fc%3Dd");
    }
}
