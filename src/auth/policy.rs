//! The access policy around Organizr's group rule (docs/access.md): public
//! paths, trusted networks, machine clients and the second factor, as one
//! pure decision over plain facts.
//!
//! | request                                   | outcome |
//! |-------------------------------------------|---------|
//! | route `auth = "none"`, or a public path   | Allow (identity only when a session is present) |
//! | trusted network, skip `"sign_in"`         | Allow (identity only when a session is present) |
//! | otherwise                                 | the group rule ([`crate::auth::decision::decide`]) |
//! | … allowed, route `second_factor = true`, session without one, not a trusted network | StepUp (302 to the step-up page for a navigation, else 401) |
//!
//! A trusted network with skip `"second_factor"` (the default) still needs a
//! session, but not one that passed a second factor. An API token stands
//! for a session that passed one (creating it needed such a session when the
//! user has a second factor).

use crate::auth::decision::{decide as group_rule, Decision, UserState};
use crate::config::{AuthLevel, RouteAccess, TrustedSkip};

/// What the proxy knows about one request, as plain values.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// The level to satisfy (the route's, or a stricter one `route::strict` found).
    pub level: AuthLevel,
    /// The signed-in user (session or API token), `None` when signed out.
    pub user: Option<UserState>,
    /// The session passed a second factor (or the request used an API token).
    pub second_factor: bool,
    /// A browser navigation (gets redirects rather than 401).
    pub navigation: bool,
    /// The normalized path is one of the route's `public_paths`.
    pub public_path: bool,
    /// The client address is inside the route's `trusted_networks`.
    pub trusted_network: bool,
}

/// The outcome of the access policy for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Pass to the upstream.
    Allow,
    /// Not signed in, browser navigation: 302 to the sign-in page.
    LoginRedirect,
    /// Not signed in, anything else: 401.
    Unauthorized,
    /// Signed in, group too high: 403.
    Forbidden,
    /// Signed in, but the route needs a session that passed a second factor:
    /// 302 to the step-up page for a navigation.
    StepUp,
    /// The same, not a navigation: 401.
    StepUpUnauthorized,
}

/// Decides one request to a route with `access`.
pub fn decide(access: &RouteAccess, f: &Facts) -> Verdict {
    if f.level == AuthLevel::None || f.public_path {
        return Verdict::Allow;
    }
    if f.trusted_network && access.skip == TrustedSkip::SignIn {
        return Verdict::Allow;
    }
    match group_rule(f.level, f.user, f.navigation) {
        Decision::Allow => {
            let signed_in = f.user.is_some_and(|u| !u.locked);
            let skip_factor = f.trusted_network && access.skip == TrustedSkip::SecondFactor;
            if access.second_factor && signed_in && !f.second_factor && !skip_factor {
                if f.navigation {
                    Verdict::StepUp
                } else {
                    Verdict::StepUpUnauthorized
                }
            } else {
                Verdict::Allow
            }
        }
        Decision::LoginRedirect => Verdict::LoginRedirect,
        Decision::Unauthorized => Verdict::Unauthorized,
        Decision::Forbidden => Verdict::Forbidden,
    }
}

/// Whether a request counts as a browser navigation on a route: the usual
/// rule, and on a route with `machine_clients = true` never when it carries
/// an `Authorization` header (a machine client gets `401` with
/// `WWW-Authenticate`, not a redirect to a form).
pub fn is_navigation(access: &RouteAccess, browser_navigation: bool, authorization: bool) -> bool {
    browser_navigation && !(access.machine_clients && authorization)
}

/// Whether a signed-in user must pass a second factor before a sensitive
/// page (the admin pages, creating API tokens): when the user has one
/// enrolled and the session did not pass it. Users without any second
/// factor are not locked out of their own admin pages.
pub fn needs_step_up(session_passed: bool, user_has_second_factor: bool) -> bool {
    user_has_second_factor && !session_passed
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: Option<UserState> = Some(UserState {
        group: 4,
        locked: false,
    });

    fn facts(level: AuthLevel, user: Option<UserState>) -> Facts {
        Facts {
            level,
            user,
            second_factor: false,
            navigation: true,
            public_path: false,
            trusted_network: false,
        }
    }

    #[test]
    fn test_public_path_and_trusted_sign_in_skip_allow_signed_out() {
        let access = RouteAccess::default();
        let level = AuthLevel::Group(3);
        assert_eq!(decide(&access, &facts(level, None)), Verdict::LoginRedirect);
        let public = Facts {
            public_path: true,
            ..facts(level, None)
        };
        assert_eq!(decide(&access, &public), Verdict::Allow);
        let lan = Facts {
            trusted_network: true,
            ..facts(level, None)
        };
        assert_eq!(
            decide(&access, &lan),
            Verdict::LoginRedirect,
            "skip second_factor still needs a session"
        );
        let skip_sign_in = RouteAccess {
            skip: TrustedSkip::SignIn,
            ..RouteAccess::default()
        };
        assert_eq!(decide(&skip_sign_in, &lan), Verdict::Allow);
    }

    #[test]
    fn test_second_factor_route_steps_up_unless_passed_or_lan() {
        let access = RouteAccess {
            second_factor: true,
            ..RouteAccess::default()
        };
        let level = AuthLevel::Group(4);
        assert_eq!(decide(&access, &facts(level, USER)), Verdict::StepUp);
        let api = Facts {
            navigation: false,
            ..facts(level, USER)
        };
        assert_eq!(decide(&access, &api), Verdict::StepUpUnauthorized);
        let passed = Facts {
            second_factor: true,
            ..facts(level, USER)
        };
        assert_eq!(decide(&access, &passed), Verdict::Allow);
        let lan = Facts {
            trusted_network: true,
            ..facts(level, USER)
        };
        assert_eq!(decide(&access, &lan), Verdict::Allow);
        // the group rule still comes first
        let too_high = Some(UserState {
            group: 7,
            locked: false,
        });
        assert_eq!(decide(&access, &facts(level, too_high)), Verdict::Forbidden);
        assert_eq!(decide(&access, &facts(level, None)), Verdict::LoginRedirect);
    }

    #[test]
    fn test_machine_clients_authorization_is_never_a_navigation() {
        let machine = RouteAccess {
            machine_clients: true,
            ..RouteAccess::default()
        };
        assert!(is_navigation(&machine, true, false));
        assert!(!is_navigation(&machine, true, true));
        assert!(is_navigation(&RouteAccess::default(), true, true));
        assert!(!is_navigation(&machine, false, false));
    }

    #[test]
    fn test_needs_step_up_only_with_an_enrolled_factor() {
        assert!(needs_step_up(false, true));
        assert!(!needs_step_up(true, true));
        assert!(!needs_step_up(false, false));
    }
}
