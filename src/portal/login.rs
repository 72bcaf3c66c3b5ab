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

use super::form;
use super::guard;
use super::html::{self, LoginPage};
use super::request::PortalRequest;
use super::second_factor;
use super::signin::{self, start_session};

/// The one message a failed sign-in shows.
pub const GENERIC_ERROR: &str = "Wrong username or password.";

/// The answer while the store cannot be read (503): not the wrong-password
/// one, and signed-in sessions go on working meanwhile.
pub const STORE_DOWN_ERROR: &str =
    "Signing in is unavailable: the user store is unreachable. Try again in a moment.";

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

/// Passwordless sign-in with a passkey is offered (second factors on, and
/// a relying party could be derived from `public_url`).
fn passkeys_offered(app: &App) -> bool {
    app.config.login.second_factor != crate::config::SecondFactorPolicy::Off
        && crate::portal::factor_state::rp_id(&app.config).is_some()
}

/// `GET {prefix}/login?rd=…`.
pub fn form(app: &App, req: &PortalRequest<'_>) -> Reply {
    let rd = safe_target(app, req, req.query_param("rd").as_deref());
    let page = LoginPage {
        prefix: &app.config.portal.prefix,
        rd: rd.as_deref(),
        username: "",
        error: None,
        plex_oauth: signin::plex_oauth_enabled(app),
        passkeys: passkeys_offered(app),
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
    let outcome = signin::authenticate(app, &username, &password, req.client_ip, req.now).await;
    let (status, error) = match outcome {
        Ok(Some(user)) => {
            if let Some((to, cookie)) =
                second_factor::gate(app, req, &user, remember, rd.as_deref()).await
            {
                let mut reply = Reply::redirect(302, &to);
                reply.push(header::SET_COOKIE, cookie);
                return reply;
            }
            let mut reply = Reply::redirect(302, &rd.unwrap_or_else(|| home_or_default(app)));
            start_session(app, req, user, remember, &mut reply).await;
            return reply;
        }
        Ok(None) => (401, GENERIC_ERROR),
        Err(signin::StoreUnavailable) => (503, STORE_DOWN_ERROR),
    };
    let page = LoginPage {
        prefix: &app.config.portal.prefix,
        rd: rd.as_deref(),
        username: &username,
        error: Some(error),
        plex_oauth: signin::plex_oauth_enabled(app),
        passkeys: passkeys_offered(app),
    };
    Reply::html(status, html::login(&page))
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
    match signin::authenticate(app, username, password, req.client_ip, req.now).await {
        Ok(Some(user)) => {
            if let Some((to, cookie)) = second_factor::gate(app, req, &user, remember, None).await {
                let mut reply = Reply::json(202, &json!({"second_factor": to}));
                reply.push(header::SET_COOKIE, cookie);
                return reply;
            }
            let body = me_json(app, &user.username, &user.email, user.group);
            let mut reply = Reply::json(200, &body);
            start_session(app, req, user, remember, &mut reply).await;
            reply
        }
        Ok(None) => Reply::json(401, &json!({"error": GENERIC_ERROR})),
        Err(signin::StoreUnavailable) => Reply::json(503, &json!({"error": STORE_DOWN_ERROR})),
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

/// `GET {prefix}/logout`: the confirmation page (or the sign-in page when
/// there is no session). Nothing is ended by a GET.
pub fn logout_page(app: &App, req: &PortalRequest<'_>) -> Reply {
    let prefix = &app.config.portal.prefix;
    match req.session(app) {
        Some((_, identity)) => Reply::html(200, html::logout_confirm(prefix, &identity.username)),
        None => Reply::redirect(302, &format!("{prefix}/login")),
    }
}

/// `POST {prefix}/logout` (same-origin only): ends the session, clears
/// every cookie the gateway set (same Domain and Path), back to the sign-in
/// page.
///
/// When the store cannot record the sign-out (a full disk), the session is
/// still ended in memory and its cookies cleared, but the answer is a 503
/// page that says so: a restart before the background retry succeeds would
/// bring the session back.
pub async fn logout(app: &App, req: &PortalRequest<'_>) -> Reply {
    if !guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::text(403, "cross-site request refused\n");
    }
    let mut reply = Reply::redirect(302, &format!("{}/login", app.config.portal.prefix));
    let tokens = match req.session_token(app) {
        Some(token) => match signin::end_session(app, token).await {
            Ok(tokens) => tokens,
            Err(_) => {
                reply = Reply::html(
                    503,
                    html::message(
                        "Signed out, not saved",
                        "You are signed out in this browser, but the server could not save the \
                         sign-out (its storage is failing). It keeps retrying; until it succeeds, \
                         a restart of the gateway would restore the session. Tell the administrator.",
                    ),
                );
                None
            }
        },
        None => None,
    };
    let secure = req.secure(app);
    for value in crate::portal::cookies::logout_cookies(app, tokens.as_deref(), secure) {
        reply.push(header::SET_COOKIE, value);
    }
    reply
}
