//! A route's `public_paths`: prefixes of the normalized path that need no
//! sign-in (nginx's `location /sonarr/api/ { auth_request off; }`).
//!
//! A path is public only when both readings agree: the normalized path
//! (what routing uses; `%61`, `..` and `//` already resolved, so
//! `/sonarr/api/../admin` is `/sonarr/admin`) starts with a public prefix,
//! **and** its loose reading (`route::strict`: lower-cased, `;params`
//! dropped, `%5C` as `/`) starts with a lower-cased public prefix. So
//! `/sonarr/api%5C..%5Cadmin`, which a Windows upstream reads as
//! `/sonarr/admin`, stays protected.

use super::path::PathError;
use super::strict::loose;

/// The public prefixes of one route, prebuilt once at start.
#[derive(Debug, Clone, Default)]
pub struct PublicPaths {
    exact: Vec<String>,
    lowered: Vec<String>,
}

impl PublicPaths {
    /// From a route's validated `public_paths`.
    pub fn new(paths: &[String]) -> PublicPaths {
        PublicPaths {
            exact: paths.to_vec(),
            lowered: paths.iter().map(|p| p.to_ascii_lowercase()).collect(),
        }
    }

    /// `true` when the route has no public path (the common case).
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Whether the normalized `path` is public under both readings. `Err`
    /// when the loose reading climbs above `/` (the caller refuses it).
    pub fn matches(&self, path: &str) -> Result<bool, PathError> {
        if !self.exact.iter().any(|p| path.starts_with(p.as_str())) {
            return Ok(false);
        }
        Ok(match loose(path)? {
            None => true,
            Some(l) => self.lowered.iter().any(|p| l.starts_with(p.as_str())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_public_paths_both_readings() {
        let p = PublicPaths::new(&["/sonarr/api/".into(), "/sonarr/feed/".into()]);
        assert!(p.matches("/sonarr/api/").unwrap());
        assert!(p.matches("/sonarr/api/v3/series").unwrap());
        assert!(p.matches("/sonarr/feed/calendar.ics").unwrap());
        assert!(
            p.matches("/sonarr/api/Series").unwrap(),
            "case below the prefix"
        );
        assert!(!p.matches("/sonarr/admin").unwrap());
        assert!(!p.matches("/sonarr/apix").unwrap());
        assert!(
            !p.matches("/sonarr/API/").unwrap(),
            "routing is case-sensitive"
        );
        // read as /sonarr/admin by a Windows upstream
        assert!(!p.matches("/sonarr/api%5C..%5Cadmin").unwrap());
        assert!(!p.matches("/sonarr/api%5c..%5cadmin/x").unwrap());
        assert!(!p.matches("/sonarr/api/%5C..%5Cadmin").unwrap());
        assert!(!p.matches("/sonarr/api/x%5c..%5c..%5cadmin/").unwrap());
        // `;` params dropped: still under /sonarr/api/
        assert!(p.matches("/sonarr/api/x;y").unwrap());
        assert!(!p.matches("/sonarr/api;x").unwrap(), "not under the prefix");
        assert_eq!(
            p.matches("/sonarr/api/%5C..%5C..%5C..%5Cx"),
            Err(PathError::AboveRoot)
        );
        assert!(PublicPaths::new(&[]).is_empty());
        assert!(!PublicPaths::new(&[]).matches("/sonarr/api/").unwrap());
    }

    #[test]
    fn test_upper_case_public_prefix() {
        let p = PublicPaths::new(&["/app/Public/".into()]);
        assert!(p.matches("/app/Public/x").unwrap());
        assert!(!p.matches("/app/public/x").unwrap());
    }
}
