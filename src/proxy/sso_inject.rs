//! SSO values injected into upstream requests (DESIGN §6, beyond Organizr):
//! routes with `sso = ["tautulli"]` get the user's Tautulli token in `Cookie`
//! (replacing any client-sent `tautulli_token_*`), routes with
//! `sso = ["plex"]` get `X-Plex-Token` when the client sent none.

use http::header::{self, HeaderValue};
use pingora::http::RequestHeader;
use pingora::prelude::*;

use crate::app::App;
use crate::auth::session::SessionEntry;
use crate::config::{Route, SsoService};

/// Adds the session's SSO tokens that `route` asks for.
pub fn inject(
    app: &App,
    route: &Route,
    entry: &SessionEntry,
    up: &mut RequestHeader,
) -> Result<()> {
    if route.sso.is_empty() {
        return Ok(());
    }
    let tokens = entry.sso();
    if route.sso.contains(&SsoService::Plex) && app.config.sso.plex.enabled {
        if let Some(t) = tokens.plex.as_deref() {
            if up.headers.get("x-plex-token").is_none() {
                if let Ok(v) = HeaderValue::from_str(t) {
                    up.insert_header("X-Plex-Token", v)?;
                }
            }
        }
    }
    if route.sso.contains(&SsoService::Tautulli) && !tokens.tautulli.is_empty() {
        let cookie = crate::sso::inject::tautulli_cookie(
            up.headers
                .get_all(header::COOKIE)
                .iter()
                .map(|v| v.as_bytes()),
            &tokens.tautulli,
            route.upstreams.iter().map(|u| u.address.as_str()),
        );
        up.remove_header(&header::COOKIE);
        if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            up.insert_header(header::COOKIE, c)?;
        }
    }
    Ok(())
}
