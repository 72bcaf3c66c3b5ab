//! The identity-header spoofing defence (docs/docs/security.md A).
//!
//! Before a request goes upstream — on *every* route, public ones included —
//! the gateway removes each client-sent header that an upstream could take
//! as identity: every name any route injects through `identity_headers`, a
//! fixed list of names used by other auth proxies, and everything starting
//! with `X-Organizr-`. Path- and method-override headers
//! (`X-Original-URL`, `X-Rewrite-URL`, `X-HTTP-Method-Override`, …) are on
//! the fixed list too: frameworks that honour them would route by a path the
//! gateway never matched. Names are compared case-insensitively and with `_`
//! equal to `-`, because several servers (and CGI) fold `X_WEBAUTH_USER` into
//! `X-WEBAUTH-USER` (oauth2-proxy `stripNormalizedHeader`).
//!
//! [`StripList`] is built once from the config; [`StripList::should_strip`]
//! normalizes into a stack buffer, so the per-header check does not allocate.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::config::model::{Config, Route};

/// Header names always stripped from client requests (normalized form).
pub const ALWAYS: &[&str] = &[
    "x-webauth-user",
    "x-webauth-email",
    "x-webauth-name",
    "x-webauth-groups",
    "remote-user",
    "remote-email",
    "remote-groups",
    "remote-name",
    "x-remote-user",
    "x-remote-email",
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-preferred-username",
    "x-authentik-username",
    "x-authentik-email",
    "x-authentik-groups",
    "cf-access-jwt-assertion",
    "x-user-email",
    "x-user-name",
    // Path and method overrides: IIS URL Rewrite, Symfony and Laminas route
    // by these, so a client could reach a path the gateway never checked.
    // A route may still set them itself with `set_headers` (applied after
    // stripping).
    "x-original-url",
    "x-rewrite-url",
    "x-override-url",
    "x-original-uri",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// Every header starting with this (normalized) is stripped.
pub const PREFIX: &str = "x-organizr-";

/// Names up to this length are normalized without allocating.
const STACK_LEN: usize = 64;

/// The set of header names to remove from client requests.
#[derive(Debug, Clone)]
pub struct StripList {
    names: HashSet<Box<str>, BuildHasherDefault<Fnv>>,
    /// Bit `n` set when some name has length `n` (bit 127 = 127 or longer):
    /// a cheap pre-filter that rejects most ordinary headers before hashing.
    lengths: u128,
}

impl StripList {
    /// The fixed list plus every `identity_headers` name of every route.
    pub fn from_config(config: &Config) -> Self {
        Self::from_routes(&config.routes)
    }

    /// The fixed list plus every `identity_headers` name of `routes`.
    pub fn from_routes(routes: &[Route]) -> Self {
        Self::from_names(
            routes
                .iter()
                .flat_map(|r| r.identity_headers.iter().map(|(name, _)| name.as_str())),
        )
    }

    /// The fixed list plus `extra` names (any case, `_` or `-`).
    pub fn from_names<'a>(extra: impl IntoIterator<Item = &'a str>) -> Self {
        let names: HashSet<Box<str>, BuildHasherDefault<Fnv>> = ALWAYS
            .iter()
            .copied()
            .chain(extra)
            .map(|n| normalize_owned(n).into_boxed_str())
            .collect();
        let lengths = names.iter().fold(0u128, |acc, n| acc | length_bit(n.len()));
        Self { names, lengths }
    }

    /// Whether a client header called `name` must be removed.
    pub fn should_strip(&self, name: &str) -> bool {
        let bytes = name.as_bytes();
        let prefixed = bytes.len() >= PREFIX.len()
            && bytes
                .iter()
                .zip(PREFIX.bytes())
                .all(|(&b, p)| normalize_byte(b) == p);
        if prefixed {
            return true;
        }
        // Normalizing keeps the length, so most ordinary headers stop here.
        if self.lengths & length_bit(bytes.len()) == 0 {
            return false;
        }
        let mut buf = [0u8; STACK_LEN];
        if bytes.len() <= STACK_LEN {
            let out = &mut buf[..bytes.len()];
            for (o, &b) in out.iter_mut().zip(bytes) {
                *o = normalize_byte(b);
            }
            // ASCII-only changes keep UTF-8 valid; a non-UTF-8 result cannot
            // happen, but fail closed if it did.
            match std::str::from_utf8(out) {
                Ok(n) => self.names.contains(n),
                Err(_) => true,
            }
        } else {
            self.names.contains(normalize_owned(name).as_str())
        }
    }

    /// The names among `names` that must be removed, each once, as given
    /// (so the caller can pass them to its header map's remove). Does not
    /// allocate when nothing matches.
    pub fn names_to_strip<'a>(&self, names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = Vec::new();
        for name in names {
            if self.should_strip(name) && !out.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                out.push(name);
            }
        }
        out
    }
}

