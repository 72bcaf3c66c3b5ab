//! The Organizr-compatible auth API (README "Organizr-compatible auth API"): the paths an
//! existing nginx `auth_request /auth-4;` setup already calls, answered from
//! the gateway's own session.
//!
//! Paths (any method), under `/api/v2/`:
//! - `auth`, `auth/{group}`, `auth/{group}/{type}/{ips}` (`{ips}` is the
//!   rest of the path, so `10.0.0.0/8` needs no escaping)
//! - `auth-{group}` (`auth-` alone = group 0)
//! - `organizr-auth[/{group}[/{type}[/{ips}]]]`
//! - any of them with `?group=N`, `?whitelist=CSV`, `?blacklist=CSV`,
//!   anywhere in a properly parsed query.
//!
//! Differences from Organizr, all deliberate:
//! - the query is parsed, so `?group=1&whitelist=1.2.3.4` means group 1
//!   (Organizr turns it into group 0);
//! - when `group` is given several times (path and query, or twice in the
//!   query) the *lowest* (most restrictive) number wins;
//! - a group is a number 0..=999 or one of our group names (`admin` … `guest`),
//!   or a route name through [`parse_with`]; anything else means group 0
//!   (admin only), the same fail-closed result Organizr gives for an unknown
//!   tab name;
//! - white/blacklists accept IPs and CIDRs ([`IpList`]), no host names, and a
//!   bad entry is an error (401) instead of a silent non-match;
//! - a missing `{type}/{ips}` means no list (Organizr's default blacklist
//!   `192.0.0.0` is a placeholder that matches nobody);
//! - the client IP is the gateway's (`trusted_proxies`-aware), not the first
//!   `X-Forwarded-For` entry.
//!
//! The decision order is Organizr's: whitelist → 200 without identity,
//! blacklist → 401, then `group <= N` and not locked → 200 with identity
//! (`X-Organizr-User`, `-Email`, `-Group`), else 401.

use std::net::IpAddr;

use crate::auth::decision::UserState;
use crate::groups;
use crate::net::{IpList, NetError};

/// Path prefix of every auth API path.
pub const PREFIX: &str = "/api/v2/";

/// `X-Organizr-User` for a guest that qualified (group 999).
pub const GUEST_USERNAME: &str = "Guest";

/// Why an auth API request is refused before any user check (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The `{type}` path segment is not a white/blacklist alias.
    #[error("{0} is not a valid type")]
    InvalidType(String),
    /// A white/blacklist entry is not an IP address or CIDR.
    #[error("{0}")]
    InvalidIps(#[from] NetError),
}

/// A parsed auth API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthApiRequest {
    /// Highest group number admitted.
    pub group: u16,
    /// Clients that pass without a session (and without identity headers).
    pub whitelist: IpList,
    /// Clients that are refused, admins included.
    pub blacklist: IpList,
}

/// The answer to an auth API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthApiAnswer {
    /// 200 or 401.
    pub status: u16,
    /// Whether to send `X-Organizr-User`, `-Email` and `-Group` (of the
    /// session's user, or `Guest`, empty, `999` without a session).
    pub identity: bool,
    /// Organizr's message for the JSON body.
    pub message: &'static str,
}

impl AuthApiAnswer {
    /// Organizr's JSON body:
    /// `{"response":{"result":"success","message":"User is authorized","data":{…}}}`.
    /// `data` describes the user only when the identity headers are sent
    /// (never on a 401 or a whitelist pass); otherwise it is `null`.
    pub fn body_json(&self, data: Option<&AuthData<'_>>) -> String {
        let data = match data.filter(|_| self.identity) {
            Some(d) => serde_json::json!({
                "user": d.user,
                "group": d.group,
                "email": d.email,
                "user_ip": d.user_ip.to_string(),
                "requested_group": d.requested_group,
                "uuid": "n/a",
            }),
            None => serde_json::Value::Null,
        };
        body_with(self.status == 200, self.message, data)
    }
}

/// Who was authorized, for the `data` of Organizr's JSON body.
#[derive(Debug, Clone, Copy)]
pub struct AuthData<'a> {
    pub user: &'a str,
    pub email: &'a str,
    pub group: u16,
    pub user_ip: IpAddr,
    pub requested_group: u16,
}

/// Organizr's JSON body for any message (e.g. an [`ApiError`]'s text).
pub fn body_json(success: bool, message: &str) -> String {
    body_with(success, message, serde_json::Value::Null)
}

fn body_with(success: bool, message: &str, data: serde_json::Value) -> String {
    serde_json::json!({
        "response": {
            "result": if success { "success" } else { "error" },
            "message": message,
            "data": data,
        }
    })
    .to_string()
}

