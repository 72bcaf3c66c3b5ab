//! Every `Set-Cookie` the portal sends is built here, through
//! [`crate::cookie::set_cookie`]: the session cookie and the SSO cookies a
//! sign-in sets (Organizr's names and paths, the configured Domain), their
//! removals at sign-out, the Ombi bootstrap cookie, and the cookie that binds
//! a Plex PIN to its browser, and the portal-only cookies of the second
//! sign-in step and of WebAuthn ceremonies.

use std::time::{Duration, SystemTime};

use http::header::HeaderValue;

use crate::app::App;
use crate::cookie::{self, CookieSpec, SameSite};
use crate::sso::{OMBI_COOKIE, PLEX_COOKIE, TAUTULLI_COOKIE_PREFIX};
use crate::tokens::SsoTokens;

/// The cookie binding a Plex PIN to the browser that asked for it.
pub const PIN_COOKIE: &str = "gatehouse_pin";

/// The name of a Tautulli instance's token cookie.
pub fn tautulli_name(uuid: &str) -> String {
    format!("{TAUTULLI_COOKIE_PREFIX}{uuid}")
}

/// One cookie, built or logged and dropped (a bad value never reaches a
/// header).
fn build(spec: &CookieSpec<'_>, now: SystemTime) -> Option<HeaderValue> {
    match cookie::set_cookie(spec, now) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(cookie = spec.name, error = %e, "cookie not set");
            None
        }
    }
}

/// A cookie with the configured Domain. `Plex` and `Ombi` tokens are read
/// by the apps' JavaScript; everything else is HttpOnly.
fn shared<'a>(
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
    let mut specs = vec![shared(
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
        specs.push(shared(app, PLEX_COOKIE, t, "/", false, secure, max_age));
    }
    if let Some(t) = tokens.ombi.as_deref() {
        specs.push(shared(app, OMBI_COOKIE, t, "/", false, secure, max_age));
    }
    let names: Vec<String> = tokens
        .tautulli
        .iter()
        .map(|t| tautulli_name(&t.uuid))
        .collect();
    for (t, name) in tokens.tautulli.iter().zip(&names) {
        specs.push(shared(app, name, &t.token, &t.path, true, secure, max_age));
    }
    specs.iter().filter_map(|s| build(s, now)).collect()
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
        remove(PLEX_COOKIE, "/");
    }
    if app.config.sso.ombi.enabled {
        remove(OMBI_COOKIE, "/");
    }
    if let Some(tokens) = tokens {
        for t in &tokens.tautulli {
            remove(&tautulli_name(&t.uuid), &t.path);
        }
    }
    out
}

/// Ombi's `Auth` cookie for the host serving the bootstrap page (host-only:
/// no Domain), living as long as the session.
pub fn ombi_bootstrap(
    token: &str,
    max_age: Duration,
    secure: bool,
    now: SystemTime,
) -> Option<HeaderValue> {
    build(
        &CookieSpec {
            name: OMBI_COOKIE,
            value: token,
            domain: None,
            path: "/",
            max_age: Some(max_age),
            http_only: false,
            secure,
            same_site: SameSite::Lax,
        },
        now,
    )
}

/// The PIN cookie under `{prefix}/plex` (an empty value with `max_age` 0
/// removes it).
pub fn pin(
    prefix: &str,
    value: &str,
    max_age: Duration,
    secure: bool,
    now: SystemTime,
) -> Option<HeaderValue> {
    let path = format!("{prefix}/plex");
    build(
        &CookieSpec {
            name: PIN_COOKIE,
            value,
            domain: None,
            path: &path,
            max_age: Some(max_age),
            http_only: true,
            secure,
            same_site: SameSite::Lax,
        },
        now,
    )
}

/// The cookie binding a half-signed-in state (password passed, second
/// factor pending) to its browser.
pub const SECOND_FACTOR_COOKIE: &str = "gatehouse_2fa";

/// The cookie binding a WebAuthn ceremony (its challenge) to its browser.
pub const WEBAUTHN_COOKIE: &str = "gatehouse_webauthn";

/// A host-only, HttpOnly, `SameSite=Strict` cookie under the portal prefix
/// (never sent to an app behind the gateway); an empty value with
/// `max_age` 0 removes it.
pub fn portal_only(
    name: &str,
    prefix: &str,
    value: &str,
    max_age: Duration,
    secure: bool,
    now: SystemTime,
) -> Option<HeaderValue> {
    build(
        &CookieSpec {
            name,
            value,
            domain: None,
            path: prefix,
            max_age: Some(max_age),
            http_only: true,
            secure,
            same_site: SameSite::Strict,
        },
        now,
    )
}
