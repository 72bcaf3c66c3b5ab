//! The auth step of the request path (README "How a request is decided"): session look-up
//! and decision before the upstream, then spoofable headers out and the
//! identity in. The hot path: no I/O, no global lock, and no allocation
//! beyond what the reply or the injected values need.

use http::header;
use pingora::http::RequestHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

use super::ctx::RequestCtx;
use super::respond::Reply;
use crate::app::App;
use crate::auth::decision::{self, Decision};
use crate::config::{AuthLevel, IdentityField};

/// Decides whether the request may go on at `level` (its route's own, or
/// stricter: `route::strict`); `Some(reply)` ends it here.
pub fn check(
    app: &App,
    session: &Session,
    level: AuthLevel,
    ctx: &mut RequestCtx,
) -> Option<Reply> {
    if level == AuthLevel::None {
        return None;
    }
    let req = session.req_header();
    let found = app
        .sessions
        .lookup_headers(&req.headers, crate::clock::now());
    let state = found.as_ref().map(|(_, i)| i.state());
    let navigation = decision::is_navigation_request(
        req.method.as_str(),
        req.headers.get(header::ACCEPT).map(|v| v.as_bytes()),
        req.headers
            .get(crate::headers::X_REQUESTED_WITH)
            .map(|v| v.as_bytes()),
    );
    match decision::decide(level, state, navigation) {
        Decision::Allow => {
            ctx.session = found;
            None
        }
        Decision::LoginRedirect => {
            let original = req.uri.path_and_query().map_or("/", |p| p.as_str());
            let location = format!(
                "{}/login?rd={}",
                app.config.portal.prefix,
                crate::portal::form::encode(original)
            );
            Some(Reply::redirect(302, &location))
        }
        Decision::Unauthorized => Some(Reply::text(401, "unauthorized\n")),
        Decision::Forbidden => Some(Reply::text(403, "forbidden\n")),
    }
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

/// Injects the route's identity headers (and SSO values) for the session.
pub fn inject(app: &App, index: usize, up: &mut RequestHeader, ctx: &RequestCtx) -> Result<()> {
    let route = &app.config.routes[index];
    if route.auth == AuthLevel::None {
        return Ok(());
    }
    let Some((entry, identity)) = &ctx.session else {
        return Ok(());
    };
    for (name, field) in &route.identity_headers {
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
            up.insert_header(name.clone(), v.clone())?;
        }
    }
    super::sso_inject::inject_plex(app, route, entry, up)
}
