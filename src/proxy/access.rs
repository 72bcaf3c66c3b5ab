//! The auth step of the request path (README "How a request is decided"): session (or
//! API token) look-up and the access policy (docs/access.md) before the upstream, then spoofable headers out and the
//! identity in. The hot path: no I/O, no global lock, and no allocation
//! beyond what the reply or the injected values need.

use http::header;
use pingora::http::RequestHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

use super::ctx::RequestCtx;
use super::respond::Reply;
use crate::app::App;
use crate::auth::decision;
use crate::auth::policy::{self, Facts, Verdict};
use crate::config::{AuthLevel, IdentityField, RouteAccess, TrustedSkip};
use crate::observability::metrics::Decision;

/// Decides whether the request may go on at `level` (its route's own, or
/// stricter: `route::strict`) under the route's access policy
/// (`auth::policy`); `Some(reply)` ends it here.
pub async fn check(
    app: &App,
    session: &Session,
    index: usize,
    level: AuthLevel,
    normalized: &str,
    ctx: &mut RequestCtx,
) -> Option<Reply> {
    if level == AuthLevel::None {
        ctx.decision = Decision::Public;
        return None;
    }
    let route = &app.config.routes[index];
    let access = &route.access;
    let runtime = &app.routes[index];
    let req = session.req_header();
    let now = crate::clock::now();
    let mut found = app.sessions.lookup_headers(&req.headers, now);
    if found.is_none() {
        // Several instances: another node's session, looked up once.
        found = super::cluster_miss::fill(app, &req.headers, now).await;
    }
    let public_path = match runtime.public_paths.is_empty() {
        true => false,
        false => match runtime.public_paths.matches(normalized) {
            Ok(public) => public,
            Err(_) => return Some(Reply::text(400, "bad request\n")),
        },
    };
    let trusted_network = !access.trusted_networks.is_empty()
        && ctx
            .client_ip
            .is_some_and(|ip| crate::net::is_trusted(ip, &access.trusted_networks));
    let mut facts = Facts {
        level,
        user: found.as_ref().map(|(_, i)| i.state()),
        second_factor: found.as_ref().is_some_and(|(e, _)| e.second_factor),
        navigation: false,
        public_path,
        trusted_network,
    };
    let open = public_path || (trusted_network && access.skip == TrustedSkip::SignIn);
    if found.is_none() && access.machine_clients && !open {
        let authorization = req.headers.get(header::AUTHORIZATION);
        if let (Some(value), Some(ip)) = (authorization, ctx.client_ip) {
            match super::machine::authenticate(app, route, value.as_bytes(), ip, now).await {
                Some(identity) => {
                    facts.user = Some(identity.state());
                    facts.second_factor = true;
                    ctx.machine = Some(identity);
                    ctx.strip_authorization = !access.pass_authorization;
                }
                None => {
                    ctx.decision = Decision::Unauthorized;
                    return Some(unauthorized(app, index));
                }
            }
        }
    }
    let verdict = decide(access, facts, req);
    ctx.decision = super::metrics::decision(verdict, facts.user.is_some());
    match verdict {
        Verdict::Allow => {
            ctx.session = found;
            None
        }
        Verdict::LoginRedirect => Some(to_portal(app, req, "login")),
        Verdict::StepUp => Some(to_portal(app, req, "step-up")),
        Verdict::Unauthorized => Some(unauthorized(app, index)),
        Verdict::StepUpUnauthorized => Some(Reply::text(401, "a second factor is required\n")),
        Verdict::Forbidden => Some(Reply::text(403, "forbidden\n")),
    }
}

/// The policy's verdict. Whether the request is a browser navigation only
/// chooses between a redirect and a 401, so its header look-ups (`Accept`,
/// `X-Requested-With`, `Authorization`) are made only when the verdict
/// depends on it: not for a signed-in user who is let in.
fn decide(access: &RouteAccess, mut facts: Facts, req: &RequestHeader) -> Verdict {
    facts.navigation = false;
    let other = policy::decide(access, &facts);
    facts.navigation = true;
    if policy::decide(access, &facts) == other {
        return other;
    }
    facts.navigation = policy::is_navigation(
        access,
        decision::is_navigation_request(
            req.method.as_str(),
            req.headers.get(header::ACCEPT).map(|v| v.as_bytes()),
            req.headers
                .get(crate::headers::X_REQUESTED_WITH)
                .map(|v| v.as_bytes()),
        ),
        req.headers.contains_key(header::AUTHORIZATION),
    );
    policy::decide(access, &facts)
}

/// `302 {portal}/{page}?rd=<the original path and query>`.
fn to_portal(app: &App, req: &RequestHeader, page: &str) -> Reply {
    let original = req.uri.path_and_query().map_or("/", |p| p.as_str());
    let location = format!(
        "{}/{page}?rd={}",
        app.config.portal.prefix,
        crate::portal::form::encode(original)
    );
    Reply::redirect(302, &location)
}

