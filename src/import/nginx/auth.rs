//! `auth_request URI;` resolved the way nginx runs the sub-request: the
//! location that answers `URI` (exact, longest prefix, regexes), its
//! `rewrite`s and `proxy_pass`, until the target is recognized: Organizr's
//! auth API (`/api/v2/auth/N`, `/api/v2/auth?group=N`, v1
//! `/api/?v1/auth&group=N`, `/auth.php?admin`) gives the group; Authelia,
//! Authentik, tinyauth and oauth2-proxy give "any signed-in user" with a
//! warning that their own per-user rules are not imported.

use regex::Regex;

use super::tree::{Location, Modifier};
use super::vars::VarCx;

/// What an `auth_request` amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthTarget {
    /// Organizr's group rule: users whose group number is <= N.
    Group(u16, Option<String>),
    /// Another auth server: any signed-in user, and why only that.
    Member(String),
    /// Not recognized: the target as far as it was followed.
    Unknown(String),
}

/// Every location of a server, nested ones included, in file order.
pub fn flatten(locations: &[Location]) -> Vec<&Location> {
    let mut out = Vec::new();
    for l in locations {
        out.push(l);
        out.extend(flatten(&l.children));
    }
    out
}

/// A location's regex (with nginx's case rule).
pub fn location_regex(loc: &Location) -> Option<Regex> {
    match loc.modifier {
        Modifier::Regex { caseless } => {
            let text = if caseless {
                format!("(?i){}", loc.pattern)
            } else {
                loc.pattern.clone()
            };
            Regex::new(&text).ok()
        }
        _ => None,
    }
}

/// nginx's location choice for `path`, with the regex captures.
pub fn find<'a>(locations: &[&'a Location], path: &str) -> Option<(&'a Location, Vec<String>)> {
    if let Some(l) = locations
        .iter()
        .find(|l| l.modifier == Modifier::Exact && l.pattern == path)
    {
        return Some((l, Vec::new()));
    }
    let best = locations
        .iter()
        .filter(|l| matches!(l.modifier, Modifier::Prefix | Modifier::PrefixNoRegex))
        .filter(|l| path.starts_with(l.pattern.as_str()))
        .max_by_key(|l| l.pattern.len());
    if let Some(b) = best.filter(|b| b.modifier == Modifier::PrefixNoRegex) {
        return Some((b, Vec::new()));
    }
    for l in locations {
        if let Some(caps) = location_regex(l).and_then(|re| {
            re.captures(path).map(|c| {
                c.iter()
                    .map(|m| m.map_or(String::new(), |m| m.as_str().to_owned()))
                    .collect::<Vec<_>>()
            })
        }) {
            return Some((l, caps));
        }
    }
    best.map(|b| (*b, Vec::new()))
}

/// `$1`… replaced by `caps`.
fn expand(text: &str, caps: &[String]) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                n.push(d);
                chars.next();
            }
            let i: usize = n.parse().unwrap_or(usize::MAX);
            out.push_str(caps.get(i).map_or("", String::as_str));
        } else {
            out.push(c);
        }
    }
    out
}

/// Recognizes an auth server from a target URI.
fn classify(target: &str) -> Option<AuthTarget> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    for marker in ["/api/v2/auth", "/api/v2/organizr-auth"] {
        if let Some(i) = path.find(marker) {
            let parsed = crate::portal::organizr_api::parse(&path[i..], query)?;
            return Some(match parsed {
                Ok(req) if req.whitelist.is_empty() && req.blacklist.is_empty() => AuthTarget::Group(req.group, None),
                Ok(req) => AuthTarget::Group(
                    req.group,
                    Some("Organizr's IP white/blacklist is not imported: the group rule applies to everyone".to_owned()),
                ),
                Err(e) => AuthTarget::Unknown(format!("{target} ({e})")),
            });
        }
    }
    let q = query.unwrap_or("");
    let v1_path =
        path.ends_with("/api/") || path.ends_with("/api") || path.ends_with("/api/index.php");
    if v1_path && (q.starts_with("v1/auth") || q.starts_with("v1_auth")) {
        let group = url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "group")
            .and_then(|(_, v)| crate::groups::parse(&v))
            .unwrap_or(crate::groups::ADMIN);
        return Some(AuthTarget::Group(group, None));
    }
    if path.ends_with("/auth.php") {
        let group = if q.starts_with("admin") {
            0
        } else {
            crate::groups::USER
        };
        return Some(AuthTarget::Group(group, None));
    }
    let lower = target.to_ascii_lowercase();
    let other = [
        ("authelia", "Authelia"),
        ("/api/verify", "Authelia"),
        ("/api/authz", "Authelia"),
        ("goauthentik", "Authentik"),
        ("authentik", "Authentik"),
        ("tinyauth", "tinyauth"),
        ("oauth2", "oauth2-proxy"),
    ];
    other.iter().find(|(m, _)| lower.contains(m)).map(|(_, name)| {
        AuthTarget::Member(format!(
            "{name} is not imported: the route admits any signed-in Gatehouse user (auth = \"member\"); its per-user and per-group rules are lost, set auth to a group to restrict it"
        ))
    })
}

