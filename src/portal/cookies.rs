//! The cookies a sign-in sets and a sign-out clears: the session cookie and
//! the SSO cookies (Organizr's names and paths), every one built by
//! `auth::cookie::set_cookie` with the configured Domain.

use std::time::{Duration, SystemTime};

use http::header::HeaderValue;

use crate::app::App;
use crate::cookie::{self, CookieSpec, SameSite};
use crate::tokens::SsoTokens;

/// `Plex` and `Ombi` tokens are read by the apps' JavaScript; everything else is HttpOnly.
fn spec<'a>(
    app: &'a App,
    name: &'a str,
    value: &'a str,
    path: &'a str,
    http_only: bool,
    secure: bool,
    max_age: Option<Duration>,
) -> CookieSpec<'a> {
    CookieSpec {
        name,
        value,
        domain: app.config.session.domain.as_deref(),
        path,
        max_age,
        http_only,
        secure,
        same_site: SameSite::Lax,
    }
}

/// Session cookie plus one cookie per SSO token. `max_age` is `None` for a
/// browser-session cookie (no "remember me"); the server-side lifetime is
/// enforced regardless.
pub fn login_cookies(
    app: &App,
    token: &str,
    tokens: &SsoTokens,
    secure: bool,
    max_age: Option<Duration>,
    now: SystemTime,
) -> Vec<HeaderValue> {
    let mut specs = vec![spec(
        app,
        &app.config.session.cookie,
        token,
        "/",
        true,
        secure,
        max_age,
    )];
    if let Some(t) = tokens
        .plex
        .as_deref()
        .filter(|_| app.config.sso.plex.enabled)
    {
        specs.push(spec(app, "mpt", t, "/", false, secure, max_age));
    }
    if let Some(t) = tokens.ombi.as_deref() {
        specs.push(spec(app, "Auth", t, "/", false, secure, max_age));
    }
    let names: Vec<String> = tokens
        .tautulli
        .iter()
        .map(|t| format!("tautulli_token_{}", t.uuid))
        .collect();
    for (t, name) in tokens.tautulli.iter().zip(&names) {
        specs.push(spec(app, name, &t.token, &t.path, true, secure, max_age));
    }
    specs
        .iter()
        .filter_map(|s| match cookie::set_cookie(s, now) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(cookie = s.name, error = %e, "cookie not set");
                None
            }
        })
        .collect()
}

/// Removal cookies for the session cookie and every SSO cookie the gateway
/// may have set, each with the Domain and Path it was set with (Tautulli
/// cookies keep their instance path, which Organizr forgets).
pub fn logout_cookies(app: &App, tokens: Option<&SsoTokens>, secure: bool) -> Vec<HeaderValue> {
    let domain = app.config.session.domain.as_deref();
    let mut out = Vec::new();
    let mut remove = |name: &str, path: &str| match cookie::removal(name, domain, path, secure) {
        Ok(v) => out.push(v),
        Err(e) => tracing::warn!(cookie = name, error = %e, "removal cookie not built"),
    };
    remove(&app.config.session.cookie, "/");
    if app.config.sso.plex.enabled {
        remove("mpt", "/");
    }
    if app.config.sso.ombi.enabled {
        remove("Auth", "/");
    }
    if let Some(tokens) = tokens {
        for t in &tokens.tautulli {
            remove(&format!("tautulli_token_{}", t.uuid), &t.path);
        }
    }
    out
}
