//! The access-policy part of the validated model (docs/access.md):
//! `[login] second_factor` and a route's `public_paths`,
//! `trusted_networks`, `machine_clients`, `pass_authorization` and
//! `second_factor`. Read by `policy.rs`.

use ipnet::IpNet;

/// `[login] second_factor`: whether sign-in asks for a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecondFactorPolicy {
    /// No second factor: none is asked, none can be enrolled.
    Off,
    /// Users who enrolled one (TOTP or a passkey) are asked for it.
    #[default]
    Optional,
    /// Every user must pass one; a user without any enrols at sign-in.
    Required,
}

/// `trusted_networks_skip`: what a request from a trusted network skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustedSkip {
    /// The route's `second_factor` requirement (a session is still needed).
    #[default]
    SecondFactor,
    /// Sign-in altogether: admitted without a session.
    SignIn,
}

/// A route's access-policy keys, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteAccess {
    /// Path prefixes inside the route that need no sign-in (nginx's
    /// `location … { auth_request off; }`), as written (already normal).
    pub public_paths: Vec<String>,
    /// Client networks (after `trusted_proxies`) that skip `skip`.
    pub trusted_networks: Vec<IpNet>,
    /// What a trusted network skips.
    pub skip: TrustedSkip,
    /// API tokens are accepted (`Authorization: Bearer` or Basic), and
    /// non-browser requests get `401` with `WWW-Authenticate`.
    pub machine_clients: bool,
    /// Keep the `Authorization` header that authenticated a request.
    pub pass_authorization: bool,
    /// Admitted sessions must have passed a second factor.
    pub second_factor: bool,
}
