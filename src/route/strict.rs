//! The strictest reading of a path, for the auth decision only.
//!
//! Routing follows nginx: case-sensitive longest prefix of the normalized
//! path. But the upstream behind a shared prefix may read the same path
//! differently: ASP.NET Core apps (Sonarr, Radarr, Ombi, Jellyfin) route
//! case-insensitively, Java servers drop `;params` from path segments, and
//! Windows servers take `\` (`%5C`) for `/`. With `/app/` public and
//! `/app/admin/` admin-only on one upstream, `/app/ADMIN/x`,
//! `/app/admin;x/y` and `/app/admin%5Cx` would reach the admin pages
//! unchecked. So the path is also read the loose way — lower-cased, `;…`
//! removed up to the next `/`, `%5C` as `/`, then normalized again — and if
//! that reading routes to a stricter route, the request must satisfy that
//! route's level as well.
//!
//! Cost: nothing for a route that no stricter route could shadow (decided
//! once at start), and nothing for a path without an upper-case letter,
//! `;` or `%5C`; otherwise one allocation.

use std::borrow::Cow;

use super::path::{self, PathError};
use super::{Router, Routing};
use crate::config::{AuthLevel, Route};

/// Per route: whether any other route is stricter (only those routes can
/// need the loose reading).
#[derive(Debug)]
pub struct StrictReading {
    shadowed: Vec<bool>,
}

/// How strict a level is: public < guest (999) < … < admin (0).
fn rank(level: AuthLevel) -> u32 {
    match level {
        AuthLevel::None => 0,
        AuthLevel::Group(n) => 1 + (999 - u32::from(n.min(999))),
    }
}

/// The stricter of two levels.
pub fn stricter(a: AuthLevel, b: AuthLevel) -> AuthLevel {
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

impl StrictReading {
    /// Decides once which routes a stricter route could shadow.
    pub fn new(routes: &[Route]) -> StrictReading {
        let strictest = routes.iter().map(|r| rank(r.auth)).max().unwrap_or(0);
        StrictReading {
            shadowed: routes.iter().map(|r| rank(r.auth) < strictest).collect(),
        }
    }

    /// The level a request routed to `matched` must satisfy: the route's
    /// own, or a stricter one its loose reading routes to. `Err` when the
    /// loose reading is not a valid path (it climbs above `/`): the caller
    /// refuses the request.
    pub fn level(
        &self,
        router: &Router,
        routes: &[Route],
        matched: usize,
        host: &str,
        path: &str,
    ) -> Result<AuthLevel, PathError> {
        let own = routes.get(matched).map_or(AuthLevel::None, |r| r.auth);
        if !self.shadowed.get(matched).copied().unwrap_or(false) {
            return Ok(own);
        }
        let Some(loose) = loose(path)? else {
            return Ok(own);
        };
        Ok(match router.find(host, &loose, None) {
            Routing::Route(i) => stricter(own, routes.get(i).map_or(own, |r| r.auth)),
            Routing::AddSlash(_) | Routing::NotFound => own,
        })
    }
}

/// The loose reading of a normalized path, `None` when it reads the same.
pub fn loose(path: &str) -> Result<Option<String>, PathError> {
    let b = path.as_bytes();
    let differs = b.iter().enumerate().any(|(i, &c)| {
        c.is_ascii_uppercase()
            || c == b';'
            || (c == b'%'
                && b.get(i + 1) == Some(&b'5')
                && matches!(b.get(i + 2), Some(b'c' | b'C')))
    });
    if !differs {
        return Ok(None);
    }
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b';' {
            // `;params` up to the next segment.
            while i < b.len() && b[i] != b'/' {
                i += 1;
            }
            continue;
        }
        if c == b'%' && b.get(i + 1) == Some(&b'5') && matches!(b.get(i + 2), Some(b'c' | b'C')) {
            out.push('/');
            i += 3;
            continue;
        }
        // Percent-escapes keep their hex digits; their case does not matter.
        out.push(char::from(c.to_ascii_lowercase()));
        i += 1;
    }
    // Non-ASCII bytes are percent-encoded by the parser, so `out` is ASCII.
    let normalized: Cow<'_, str> = path::normalize(&out)?;
    Ok(Some(normalized.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_loose_reading() {
        assert_eq!(loose("/app/admin/x").unwrap(), None);
        assert_eq!(
            loose("/app/ADMIN/x").unwrap().as_deref(),
            Some("/app/admin/x")
        );
        assert_eq!(
            loose("/app/admin;x/y").unwrap().as_deref(),
            Some("/app/admin/y")
        );
        assert_eq!(
            loose("/app/admin;jsessionid=1").unwrap().as_deref(),
            Some("/app/admin")
        );
        assert_eq!(
            loose("/app/admin%5cx").unwrap().as_deref(),
            Some("/app/admin/x")
        );
        assert_eq!(
            loose("/app/admin%5Cx").unwrap().as_deref(),
            Some("/app/admin/x")
        );
        assert_eq!(
            loose("/app/x%5c..%5cadmin/").unwrap().as_deref(),
            Some("/app/admin/")
        );
        assert_eq!(loose("/A%5c..%5c..%5cx"), Err(PathError::AboveRoot));
        assert_eq!(loose("/app/%3Fx").unwrap().as_deref(), Some("/app/%3fx"));
    }

    #[test]
    fn test_stricter_levels() {
        let g = AuthLevel::Group;
        assert_eq!(stricter(AuthLevel::None, g(999)), g(999));
        assert_eq!(stricter(g(4), g(0)), g(0));
        assert_eq!(stricter(g(0), g(4)), g(0));
        assert_eq!(stricter(g(998), AuthLevel::None), g(998));
    }
}