/// Resolves `auth_request uri` among a server's locations.
pub fn resolve(locations: &[&Location], uri: &str, vars: &VarCx) -> AuthTarget {
    let mut current = uri.to_owned();
    for _ in 0..10 {
        if let Some(t) = classify(&current) {
            return t;
        }
        let path = current.split('?').next().unwrap_or("").to_owned();
        let Some((loc, caps)) = find(locations, &path) else {
            return AuthTarget::Unknown(current);
        };
        let mut vars = vars.clone();
        for d in loc.rewrites.iter().filter(|d| d.name == "set") {
            vars.sets.push((
                d.arg(0).trim_start_matches('$').to_owned(),
                d.arg(1).to_owned(),
            ));
        }
        let mut restart = false;
        for d in &loc.rewrites {
            if d.name != "rewrite" {
                continue;
            }
            let Ok(re) = Regex::new(d.arg(0)) else {
                continue;
            };
            let Some(c) = re.captures(&path) else {
                continue;
            };
            let rc: Vec<String> = c
                .iter()
                .map(|m| m.map_or(String::new(), |m| m.as_str().to_owned()))
                .collect();
            current = expand(&vars.resolve(d.arg(1)), &rc);
            restart = d.arg(2) != "break";
            break;
        }
        if let Some(t) = classify(&current) {
            return t;
        }
        if restart {
            continue;
        }
        if let Some(pp) = &loc.proxy_pass {
            let target = expand(&vars.resolve(&pp.value), &caps);
            if let Some(t) = classify(&target) {
                return t;
            }
            let after_host = target.split_once("://").map_or("", |(_, r)| r);
            let uri_part = after_host.find('/').map(|i| &after_host[i..]);
            let sent = match uri_part {
                Some(u) if u != "/" => u.to_owned(),
                _ => current.clone(),
            };
            return classify(&sent).unwrap_or(AuthTarget::Unknown(target));
        }
        return AuthTarget::Unknown(current);
    }
    AuthTarget::Unknown(uri.to_owned())
}

/// The identity field an `auth_request_set` source variable carries.
pub fn identity_field(source: &str) -> Option<&'static str> {
    let name = source.trim_start_matches('$').to_ascii_lowercase();
    let header = name.strip_prefix("upstream_http_")?;
    Some(match header {
        "x_organizr_user"
        | "remote_user"
        | "x_authentik_username"
        | "x_webauth_user"
        | "x_forwarded_user"
        | "remote_name"
        | "x_authentik_name" => "username",
        "x_organizr_email" | "remote_email" | "x_authentik_email" | "x_forwarded_email" => "email",
        "x_organizr_group" => "group",
        "remote_groups" | "x_authentik_groups" => "group_name",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::nginx::{lexer::tokenize, parser::parse, tree::read};
    use std::rc::Rc;

    fn target(server_body: &str, uri: &str) -> AuthTarget {
        let text = format!("server {{\n{server_body}\n}}\n");
        let file: Rc<str> = Rc::from("t.conf");
        let tree =
            read(&parse(&file, tokenize("t.conf", text.as_bytes()).unwrap()).unwrap()).unwrap();
        let locs = flatten(&tree.servers[0].locations);
        resolve(&locs, uri, &VarCx::default())
    }

    #[test]
    fn test_resolve_organizr_forms() {
        let v2 =
            "location ~ /auth-(.*) { internal; proxy_pass http://127.0.0.1:81/api/v2/auth/$1; }";
        assert_eq!(target(v2, "/auth-4"), AuthTarget::Group(4, None));
        let q = "location ~ /auth-([0-9]+) { internal; set $app organizr; proxy_pass http://$app:80/api/v2/auth?group=$1; }";
        assert_eq!(target(q, "/auth-1"), AuthTarget::Group(1, None));
        let v1 = "location ~ /auth-(.*) { internal; rewrite ^/auth-(.*) /api/?v1/auth&group=$1; }";
        assert_eq!(target(v1, "/auth-2"), AuthTarget::Group(2, None));
        let v1p = "location ~ /auth-(.*) { internal; proxy_pass http://192.168.1.2:81/api/?v1/auth&group=$1; }";
        assert_eq!(target(v1p, "/auth-998"), AuthTarget::Group(998, None));
        let old = "location /auth-admin { internal; rewrite ^ /auth.php?admin&whitelist=; }";
        assert_eq!(target(old, "/auth-admin"), AuthTarget::Group(0, None));
        assert_eq!(target("", "/api/v2/auth/3"), AuthTarget::Group(3, None));
        let wl = "location ~ /auth-(.*) { internal; proxy_pass http://o/api/v2/auth/$1/whitelist/10.0.0.1; }";
        assert!(matches!(
            target(wl, "/auth-0"),
            AuthTarget::Group(0, Some(_))
        ));
    }

    #[test]
    fn test_resolve_other_auth_servers() {
        let authelia =
            "location /authelia { internal; proxy_pass http://authelia:9091/api/verify; }";
        assert!(
            matches!(target(authelia, "/authelia/api/verify"), AuthTarget::Member(r) if r.starts_with("Authelia"))
        );
        assert!(
            matches!(target("", "/outpost.goauthentik.io/auth/nginx"), AuthTarget::Member(r) if r.starts_with("Authentik"))
        );
        assert!(matches!(target("", "/somewhere"), AuthTarget::Unknown(_)));
    }

    #[test]
    fn test_identity_field() {
        assert_eq!(
            identity_field("$upstream_http_x_organizr_user"),
            Some("username")
        );
        assert_eq!(
            identity_field("$upstream_http_x_organizr_email"),
            Some("email")
        );
        assert_eq!(
            identity_field("$upstream_http_x_organizr_group"),
            Some("group")
        );
        assert_eq!(
            identity_field("$upstream_http_remote_groups"),
            Some("group_name")
        );
        assert_eq!(identity_field("$upstream_http_set_cookie"), None);
    }
}
