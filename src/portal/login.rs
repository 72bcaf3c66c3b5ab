//! Sign-in (form and JSON), the current user, and sign-out.
//!
//! Every failure — unknown user, wrong password, locked user, banned user or
//! IP, over-long password — answers the same way with one generic message,
//! after the same password work, so nothing can be learnt from the reply.

use http::header;
use serde_json::json;

use crate::app::App;
use crate::auth::redirect_target;
use crate::reply::Reply;

use super::html::{self, LoginPage};
use super::{form, guard, PortalRequest};

/// The one message a failed sign-in shows.
pub const GENERIC_ERROR: &str = "Wrong username or password.";

/// A signed-in user, as the portal needs it after a successful check.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub group: u16,
    /// The password that was checked (for password-replay SSO), if any.
    pub password: Option<String>,
    /// A plex.tv token obtained during sign-in, if any.
    pub plex_token: Option<String>,
}

fn home_or_default(app: &App) -> String {
    app.config
        .portal
        .home
        .clone()
        .unwrap_or_else(|| format!("{}/", app.config.portal.prefix))
}

fn safe_target(app: &App, req: &PortalRequest<'_>, rd: Option<&str>) -> Option<String> {
    let rd = rd?;
    redirect_target::safe_rd(
        rd,
        &app.config.server.public_url,
        app.config.session.domain.as_deref(),
        req.secure(app),
    )
}

/// `GET {prefix}/login?rd=…`.
pub fn form(app: &App, req: &PortalRequest<'_>) -> Reply {
    let rd = safe_target(app, req, req.query_param("rd").as_deref());
    let page = LoginPage {
        prefix: &app.config.portal.prefix,
        rd: rd.as_deref(),
        username: "",
        error: None,
        plex_oauth: app.plex_oauth_enabled(),
    };
    Reply::html(200, html::login(&page))
}

/// `POST {prefix}/login` (form).
pub async fn form_post(app: &App, req: &PortalRequest<'_>) -> Reply {
    if !guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::text(403, "cross-site request refused\n");
    }
    let body = &req.body[..];
    let username = form::get(body, "username").unwrap_or_default();
    let password = form::get(body, "password").unwrap_or_default();
    let remember = form::flag(body, "remember");
    let rd = safe_target(app, req, form::get(body, "rd").as_deref());
    match app
        .authenticate(&username, &password, req.client_ip, req.now)
        .await
    {
        Some(user) => {
            let mut reply = Reply::redirect(302, &rd.unwrap_or_else(|| home_or_default(app)));
            start_session(app, req, user, remember, &mut reply).await;
            reply
        }
        None => {
            let page = LoginPage {
                prefix: &app.config.portal.prefix,
                rd: rd.as_deref(),
                username: &username,
                error: Some(GENERIC_ERROR),
                plex_oauth: app.plex_oauth_enabled(),
            };
            Reply::html(401, html::login(&page))
        }
    }
}

/// `POST {prefix}/api/login` (JSON `{username, password, remember}`).
pub async fn api_post(app: &App, req: &PortalRequest<'_>) -> Reply {
    let json_type = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json_type || !guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::json(403, &json!({"error": "cross-site request refused"}));
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
        return Reply::json(400, &json!({"error": "body must be a JSON object"}));
    };
    let username = v.get("username").and_then(|x| x.as_str()).unwrap_or("");
    let password = v.get("password").and_then(|x| x.as_str()).unwrap_or("");
    let remember = v.get("remember").and_then(|x| x.as_bool()).unwrap_or(false);
    match app
        .authenticate(username, password, req.client_ip, req.now)
        .await
    {
        Some(user) => {
            let body = me_json(app, &user.username, &user.email, user.group);
            let mut reply = Reply::json(200, &body);
            start_session(app, req, user, remember, &mut reply).await;
            reply
        }
        None => Reply::json(401, &json!({"error": GENERIC_ERROR})),
    }
}

fn me_json(app: &App, user: &str, email: &str, group: u16) -> serde_json::Value {
    let group_name = app.config.groups.name(group);
    json!({"user": user, "email": email, "group": group, "group_name": group_name})
}

/// `GET {prefix}/api/me`.
pub fn api_me(app: &App, req: &PortalRequest<'_>) -> Reply {
    match req.session(app) {
        Some((_, i)) => Reply::json(200, &me_json(app, &i.username, &i.email, i.group)),
        None => Reply::json(401, &json!({"error": "not signed in"})),
    }
}

/// Creates the session (SSO tokens fetched first, concurrently and bounded)
/// and adds its cookies to `reply`. A store failure leaves the user signed
/// out with a 500 rather than half signed in.
pub async fn start_session(
    app: &App,
    req: &PortalRequest<'_>,
    user: SignedIn,
    remember: bool,
    reply: &mut Reply,
) {
    let secure = req.secure(app);
    let sso = app.fetch_sso(&user, req.client_ip).await;
    match app.create_session(&user, remember, sso, req.now).await {
        Ok((token, tokens)) => {
            let lifetime = if remember {
                app.config.session.remember_me
            } else {
                app.config.session.lifetime
            };
            for value in crate::portal::cookies::login_cookies(
                app,
                &token,
                &tokens,
                secure,
                remember.then_some(lifetime),
                req.now,
            ) {
                reply.push(header::SET_COOKIE, value);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, user = %user.username, "cannot create session");
            *reply = Reply::text(500, "internal error\n");
        }
    }
}

/// `GET`/`POST {prefix}/logout`: ends the session, clears every cookie the
/// gateway set (same Domain and Path), back to the sign-in page.
pub fn logout(app: &App, req: &PortalRequest<'_>) -> Reply {
    if req.method == http::Method::POST
        && !guard::same_origin(req.headers, req.host, &app.config.server.public_url)
    {
        return Reply::text(403, "cross-site request refused\n");
    }
    let mut reply = Reply::redirect(302, &format!("{}/login", app.config.portal.prefix));
    let tokens = req.session_token(app).and_then(|t| app.end_session(t));
    let secure = req.secure(app);
    for value in crate::portal::cookies::logout_cookies(app, tokens.as_deref(), secure) {
        reply.push(header::SET_COOKIE, value);
    }
    reply
}
