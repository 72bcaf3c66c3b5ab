//! The login portal under `[portal] prefix` (DESIGN §5): sign-in form and
//! JSON API, logout, first-admin setup, the app list, health. Plain async
//! functions from a [`PortalRequest`] to a [`Reply`]; the proxy reads the
//! request (and its small body) and writes the reply.

pub mod cert_pages;
pub mod cookies;
pub mod form;
pub mod guard;
pub mod home;
pub mod html;
pub mod login;
pub mod plex;
pub mod setup;
pub mod sso_pages;

use std::net::IpAddr;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::app::App;
use crate::reply::Reply;

/// The "Sign in with Plex" popup-and-poll script (no external resources).
const PLEX_OAUTH_JS: &str = include_str!("static/plex-oauth.js");

/// Largest request body the portal reads (forms and JSON are tiny).
pub const MAX_BODY: usize = 16 * 1024;

/// One request to the portal, as plain values.
#[derive(Debug)]
pub struct PortalRequest<'a> {
    pub method: &'a Method,
    /// Path after the prefix, e.g. `/login` (`""` for the prefix itself).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The body, for POST (at most [`MAX_BODY`] bytes).
    pub body: Bytes,
    /// The client address the gateway believes.
    pub client_ip: IpAddr,
    /// The request arrived over TLS.
    pub tls: bool,
    /// The request's `Host` (with port, as sent).
    pub host: Option<&'a str>,
    pub now: SystemTime,
}

impl PortalRequest<'_> {
    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form::get(self.query.unwrap_or("").as_bytes(), name)
    }

    /// The session token from the request's cookie, if any.
    pub fn session_token(&self, app: &App) -> Option<&str> {
        crate::auth::cookie::find_in_headers(
            self.headers
                .get_all(http::header::COOKIE)
                .iter()
                .map(|v| v.as_bytes()),
            &app.config.session.cookie,
        )
    }

    /// The request's live session and its user.
    pub fn session(
        &self,
        app: &App,
    ) -> Option<(
        std::sync::Arc<crate::auth::session::SessionEntry>,
        std::sync::Arc<crate::auth::session::Identity>,
    )> {
        app.sessions.lookup_headers(self.headers, self.now)
    }

    /// Whether cookies set in the reply must carry `Secure`.
    pub fn secure(&self, app: &App) -> bool {
        crate::auth::cookie::secure_flag(app.config.server.public_url.scheme() == "https", self.tls)
    }
}

/// Whether the portal needs the request body (so the proxy reads it first).
pub fn wants_body(method: &Method) -> bool {
    method == Method::POST
}

/// Answers one portal request.
pub async fn handle(app: &App, req: PortalRequest<'_>) -> Reply {
    let get = req.method == Method::GET || req.method == Method::HEAD;
    let post = req.method == Method::POST;
    match req.path {
        "/health" if get => Reply::text(200, "ok\n"),
        "" | "/" if get => home::portal_root(app, &req),
        "/login" if get => login::form(app, &req),
        "/login" if post => login::form_post(app, &req).await,
        "/api/login" if post => login::api_post(app, &req).await,
        "/api/me" if get => login::api_me(app, &req),
        "/logout" if get || post => login::logout(app, &req),
        "/setup" if get => setup::form(app, &req),
        "/plex/pin" if post => plex::start(app, &req).await,
        "/sso/plex" if get => sso_pages::plex(app, &req),
        "/sso/ombi" if get => sso_pages::ombi(app, &req),
        "/debug/sso" if get => sso_pages::debug_page(app, &req).await,
        "/debug/certs" if get => cert_pages::debug_page(app, &req),
        "/static/plex-oauth.js" if get => {
            let mut r = Reply::text(200, PLEX_OAUTH_JS);
            r.headers[0].1 = http::HeaderValue::from_static("text/javascript; charset=utf-8");
            r
        }
        p if get && p.starts_with("/plex/pin/") => {
            plex::poll(app, &req, &p["/plex/pin/".len()..]).await
        }
        "/setup" if post => setup::post(app, &req).await,
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
