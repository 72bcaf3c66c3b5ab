//! The login portal under `[portal] prefix` (README "The portal"): sign-in
//! form and JSON API, logout, first-admin setup, the app list, health, the
//! SSO bootstrap and debug pages, and the Organizr-compatible auth API.
//! Plain async functions from a [`PortalRequest`] to a [`Reply`]; the proxy
//! reads the request (and its small body) and writes the reply.
//!
//! Files: `request.rs` (the request), `state.rs` (the portal's state),
//! `signin.rs` (the sign-in flow as plain functions), `cookies.rs` (every
//! Set-Cookie), `login.rs`, `plex.rs`, `setup.rs`, `home.rs`, `sso_pages.rs`
//! (the pages), `organizr_api/` (the auth API), `html.rs`, `form.rs`,
//! `guard.rs` (rendering, forms, the same-origin check).

pub mod account_pages;
pub mod admin;
pub mod admin_plex;
pub mod cert_pages;
pub mod code_pages;
pub mod cookies;
pub mod factor_pages;
pub mod factor_state;
pub mod form;
pub mod guard;
pub mod home;
pub mod html;
pub mod login;
pub mod organizr_api;
pub mod passkeys;
pub mod plex;
mod plex_shared;
pub mod request;
pub mod second_factor;
pub mod security_pages;
pub mod setup;
pub mod signin;
pub mod sso_pages;
mod state;
pub mod totp_enrol;

use http::Method;

use crate::app::App;
use crate::reply::Reply;

pub use request::{PortalRequest, MAX_BODY};
pub use state::Portal;

/// The "Sign in with Plex" popup-and-poll script (no external resources).
const PLEX_OAUTH_JS: &str = include_str!("static/plex-oauth.js");

/// The passkey script (WebAuthn; no external resources).
const PASSKEYS_JS: &str = include_str!("static/passkeys.js");

/// Admin pages (`/admin…`, `/debug/…`) need a session that passed the
/// second factor when the user has one (`second_factor::admin_gate`).
fn is_admin_page(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/") || path.starts_with("/debug/")
}

/// `GET {prefix}/health`: 200 `ok`, or 503 with one line while store writes
/// fail (sign-ins and sign-outs cannot be saved; proxying goes on).
fn health(app: &App) -> Reply {
    match app.store_health.failure() {
        None => Reply::text(200, "ok\n"),
        Some(reason) => Reply::text_owned(503, format!("store failing: {reason}\n")),
    }
}

/// Whether the portal needs the request body (so the proxy reads it first).
pub fn wants_body(method: &Method) -> bool {
    method == Method::POST
}

/// Answers one portal request.
pub async fn handle(portal: &Portal, req: PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let get = req.method == Method::GET || req.method == Method::HEAD;
    let post = req.method == Method::POST;
    if is_admin_page(req.path) {
        if let Some(reply) = second_factor::admin_gate(app, &req).await {
            return reply;
        }
    }
    if let Some(reply) = admin_plex::handle(app, &req).await {
        return reply;
    }
    if let Some(reply) = admin::handle(portal, &req).await {
        return reply;
    }
    if let Some(reply) = account_pages::handle(app, &req).await {
        return reply;
    }
    if let Some(reply) = security_pages::handle(portal, &req).await {
        return reply;
    }
    if let Some(reply) = passkeys::handle(portal, &req).await {
        return reply;
    }
    match req.path {
        "/health" if get => health(app),
        "" | "/" if get => home::portal_root(app, &req),
        "/login" if get => login::form(app, &req),
        "/login" if post => login::form_post(app, &req).await,
        "/api/login" if post => login::api_post(app, &req).await,
        "/api/me" if get => login::api_me(app, &req),
        "/logout" if get => login::logout_page(app, &req),
        "/logout" if post => login::logout(app, &req).await,
        "/setup" if get => setup::form(app, &portal.setup, &req).await,
        "/plex/pin" if post => plex::start(app, &portal.pins, &req).await,
        "/sso/plex" if get => sso_pages::plex(app, &req),
        "/sso/ombi" if get => sso_pages::ombi(app, &req),
        "/2fa" if get => code_pages::code_page(portal, &req).await,
        "/2fa" if post => code_pages::code_post(portal, &req).await,
        "/step-up" if get => second_factor::step_up(app, &req).await,
        "/static/passkeys.js" if get => {
            let mut r = Reply::text(200, PASSKEYS_JS);
            r.headers[0].1 = http::HeaderValue::from_static("text/javascript; charset=utf-8");
            r
        }
        "/static/plex-oauth.js" if get => {
            let mut r = Reply::text(200, PLEX_OAUTH_JS);
            r.headers[0].1 = http::HeaderValue::from_static("text/javascript; charset=utf-8");
            r
        }
        p if get && p.starts_with("/plex/pin/") => {
            plex::poll(app, &portal.pins, &req, &p["/plex/pin/".len()..]).await
        }
        "/setup" if post => setup::post(app, &portal.setup, &req).await,
        "/health" | "" | "/" | "/login" | "/api/login" | "/api/me" | "/logout" | "/setup" => {
            let mut r = Reply::text(405, "method not allowed\n");
            r.push(
                http::header::ALLOW,
                http::HeaderValue::from_static("GET, HEAD, POST"),
            );
            r
        }
        _ => Reply::html(404, html::message("Not found", "There is no such page.")),
    }
}
