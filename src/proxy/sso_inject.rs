//! The upstream `Cookie` header and SSO values (README "Single sign-on", beyond Organizr).
//!
//! * The gateway's own cookies (the session cookie, the Plex PIN cookie)
//!   never reach an upstream: an app behind the gateway cannot read or replay
//!   a user's gateway session.
//! * Routes with `sso = ["tautulli"]` get the user's Tautulli token in
//!   `Cookie`; any client-sent `tautulli_token_*` is removed, with or without
//!   a session.
//! * Routes with `sso = ["plex"]` get `X-Plex-Token` when the client sent none.

use http::header::{self, HeaderValue};
use pingora::http::RequestHeader;
use pingora::prelude::*;

use crate::app::App;
use crate::auth::session::SessionEntry;
use crate::config::{Route, SsoService};
use crate::portal::cookies::PIN_COOKIE;

/// Rewrites the upstream `Cookie` header when it carries a gateway cookie or
/// the route manages Tautulli tokens; otherwise leaves it untouched (no work
/// on the common path beyond one scan).
pub fn rewrite_cookies(
    app: &App,
    route: &Route,
    entry: Option<&SessionEntry>,
    up: &mut RequestHeader,
) -> Result<()> {
    let tautulli = route.sso.contains(&SsoService::Tautulli);
    let own = app.config.session.cookie.as_str();
    let carries_own = up.headers.get_all(header::COOKIE).iter().any(|v| {
        let b = v.as_bytes();
        contains(b, own.as_bytes()) || contains(b, PIN_COOKIE.as_bytes())
    });
    if !tautulli && !carries_own {
        return Ok(());
    }
    let tokens = entry.map(|e| e.sso());
    let empty = Vec::new();
    let tautulli_tokens = match (&tokens, tautulli) {
        (Some(t), true) => &t.tautulli,
        _ => &empty,
    };
    let cookie = crate::sso::inject::upstream_cookie(
        up.headers
            .get_all(header::COOKIE)
            .iter()
            .map(|v| v.as_bytes()),
        &[own, PIN_COOKIE],
        tautulli,
        tautulli_tokens,
        route.upstreams.iter().map(|u| u.address.as_str()),
    );
    up.remove_header(&header::COOKIE);
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        up.insert_header(header::COOKIE, c)?;
    }
    Ok(())
}

/// Adds `X-Plex-Token` for routes with `sso = ["plex"]`.
pub fn inject_plex(
    app: &App,
    route: &Route,
    entry: &SessionEntry,
    up: &mut RequestHeader,
) -> Result<()> {
    if !route.sso.contains(&SsoService::Plex) || !app.config.sso.plex.enabled {
        return Ok(());
    }
    if up.headers.get(crate::headers::X_PLEX_TOKEN).is_some() {
        return Ok(());
    }
    if let Some(t) = entry.sso().plex.as_deref() {
        if let Ok(v) = HeaderValue::from_str(t) {
            up.insert_header("X-Plex-Token", v)?;
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
