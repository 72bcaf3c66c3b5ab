//! Host patterns of routes and redirects: nginx's `server_name` forms.
//!
//! `plex.example.com` (exact), `*.example.com` (any name ending in
//! `.example.com`), `.example.com` (that, and `example.com` itself) and
//! `sonarr.*` (any name starting with `sonarr.`). Matching is
//! case-insensitive, ignores one trailing dot (`plex.example.com.` is the
//! same name, as in nginx) and never allocates.
//!
//! Precedence, as nginx chooses a server block: an exact name first, then
//! the longest `*.`/`.` suffix pattern, then the longest `.*` prefix pattern,
//! then routes without a host ([`HostPattern::rank`]).

use std::fmt;

/// One host pattern, lowercased, without port or trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// `plex.example.com`.
    Exact(String),
    /// `*.example.com` (`suffix` = `.example.com`); with `bare`, written
    /// `.example.com`, it also matches `example.com`.
    Suffix { suffix: String, bare: bool },
    /// `sonarr.*` (`prefix` = `sonarr.`).
    Prefix(String),
}

impl HostPattern {
    /// Whether `host` (any case, no port, maybe one trailing dot) matches.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host);
        match self {
            HostPattern::Exact(name) => host.eq_ignore_ascii_case(name),
            HostPattern::Suffix { suffix, bare } => {
                let (n, s) = (host.len(), suffix.len());
                (n > s && host.as_bytes()[n - s..].eq_ignore_ascii_case(suffix.as_bytes()))
                    || (*bare && host.eq_ignore_ascii_case(&suffix[1..]))
            }
            HostPattern::Prefix(prefix) => {
                let p = prefix.len();
                host.len() > p && host.as_bytes()[..p].eq_ignore_ascii_case(prefix.as_bytes())
            }
        }
    }

    /// Sort key, smaller = tried first: exact names, then suffix patterns
    /// (longest first), then prefix patterns (longest first).
    pub fn rank(&self) -> (u8, std::cmp::Reverse<usize>) {
        match self {
            HostPattern::Exact(_) => (0, std::cmp::Reverse(0)),
            HostPattern::Suffix { suffix, .. } => (1, std::cmp::Reverse(suffix.len())),
            HostPattern::Prefix(prefix) => (2, std::cmp::Reverse(prefix.len())),
        }
    }

    /// The name a link to this host can use: the exact name, or `None` for
    /// a wildcard.
    pub fn exact(&self) -> Option<&str> {
        match self {
            HostPattern::Exact(name) => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(name) => f.write_str(name),
            HostPattern::Suffix { suffix, bare: true } => f.write_str(suffix),
            HostPattern::Suffix {
                suffix,
                bare: false,
            } => write!(f, "*{suffix}"),
            HostPattern::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

/// Whether `label` is a DNS label (letters, digits, `-` and `_`, not
/// starting or ending with `-`).
fn is_label(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether every dot-separated label of `name` is a DNS label.
fn is_dotted(name: &str) -> bool {
    !name.is_empty() && name.split('.').all(is_label)
}

/// Parses one host pattern. A port (`plex.example.com:443`) and one
/// trailing dot are dropped; the result is lowercase.
pub fn parse_host_pattern(text: &str) -> Result<HostPattern, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty host name".to_owned());
    }
    if t.starts_with('~') {
        return Err(
            "regular-expression host names are not supported: use *.example.com or name.*"
                .to_owned(),
        );
    }
    let lower = t.to_ascii_lowercase();
    let no_port = match lower.rsplit_once(':') {
        Some((h, port))
            if !h.is_empty()
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (h.starts_with('[') || !h.contains(':')) =>
        {
            h
        }
        _ => lower.as_str(),
    };
    let name = no_port.strip_suffix('.').unwrap_or(no_port);
    if let Some(rest) = name.strip_prefix("*.") {
        if is_dotted(rest) {
            return Ok(HostPattern::Suffix {
                suffix: format!(".{rest}"),
                bare: false,
            });
        }
    } else if let Some(rest) = name.strip_suffix(".*") {
        if is_dotted(rest) {
            return Ok(HostPattern::Prefix(format!("{rest}.")));
        }
    } else if let Some(rest) = name.strip_prefix('.') {
        if is_dotted(rest) {
            return Ok(HostPattern::Suffix {
                suffix: format!(".{rest}"),
                bare: true,
            });
        }
    } else if !name.contains('*') {
        let host = url::Host::parse(name)
            .map_err(|_| "expected a host name like plex.example.com".to_owned())?;
        return Ok(HostPattern::Exact(host.to_string()));
    }
    Err(
        "a wildcard must be the whole first label (*.example.com, .example.com) \
         or the whole last label (sonarr.*)"
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> HostPattern {
        parse_host_pattern(text).unwrap()
    }

    #[test]
    fn test_parse_forms() {
        assert_eq!(
            p("Plex.Example.COM"),
            HostPattern::Exact("plex.example.com".into())
        );
        assert_eq!(
            p("plex.example.com:443"),
            HostPattern::Exact("plex.example.com".into())
        );
        assert_eq!(
            p("private.test."),
            HostPattern::Exact("private.test".into())
        );
        assert_eq!(p("[::1]:8080"), HostPattern::Exact("[::1]".into()));
        assert_eq!(
            p("*.Example.com"),
            HostPattern::Suffix {
                suffix: ".example.com".into(),
                bare: false
            }
        );
        assert_eq!(
            p(".example.com"),
            HostPattern::Suffix {
                suffix: ".example.com".into(),
                bare: true
            }
        );
        assert_eq!(p("sonarr.*"), HostPattern::Prefix("sonarr.".into()));
        for bad in [
            "",
            "a*.example.com",
            "*",
            "*.*",
            "sonarr.*.com",
            "~^x$",
            "a b",
            "a/b",
        ] {
            assert!(parse_host_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_display_round_trips() {
        for text in [
            "plex.example.com",
            "*.example.com",
            ".example.com",
            "sonarr.*",
        ] {
            assert_eq!(p(text).to_string(), text);
        }
    }

    #[test]
    fn test_matches() {
        let exact = p("private.test");
        assert!(exact.matches("private.test"));
        assert!(exact.matches("PRIVATE.test."));
        assert!(!exact.matches("x.private.test"));
        let star = p("*.example.com");
        assert!(star.matches("a.example.com"));
        assert!(star.matches("a.b.Example.com."));
        assert!(!star.matches("example.com"));
        assert!(!star.matches("aexample.com"));
        let dot = p(".example.com");
        assert!(dot.matches("example.com") && dot.matches("a.example.com"));
        let prefix = p("sonarr.*");
        assert!(prefix.matches("sonarr.example.com"));
        assert!(prefix.matches("SONARR.lan"));
        assert!(!prefix.matches("sonarr."));
        assert!(!prefix.matches("xsonarr.lan"));
    }

    #[test]
    fn test_rank_orders_like_nginx() {
        let mut v = [
            p("sonarr.*"),
            p("*.example.com"),
            p("*.a.example.com"),
            p("x.test"),
        ];
        v.sort_by_key(HostPattern::rank);
        let shown: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["x.test", "*.a.example.com", "*.example.com", "sonarr.*"]
        );
    }
}