/// 401, with `WWW-Authenticate: Basic` and `Bearer` on a machine-client route.
fn unauthorized(app: &App, index: usize) -> Reply {
    let mut reply = Reply::text(401, "unauthorized\n");
    for value in &app.routes[index].challenges {
        reply.push(header::WWW_AUTHENTICATE, value.clone());
    }
    reply
}

/// Removes every client-sent header that could pose as an identity
/// (README "The portal"), on every route, public ones included.
pub fn strip_spoofable(app: &App, up: &mut RequestHeader) {
    let mut doomed: Option<Vec<http::HeaderName>> = None;
    for name in up.headers.keys() {
        if app.strip.should_strip(name.as_str()) {
            doomed.get_or_insert_with(Vec::new).push(name.clone());
        }
    }
    for name in doomed.into_iter().flatten() {
        up.remove_header(&name);
    }
}

/// Injects the route's identity headers (and SSO values) for the session
/// or the machine client's token, and removes the `Authorization` header
/// that authenticated a machine client (unless `pass_authorization`).
pub fn inject(app: &App, index: usize, up: &mut RequestHeader, ctx: &RequestCtx) -> Result<()> {
    if ctx.strip_authorization {
        up.remove_header(&header::AUTHORIZATION);
    }
    let route = &app.config.routes[index];
    if route.auth == AuthLevel::None {
        return Ok(());
    }
    let identity = match (&ctx.session, &ctx.machine) {
        (Some((_, identity)), _) => identity,
        (None, Some(identity)) => identity,
        (None, None) => return Ok(()),
    };
    let names = &ctx.live.header_names[index].identity;
    for ((_, field), name) in route.identity_headers.iter().zip(names) {
        let value = match field {
            IdentityField::Username => identity.username_value.as_ref(),
            IdentityField::Email => identity.email_value.as_ref(),
            IdentityField::Group => Some(&identity.group_value),
            IdentityField::GroupName => app
                .config
                .groups
                .header_value(identity.group)
                .or(Some(&identity.group_name_value)),
        };
        if let Some(v) = value {
            up.insert_header(name, v.clone())?;
        }
    }
    match &ctx.session {
        Some((entry, _)) => super::sso_inject::inject_plex(app, route, entry, up),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::decision::UserState;

    fn request(fields: &[(&str, &str)]) -> pingora::Result<RequestHeader> {
        let mut req = RequestHeader::build("GET", b"/a", None)?;
        for (name, value) in fields {
            req.append_header(name.to_string(), *value)?;
        }
        Ok(req)
    }

    /// The lazy reading of "navigation" gives the verdict the eager one gave,
    /// for every combination of facts, policy and request headers.
    #[test]
    fn test_decide_reads_navigation_only_when_it_matters() -> pingora::Result<()> {
        let requests = [
            request(&[])?,
            request(&[("accept", "text/html")])?,
            request(&[
                ("accept", "text/html"),
                ("x-requested-with", "XMLHttpRequest"),
            ])?,
            request(&[("accept", "text/html"), ("authorization", "Bearer x")])?,
            request(&[("accept", "application/json")])?,
        ];
        let users = [
            None,
            Some(UserState {
                group: 0,
                locked: false,
            }),
            Some(UserState {
                group: 4,
                locked: false,
            }),
            Some(UserState {
                group: 4,
                locked: true,
            }),
            Some(UserState {
                group: 999,
                locked: false,
            }),
        ];
        let levels = [
            AuthLevel::None,
            AuthLevel::Group(1),
            AuthLevel::Group(4),
            AuthLevel::Group(999),
        ];
        let skips = [TrustedSkip::SignIn, TrustedSkip::SecondFactor];
        let mut checked = 0;
        for machine_clients in [false, true] {
            for second_factor_policy in [false, true] {
                for skip in skips {
                    let access = RouteAccess {
                        machine_clients,
                        second_factor: second_factor_policy,
                        skip,
                        ..RouteAccess::default()
                    };
                    for req in &requests {
                        for user in users {
                            for level in levels {
                                for bits in 0..8u8 {
                                    let facts = Facts {
                                        level,
                                        user,
                                        second_factor: bits & 1 != 0,
                                        navigation: false,
                                        public_path: bits & 2 != 0,
                                        trusted_network: bits & 4 != 0,
                                    };
                                    let eager = Facts {
                                        navigation: policy::is_navigation(
                                            &access,
                                            decision::is_navigation_request(
                                                req.method.as_str(),
                                                req.headers
                                                    .get(header::ACCEPT)
                                                    .map(|v| v.as_bytes()),
                                                req.headers
                                                    .get(crate::headers::X_REQUESTED_WITH)
                                                    .map(|v| v.as_bytes()),
                                            ),
                                            req.headers.get(header::AUTHORIZATION).is_some(),
                                        ),
                                        ..facts
                                    };
                                    assert_eq!(
                                        decide(&access, facts, req),
                                        policy::decide(&access, &eager),
                                        "{access:?} {eager:?}"
                                    );
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 2 * 2 * 5 * 5 * 4 * 8);
        Ok(())
    }
}