/// FNV-1a: the keys are a few dozen short, fixed header names chosen by the
/// operator, so hash flooding is not a concern and SipHash would only cost time.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

fn length_bit(len: usize) -> u128 {
    1u128 << len.min(127)
}

fn normalize_byte(b: u8) -> u8 {
    match b {
        b'_' => b'-',
        b => b.to_ascii_lowercase(),
    }
}

fn normalize_owned(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> StripList {
        StripList::from_names(["X-WEBAUTH-USER", "X-Grafana-User", "x_custom_email"])
    }

    #[test]
    fn test_should_strip_case_and_underscore_variants() {
        // docs/docs/security.md A 4.
        let l = list();
        for name in [
            "X_WEBAUTH_USER",
            "x-webauth-user",
            "X-Webauth-User",
            "x_Webauth-USER",
        ] {
            assert!(l.should_strip(name), "{name}");
        }
    }

    #[test]
    fn test_should_strip_organizr_prefix() {
        let l = list();
        for name in ["X-Organizr-Anything", "x-organizr-user", "X_ORGANIZR_GROUP"] {
            assert!(l.should_strip(name), "{name}");
        }
        assert!(!l.should_strip("x-organizr"));
    }

    #[test]
    fn test_should_strip_fixed_list_security_a1() {
        let l = StripList::from_names([]);
        for name in [
            "Remote-User",
            "X-Forwarded-User",
            "X-Organizr-User",
            "X-authentik-username",
            "Cf-Access-Jwt-Assertion",
            "remote_groups",
            "X-Forwarded-Preferred-Username",
        ] {
            assert!(l.should_strip(name), "{name}");
        }
    }

    #[test]
    fn test_should_strip_route_identity_headers() {
        let l = list();
        assert!(l.should_strip("x-grafana-user"));
        assert!(l.should_strip("X-Custom-Email"));
        assert!(!StripList::from_names([]).should_strip("x-grafana-user"));
    }

    #[test]
    fn test_should_strip_leaves_ordinary_headers() {
        let l = list();
        for name in [
            "host",
            "cookie",
            "x-forwarded-for",
            "x-forwarded-proto",
            "accept",
            "x-webauth",
        ] {
            assert!(!l.should_strip(name), "{name}");
        }
    }

    #[test]
    fn test_should_strip_long_names() {
        let l = list();
        let long_prefixed = format!("X-Organizr-{}", "a".repeat(100));
        assert!(l.should_strip(&long_prefixed));
        assert!(!l.should_strip(&"x".repeat(100)));
        let exact_64 = format!("x-organizr-{}", "b".repeat(64 - PREFIX.len()));
        assert!(l.should_strip(&exact_64));
    }

    #[test]
    fn test_names_to_strip_dedups_and_keeps_given_spelling() {
        let l = list();
        let names = [
            "host",
            "x-webauth-user",
            "X_WEBAUTH_USER",
            "x-webauth-user",
            "accept",
        ];
        assert_eq!(
            l.names_to_strip(names.into_iter()),
            vec!["x-webauth-user", "X_WEBAUTH_USER"]
        );
        assert!(l.names_to_strip(["host"].into_iter()).is_empty());
    }
}
