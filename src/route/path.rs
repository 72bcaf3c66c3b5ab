//! Request-path normalization before route matching (nginx's `$uri`).
//!
//! Percent-encoded unreserved characters are decoded (`/%61dmin` → `/admin`),
//! `.` and `..` segments are resolved and repeated slashes merged, so that a
//! rule on `/admin/` cannot be bypassed with `/x/../admin/` or `//admin/`.
//! A `..` that would climb above `/` is an error (400). Reserved characters such
//! as `%3F` stay encoded; `%2F` is decoded to `/` as nginx does, so it cannot
//! hide a route prefix. Matching stays case-sensitive, as in nginx.

use std::borrow::Cow;

/// Why a request path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Not an origin-form path (`GET http://…` absolute-form is accepted by the
    /// caller before it gets here; `*` and empty paths are not).
    #[error("request path does not start with '/'")]
    NotAbsolute,
    /// `..` above the root.
    #[error("request path climbs above '/'")]
    AboveRoot,
    /// NUL or a control character, raw or percent-encoded.
    #[error("request path contains a control character")]
    Control,
    /// A `%` not followed by two hex digits.
    #[error("request path has a bad percent-escape")]
    BadEscape,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Escapes decoded before matching: unreserved characters, and `/` itself
/// (nginx and Authelia do the same; `/admin%2fx` must match `/admin/`).
fn decodes(b: u8) -> bool {
    is_unreserved(b) || b == b'/'
}

/// Returns the normalized path; borrowed when it was already normal (the
/// common case, no allocation).
pub fn normalize(path: &str) -> Result<Cow<'_, str>, PathError> {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    let mut needs_work = false;
    let mut prev = 0u8;
    for (i, &b) in bytes.iter().enumerate() {
        if b < 0x20 || b == 0x7f {
            return Err(PathError::Control);
        }
        if b == b'%' {
            let (h, l) = match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(&h), Some(&l)) => (hex(h), hex(l)),
                _ => (None, None),
            };
            match (h, l) {
                (Some(h), Some(l)) => {
                    let v = h * 16 + l;
                    if v < 0x20 || v == 0x7f {
                        return Err(PathError::Control);
                    }
                    if decodes(v) {
                        needs_work = true;
                    }
                }
                _ => return Err(PathError::BadEscape),
            }
        }
        if prev == b'/' && (b == b'/' || b == b'.') {
            needs_work = true;
        }
        prev = b;
    }
    if !needs_work {
        return Ok(Cow::Borrowed(path));
    }
    // Decode unreserved escapes, then resolve segments.
    let mut decoded = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                let v = h * 16 + l;
                if decodes(v) {
                    decoded.push(char::from(v));
                } else {
                    decoded.push_str(&path[i..i + 3]);
                }
                i += 3;
                continue;
            }
        }
        let ch_len = path[i..].chars().next().map_or(1, char::len_utf8);
        decoded.push_str(&path[i..i + ch_len]);
        i += ch_len;
    }
    let trailing = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    let mut segments: Vec<&str> = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::AboveRoot);
                }
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if trailing || out.is_empty() {
        out.push('/');
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_normalize_plain_is_borrowed() {
        assert!(matches!(
            normalize("/plex/web/index.html"),
            Ok(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn test_normalize_dot_segments_and_slashes() {
        assert_eq!(normalize("/admin/../admin/x").unwrap(), "/admin/x");
        assert_eq!(normalize("//admin/").unwrap(), "/admin/");
        assert_eq!(normalize("/a/./b/").unwrap(), "/a/b/");
        assert_eq!(normalize("/a/b/..").unwrap(), "/a/");
        assert_eq!(normalize("/%61dmin/").unwrap(), "/admin/");
        assert_eq!(normalize("/admin%2f").unwrap(), "/admin/");
        assert_eq!(normalize("/%2fadmin/").unwrap(), "/admin/");
        assert_eq!(normalize("/a%3fb").unwrap(), "/a%3fb");
        assert_eq!(normalize("/%2e%2e/etc"), Err(PathError::AboveRoot));
    }

    #[test]
    fn test_normalize_rejects_escapes_above_root() {
        assert_eq!(
            normalize("/plex/../../etc/passwd"),
            Err(PathError::AboveRoot)
        );
        assert_eq!(normalize("/.."), Err(PathError::AboveRoot));
        assert_eq!(normalize("/a%00b"), Err(PathError::Control));
        assert_eq!(normalize("/a%zz"), Err(PathError::BadEscape));
        assert_eq!(normalize("*"), Err(PathError::NotAbsolute));
    }
}
