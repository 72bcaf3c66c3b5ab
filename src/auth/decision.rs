//! The inline auth decision: may this request through, and if not, what does
//! the client get (README "The portal").
//!
//! Pure: a route's [`AuthLevel`], the signed-in user's group (if any) and
//! whether the request is a browser navigation go in, a [`Decision`] comes out.
//! Organizr's rule is kept exactly: a user is admitted when their group number
//! is `<=` the route's level; not being signed in counts as group 999 (guest);
//! a locked user counts as not signed in.
//!
//! | user \ route            | `none` | level >= user's group | level < user's group |
//! |-------------------------|--------|-----------------------|----------------------|
//! | signed in, not locked   | Allow  | Allow                 | Forbidden (403)      |
//! | signed out or locked    | Allow  | Allow only at 999     | LoginRedirect (302) for a navigation, else Unauthorized (401) |

use crate::config::model::AuthLevel;
use crate::groups::GUEST;

/// The outcome of the auth check for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Pass to the upstream (the caller already holds the identity, if any).
    Allow,
    /// Not signed in, browser navigation: 302 to `{portal}/login?rd=…`.
    LoginRedirect,
    /// Not signed in, anything else (XHR, API, non-GET): 401.
    Unauthorized,
    /// Signed in, but the group number is higher than the route's level: 403.
    Forbidden,
}

impl Decision {
    /// The HTTP status the gateway answers with, `None` for [`Decision::Allow`].
    pub fn status(self) -> Option<u16> {
        match self {
            Decision::Allow => None,
            Decision::LoginRedirect => Some(302),
            Decision::Unauthorized => Some(401),
            Decision::Forbidden => Some(403),
        }
    }
}

/// What the decision needs to know about the session's user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserState {
    /// Organizr group number (0 admin … 4 user, custom up to 997).
    pub group: u16,
    /// A locked user is treated as not signed in.
    pub locked: bool,
}

/// Decides a request to a route with `level`, made by `user` (`None` = no
/// valid session). `navigation` comes from [`is_navigation`].
pub fn decide(level: AuthLevel, user: Option<UserState>, navigation: bool) -> Decision {
    let max = match level {
        AuthLevel::None => return Decision::Allow,
        AuthLevel::Group(n) => n,
    };
    match user.filter(|u| !u.locked) {
        Some(u) if u.group <= max => Decision::Allow,
        Some(_) => Decision::Forbidden,
        None if max >= GUEST => Decision::Allow,
        None if navigation => Decision::LoginRedirect,
        None => Decision::Unauthorized,
    }
}

/// Whether a request is a browser navigation that should be sent to the login
/// page rather than get a 401: method GET or HEAD and an `Accept` header that
/// contains `text/html` (case-insensitive).
pub fn is_navigation(method: &str, accept: Option<&[u8]>) -> bool {
    (method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD"))
        && accept.is_some_and(|a| contains_ignore_case(a, b"text/html"))
}

/// [`is_navigation`], and additionally not an XHR: any `X-Requested-With`
/// header (jQuery, Angular … send `XMLHttpRequest`) means a script asked, and a
/// script cannot follow a redirect to a login form, so it gets 401.
pub fn is_navigation_request(
    method: &str,
    accept: Option<&[u8]>,
    x_requested_with: Option<&[u8]>,
) -> bool {
    x_requested_with.is_none() && is_navigation(method, accept)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Users of the group table: 0, 1, 2, 3, 4, 7, signed out, locked.
    fn users() -> [(&'static str, Option<UserState>); 8] {
        let u = |group| {
            Some(UserState {
                group,
                locked: false,
            })
        };
        [
            ("0", u(0)),
            ("1", u(1)),
            ("2", u(2)),
            ("3", u(3)),
            ("4", u(4)),
            ("7", u(7)),
            ("signed out", None),
            // A locked *admin*: locking must win over the best group.
            (
                "locked",
                Some(UserState {
                    group: 0,
                    locked: true,
                }),
            ),
        ]
    }

    /// The group table of docs/configuration.md, written out by hand. Columns follow
    /// `users()`. `A` = allow, `F` = forbidden, `R` = 302 for a navigation /
    /// 401 otherwise.
    const TABLE: [(AuthLevel, &str); 8] = [
        (AuthLevel::Group(0), "A F F F F F R R"),
        (AuthLevel::Group(1), "A A F F F F R R"),
        (AuthLevel::Group(2), "A A A F F F R R"),
        (AuthLevel::Group(3), "A A A A F F R R"),
        (AuthLevel::Group(4), "A A A A A F R R"),
        (AuthLevel::Group(998), "A A A A A A R R"),
        (AuthLevel::Group(999), "A A A A A A A A"),
        (AuthLevel::None, "A A A A A A A A"),
    ];

    #[test]
    fn test_decide_group_table_exhaustive() {
        let mut checked = 0;
        for (level, row) in TABLE {
            let cells: Vec<&str> = row.split(' ').collect();
            assert_eq!(cells.len(), 8);
            for ((label, user), cell) in users().into_iter().zip(cells) {
                for navigation in [true, false] {
                    let want = match (cell, navigation) {
                        ("A", _) => Decision::Allow,
                        ("F", _) => Decision::Forbidden,
                        ("R", true) => Decision::LoginRedirect,
                        ("R", false) => Decision::Unauthorized,
                        _ => unreachable!("bad table cell {cell}"),
                    };
                    let got = decide(level, user, navigation);
                    assert_eq!(got, want, "level {level:?}, user {label}, nav {navigation}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 8 * 2);
    }

    #[test]
    fn test_decide_statuses() {
        let admin = Some(UserState {
            group: 0,
            locked: false,
        });
        let user = Some(UserState {
            group: 4,
            locked: false,
        });
        let level0 = AuthLevel::Group(0);
        assert_eq!(decide(level0, admin, true).status(), None);
        assert_eq!(decide(level0, None, true).status(), Some(302));
        assert_eq!(decide(level0, None, false).status(), Some(401));
        assert_eq!(decide(level0, user, true).status(), Some(403));
    }

    #[test]
    fn test_decide_guest_never_reaches_admin_route() {
        // docs/docs/security.md F 36.
        for navigation in [true, false] {
            assert_ne!(
                decide(AuthLevel::Group(0), None, navigation),
                Decision::Allow
            );
        }
    }

    #[test]
    fn test_is_navigation_browser_get() {
        let accept: &[u8] = b"text/html,application/xhtml+xml,*/*;q=0.8";
        assert!(is_navigation("GET", Some(accept)));
        assert!(is_navigation("HEAD", Some(b"TEXT/HTML")));
        assert!(is_navigation_request("GET", Some(accept), None));
    }

    #[test]
    fn test_is_navigation_api_and_xhr_are_not() {
        let accept: &[u8] = b"text/html";
        assert!(!is_navigation("POST", Some(accept)));
        assert!(!is_navigation("GET", Some(b"application/json")));
        assert!(!is_navigation("GET", Some(b"*/*")));
        assert!(!is_navigation("GET", None));
        assert!(!is_navigation("GET", Some(b"")));
        assert!(!is_navigation_request(
            "GET",
            Some(accept),
            Some(b"XMLHttpRequest")
        ));
    }
}