/// Parses an auth API request. `None` = not an auth API path (route it
/// normally); `Some(Err)` = an auth API path with bad parameters (answer 401
/// with the error's text).
pub fn parse(path: &str, query: Option<&str>) -> Option<Result<AuthApiRequest, ApiError>> {
    parse_with(path, query, |_| None)
}

/// [`parse`], with `route_group` resolving a group given by name that is not
/// one of ours (Organizr looks such names up as tab names; pass a look-up of
/// route names → their level).
pub fn parse_with(
    path: &str,
    query: Option<&str>,
    route_group: impl Fn(&str) -> Option<u16>,
) -> Option<Result<AuthApiRequest, ApiError>> {
    let rest = path.strip_prefix(PREFIX)?;
    let segments: Vec<&str> = if let Some(group) = rest.strip_prefix("auth-") {
        if group.contains('/') {
            return None;
        }
        vec![group]
    } else {
        let tail = rest
            .strip_prefix("auth")
            .or_else(|| rest.strip_prefix("organizr-auth"))?;
        if tail.is_empty() {
            Vec::new()
        } else {
            // One trailing slash is tolerated: `auth/`, `auth/4/`.
            let t = tail.strip_prefix('/')?;
            let t = t.strip_suffix('/').unwrap_or(t);
            if t.is_empty() {
                Vec::new()
            } else {
                // `{ips}` takes the rest, so CIDRs may be written with a
                // plain slash: `auth/0/allow/10.0.0.0/8,192.168.1.0/24`.
                t.splitn(3, '/').collect()
            }
        }
    };
    Some(build(&segments, query, &route_group))
}

fn build(
    segments: &[&str],
    query: Option<&str>,
    route_group: &dyn Fn(&str) -> Option<u16>,
) -> Result<AuthApiRequest, ApiError> {
    let mut group: Option<u16> = None;
    let mut lower = |g: u16| group = Some(group.map_or(g, |cur| cur.min(g)));
    let mut whitelist = IpList::default();
    let mut blacklist = IpList::default();
    if let Some(g) = segments.first().filter(|g| !g.is_empty()) {
        lower(group_of(&decode(g), route_group));
    }
    if let Some(kind) = segments.get(1) {
        let ips = IpList::parse(&decode(segments.get(2).copied().unwrap_or("")))?;
        match list_kind(&decode(kind)) {
            Some(ListKind::White) => whitelist.extend(ips),
            Some(ListKind::Black) => blacklist.extend(ips),
            None => return Err(ApiError::InvalidType(decode(kind))),
        }
    }
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "group" => lower(group_of(&value, route_group)),
            "whitelist" => whitelist.extend(IpList::parse(&value)?),
            "blacklist" => blacklist.extend(IpList::parse(&value)?),
            _ => {}
        }
    }
    Ok(AuthApiRequest {
        group: group.unwrap_or(groups::ADMIN),
        whitelist,
        blacklist,
    })
}

enum ListKind {
    White,
    Black,
}

fn list_kind(kind: &str) -> Option<ListKind> {
    match kind.to_ascii_lowercase().as_str() {
        "whitelist" | "white" | "w" | "wl" | "allow" => Some(ListKind::White),
        "blacklist" | "black" | "b" | "bl" | "deny" => Some(ListKind::Black),
        _ => None,
    }
}

/// A group by number or name; unknown = 0 (admin only).
fn group_of(text: &str, route_group: &dyn Fn(&str) -> Option<u16>) -> u16 {
    groups::parse(text)
        .or_else(|| route_group(text.trim()))
        .unwrap_or(groups::ADMIN)
}

