//! The access-policy keys (docs/access.md): `[login] second_factor` and the
//! per-route `public_paths`, `trusted_networks`, `trusted_networks_skip`,
//! `machine_clients`, `pass_authorization` and `second_factor`, read into
//! `SecondFactorPolicy` and `RouteAccess` (`access_model.rs`).

use super::access_model::{RouteAccess, SecondFactorPolicy, TrustedSkip};
use super::file::{as_str, boolean, values, At, Cx, Section};
use super::model::AuthLevel;
use super::validate::check_cidr;
use crate::groups::GUEST;

/// `[login] second_factor`.
pub fn check_second_factor_policy(text: &str) -> Result<SecondFactorPolicy, String> {
    match text {
        "off" => Ok(SecondFactorPolicy::Off),
        "optional" => Ok(SecondFactorPolicy::Optional),
        "required" => Ok(SecondFactorPolicy::Required),
        _ => Err("expected \"off\", \"optional\" or \"required\"".to_owned()),
    }
}

/// `trusted_networks_skip`.
pub fn check_trusted_skip(text: &str) -> Result<TrustedSkip, String> {
    match text {
        "second_factor" => Ok(TrustedSkip::SecondFactor),
        "sign_in" => Ok(TrustedSkip::SignIn),
        _ => Err("expected \"second_factor\" or \"sign_in\"".to_owned()),
    }
}

/// One `public_paths` entry: a normal path (no `//`, `.` or `..` segment, no
/// percent-escape, no `;`, `\` or whitespace) inside the route's `path`.
pub fn check_public_path(text: &str, route_path: Option<&str>) -> Result<String, String> {
    if !text.starts_with('/') {
        return Err("must start with \"/\"".to_owned());
    }
    if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '%' | ';' | '\\' | '?' | '#'))
    {
        return Err(
            "write the plain path: no spaces, control characters, %-escapes, ';', '\\', '?' or '#'"
                .to_owned(),
        );
    }
    let segments: Vec<&str> = text[1..].split('/').collect();
    let last = segments.len().saturating_sub(1);
    if segments
        .iter()
        .enumerate()
        .any(|(i, s)| *s == "." || *s == ".." || (s.is_empty() && i != last))
    {
        return Err("must be a normal path (no \"//\", \".\" or \"..\" segment)".to_owned());
    }
    if let Some(route) = route_path {
        if !text.starts_with(route) || text.len() == route.len() {
            return Err(format!(
                "must be a path inside the route's path {route:?}, e.g. \"{route}api/\""
            ));
        }
    }
    Ok(text.to_owned())
}

/// Reads a route's access-policy keys. `route_path` is the route's `path`
/// (when valid), `auth` its level, `policy` the `[login] second_factor`.
pub fn read_route_access(
    cx: &mut Cx<'_>,
    sec: &mut Section<'_>,
    route_path: Option<&str>,
    auth: AuthLevel,
    policy: SecondFactorPolicy,
) -> RouteAccess {
    let public_paths = values(sec.list(cx, "public_paths", true, |v| {
        as_str(v).and_then(|t| check_public_path(t, route_path))
    }))
    .unwrap_or_default();
    let trusted_networks = values(sec.list(cx, "trusted_networks", true, |v| {
        as_str(v).and_then(check_cidr)
    }))
    .unwrap_or_default();
    let skip = sec
        .get(cx, "trusted_networks_skip", |v| {
            as_str(v).and_then(check_trusted_skip)
        })
        .map_or(TrustedSkip::default(), |a| a.value);
    let flag = |cx: &mut Cx<'_>, sec: &mut Section<'_>, key: &str| -> Option<At<bool>> {
        sec.get(cx, key, boolean)
    };
    let machine_clients = flag(cx, sec, "machine_clients").is_some_and(|a| a.value);
    let pass_authorization = flag(cx, sec, "pass_authorization").is_some_and(|a| a.value);
    let second_factor = match flag(cx, sec, "second_factor") {
        Some(at) if at.value => {
            let needs_sign_in = matches!(auth, AuthLevel::Group(n) if n < GUEST);
            if !needs_sign_in {
                cx.report(
                    &at.spot,
                    "needs a route that requires sign-in (auth = \"member\" or a group), not \"none\" or \"guest\"",
                );
            } else if policy == SecondFactorPolicy::Off {
                cx.report(
                    &at.spot,
                    "needs [login] second_factor = \"optional\" or \"required\" (it is \"off\")",
                );
            }
            true
        }
        _ => false,
    };
    RouteAccess {
        public_paths,
        trusted_networks,
        skip,
        machine_clients,
        pass_authorization,
        second_factor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_public_path_must_be_plain_and_inside_the_route() {
        let r = Some("/sonarr/");
        assert_eq!(
            check_public_path("/sonarr/api/", r).unwrap(),
            "/sonarr/api/"
        );
        assert!(check_public_path("/sonarr/feed", r).is_ok());
        for bad in [
            "sonarr/api/",
            "/sonarr/%61pi/",
            "/sonarr/api/../admin/",
            "/sonarr//api/",
            "/sonarr/./api/",
            "/sonarr/api;x/",
            "/sonarr/api\\x",
            "/radarr/api/",
            "/sonarr/",
            "/sonarr/a b",
        ] {
            assert!(check_public_path(bad, r).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_route_access_read_from_a_file() {
        let text = "[[route]]\nname = \"s\"\npath = \"/s/\"\nupstream = \"http://127.0.0.1:1\"\nauth = \"user\"\n\
                    public_paths = \"/s/api/\"\ntrusted_networks = [\"192.168.1.0/24\", \"10.0.0.1\"]\n\
                    trusted_networks_skip = \"sign_in\"\nmachine_clients = true\npass_authorization = true\n\
                    second_factor = true\n";
        let c = crate::config::parse(std::path::Path::new("t.toml"), text).unwrap();
        let a = &c.routes[0].access;
        assert_eq!(a.public_paths, vec!["/s/api/"]);
        assert_eq!(a.trusted_networks.len(), 2);
        assert_eq!(a.skip, TrustedSkip::SignIn);
        assert!(a.machine_clients && a.pass_authorization && a.second_factor);
        assert_eq!(c.login.second_factor, SecondFactorPolicy::Optional);
        let plain = crate::config::parse(std::path::Path::new("t.toml"), "").unwrap();
        assert_eq!(plain.login.second_factor, SecondFactorPolicy::Optional);
    }

    #[test]
    fn test_policy_names() {
        assert_eq!(
            check_second_factor_policy("required").unwrap(),
            SecondFactorPolicy::Required
        );
        assert!(check_second_factor_policy("on").is_err());
        assert_eq!(check_trusted_skip("sign_in").unwrap(), TrustedSkip::SignIn);
        assert!(check_trusted_skip("all").is_err());
    }
}