fn decode(segment: &str) -> String {
    let bytes = crate::auth::redirect_target::percent_decode(segment.as_bytes());
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Answers a parsed request for `user` (`None` = no valid session, i.e. a
/// guest) coming from `client_ip`, in Organizr's order.
pub fn answer(req: &AuthApiRequest, user: Option<UserState>, client_ip: IpAddr) -> AuthApiAnswer {
    if req.whitelist.contains(client_ip) {
        return AuthApiAnswer {
            status: 200,
            identity: false,
            message: "User is whitelisted",
        };
    }
    if req.blacklist.contains(client_ip) {
        return AuthApiAnswer {
            status: 401,
            identity: false,
            message: "User is blacklisted",
        };
    }
    let user = user.unwrap_or(UserState {
        group: groups::GUEST,
        locked: false,
    });
    if user.group <= req.group && !user.locked {
        AuthApiAnswer {
            status: 200,
            identity: true,
            message: "User is authorized",
        }
    } else {
        AuthApiAnswer {
            status: 401,
            identity: false,
            message: "User is not Authorized or User is locked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::random_string;

    fn ok(path: &str, query: Option<&str>) -> AuthApiRequest {
        parse(path, query).unwrap().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn user(group: u16) -> Option<UserState> {
        Some(UserState {
            group,
            locked: false,
        })
    }

    #[test]
    fn test_parse_not_auth_paths() {
        for p in [
            "/",
            "/api/v2/login",
            "/api/v2/authx",
            "/api/v2/auth-4/x",
            "/plex/api/v2/auth/1",
        ] {
            assert_eq!(parse(p, None), None, "{p}");
        }
    }

    #[test]
    fn test_parse_path_forms() {
        assert_eq!(ok("/api/v2/auth", None).group, 0);
        assert_eq!(ok("/api/v2/auth/", None).group, 0);
        assert_eq!(ok("/api/v2/auth/4", None).group, 4);
        assert_eq!(ok("/api/v2/auth/4/", None).group, 4);
        assert_eq!(ok("/api/v2/auth-4", None).group, 4);
        assert_eq!(ok("/api/v2/auth-", None).group, 0);
        assert_eq!(ok("/api/v2/auth-998", None).group, 998);
        assert_eq!(ok("/api/v2/organizr-auth", None).group, 0);
        assert_eq!(ok("/api/v2/organizr-auth/2", None).group, 2);
        assert_eq!(ok("/api/v2/auth/power-user", None).group, 3);
        assert_eq!(ok("/api/v2/auth/power%20user", None).group, 3);
        assert_eq!(ok("/api/v2/auth-guest", None).group, 999);
    }

    #[test]
    fn test_parse_unknown_group_name_fails_closed_to_admin() {
        assert_eq!(ok("/api/v2/auth/Sonarr", None).group, 0);
        assert_eq!(ok("/api/v2/auth-1000", None).group, 0);
        let by_route = |name: &str| (name.eq_ignore_ascii_case("sonarr")).then_some(3);
        let req = parse_with("/api/v2/auth/Sonarr", None, by_route)
            .unwrap()
            .unwrap();
        assert_eq!(req.group, 3);
    }

    #[test]
    fn test_parse_query_group_anywhere() {
        assert_eq!(ok("/api/v2/auth", Some("group=4")).group, 4);
        assert_eq!(ok("/api/v2/auth", Some("foo=1&group=3")).group, 3);
        let req = ok("/api/v2/auth", Some("group=1&whitelist=1.2.3.4"));
        assert_eq!(req.group, 1, "not Organizr's rewrite bug");
        assert!(req.whitelist.contains(ip("1.2.3.4")));
    }

    #[test]
    fn test_parse_duplicate_groups_lowest_wins() {
        assert_eq!(ok("/api/v2/auth", Some("group=4&group=1")).group, 1);
        assert_eq!(ok("/api/v2/auth/4", Some("group=2")).group, 2);
        assert_eq!(ok("/api/v2/auth/1", Some("group=4")).group, 1);
    }

    #[test]
    fn test_parse_type_aliases() {
        for t in ["whitelist", "white", "w", "wl", "allow", "WL"] {
            let req = ok(&format!("/api/v2/auth/4/{t}/10.0.0.5"), None);
            assert!(req.whitelist.contains(ip("10.0.0.5")), "{t}");
            assert!(req.blacklist.is_empty());
        }
        for t in ["blacklist", "black", "b", "bl", "deny"] {
            let req = ok(&format!("/api/v2/organizr-auth/4/{t}/10.0.0.5"), None);
            assert!(req.blacklist.contains(ip("10.0.0.5")), "{t}");
            assert!(req.whitelist.is_empty());
        }
    }

    #[test]
    fn test_parse_errors() {
        let err = parse("/api/v2/auth/4/maybe/1.2.3.4", None)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.to_string(), "maybe is not a valid type");
        let err = parse("/api/v2/auth/4/w/1.2.3.4/extra", None)
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, ApiError::InvalidIps(_)));
        let err = parse("/api/v2/auth/4/w/nas.local", None)
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, ApiError::InvalidIps(_)));
        let err = parse("/api/v2/auth", Some("blacklist=x"))
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, ApiError::InvalidIps(_)));
    }

    #[test]
    fn test_answer_whitelist_wins_without_identity() {
        let req = ok("/api/v2/auth/0/w/192.168.1.0%2F24", None);
        let a = answer(&req, None, ip("192.168.1.77"));
        assert_eq!(
            (a.status, a.identity, a.message),
            (200, false, "User is whitelisted")
        );
        // Outside the CIDR, a guest on an admin endpoint is refused.
        assert_eq!(answer(&req, None, ip("192.168.2.1")).status, 401);
    }

    #[test]
    fn test_parse_cidr_with_plain_slash_in_path() {
        let req = ok("/api/v2/auth/0/allow/10.0.0.0/8,192.168.1.0/24", None);
        assert!(req.whitelist.contains(ip("10.9.8.7")));
        assert!(req.whitelist.contains(ip("192.168.1.200")));
        assert!(!req.whitelist.contains(ip("192.168.2.1")));
        assert_eq!(answer(&req, None, ip("10.9.8.7")).status, 200);
    }

    #[test]
    fn test_answer_blacklist_beats_admin() {
        let req = ok("/api/v2/auth/4", Some("blacklist=10.0.0.0/8,203.0.113.9"));
        let a = answer(&req, user(0), ip("10.1.2.3"));
        assert_eq!(
            (a.status, a.identity, a.message),
            (401, false, "User is blacklisted")
        );
        assert_eq!(answer(&req, user(0), ip("203.0.113.9")).status, 401);
        assert_eq!(answer(&req, user(0), ip("203.0.113.10")).status, 200);
    }

    #[test]
    fn test_answer_whitelist_checked_before_blacklist() {
        let req = ok(
            "/api/v2/auth/0",
            Some("blacklist=10.0.0.0/8&whitelist=10.0.0.1"),
        );
        assert_eq!(answer(&req, None, ip("10.0.0.1")).status, 200);
        assert_eq!(
            answer(&req, None, ip("10.0.0.2")).message,
            "User is blacklisted"
        );
    }

    #[test]
    fn test_answer_group_rule() {
        let req = ok("/api/v2/auth-4", None);
        let client = ip("198.51.100.1");
        let a = answer(&req, user(4), client);
        assert_eq!(
            (a.status, a.identity, a.message),
            (200, true, "User is authorized")
        );
        assert_eq!(answer(&req, user(0), client).status, 200);
        let a = answer(&req, user(7), client);
        assert_eq!(
            (a.status, a.message),
            (401, "User is not Authorized or User is locked")
        );
        assert_eq!(answer(&req, None, client).status, 401);
        let locked = Some(UserState {
            group: 0,
            locked: true,
        });
        assert_eq!(answer(&req, locked, client).status, 401);
    }

    #[test]
    fn test_answer_guest_level() {
        let req = ok("/api/v2/auth-999", None);
        let a = answer(&req, None, ip("198.51.100.1"));
        assert_eq!((a.status, a.identity), (200, true));
        let locked = Some(UserState {
            group: 4,
            locked: true,
        });
        assert_eq!(answer(&req, locked, ip("198.51.100.1")).status, 401);
    }

    #[test]
    fn test_body_json_shape() {
        let a = AuthApiAnswer {
            status: 200,
            identity: true,
            message: "User is authorized",
        };
        let v: serde_json::Value = serde_json::from_str(&a.body_json(None)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"response": {"result": "success", "message": "User is authorized", "data": null}})
        );
        let data = AuthData {
            user: "alice",
            email: "alice@example.com",
            group: 4,
            user_ip: "192.0.2.7".parse().unwrap(),
            requested_group: 998,
        };
        let v: serde_json::Value = serde_json::from_str(&a.body_json(Some(&data))).unwrap();
        assert_eq!(
            v["response"]["data"],
            serde_json::json!({"user": "alice", "group": 4, "email": "alice@example.com",
                "user_ip": "192.0.2.7", "requested_group": 998, "uuid": "n/a"})
        );
        let refused = AuthApiAnswer {
            status: 401,
            identity: false,
            message: "User is not authorized",
        };
        let v: serde_json::Value = serde_json::from_str(&refused.body_json(Some(&data))).unwrap();
        assert_eq!(
            v["response"]["data"],
            serde_json::Value::Null,
            "no identity on 401"
        );
        let v: serde_json::Value =
            serde_json::from_str(&body_json(false, "maybe is not a valid type")).unwrap();
        assert_eq!(v["response"]["result"], "error");
    }

    #[test]
    fn test_parse_random_paths_never_panic() {
        let alphabet = b"/api/v2/auth-organizr0149wbl%2F.,:&=?group";
        let mut state = 0x1234_5678_9ABC_DEF1;
        for _ in 0..20_000 {
            let path = random_string(&mut state, alphabet, 40);
            let query = random_string(&mut state, alphabet, 30);
            let path = format!("/api/v2/{}", String::from_utf8_lossy(&path));
            let query = String::from_utf8_lossy(&query).into_owned();
            if let Some(Ok(req)) = parse(&path, Some(&query)) {
                assert!(req.group <= groups::MAX);
            }
        }
    }
}
