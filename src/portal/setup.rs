//! First-admin setup through the one-time URL printed at start
//! (`{public_url}{prefix}/setup?token=…`), while the store has no admin.

use crate::app::App;
use crate::reply::Reply;

use super::html;
use super::{form, guard, PortalRequest};

/// Shortest password accepted for the first admin.
pub const MIN_PASSWORD: usize = 8;

/// `GET {prefix}/setup?token=…`.
pub fn form(app: &App, req: &PortalRequest<'_>) -> Reply {
    let token = req.query_param("token").unwrap_or_default();
    match app.setup_allowed(&token) {
        Some(true) => Reply::html(200, html::setup(&app.config.portal.prefix, &token, None)),
        Some(false) => Reply::html(403, html::message("Setup", "This setup link is not valid.")),
        None => Reply::html(
            404,
            html::message("Setup", "Gatehouse is already set up: sign in instead."),
        ),
    }
}

/// `POST {prefix}/setup`: creates the first admin and signs them in.
pub async fn post(app: &App, req: &PortalRequest<'_>) -> Reply {
    if !guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::text(403, "cross-site request refused\n");
    }
    let body = &req.body[..];
    let token = form::get(body, "token").unwrap_or_default();
    match app.setup_allowed(&token) {
        Some(true) => {}
        Some(false) => {
            return Reply::html(403, html::message("Setup", "This setup link is not valid."))
        }
        None => {
            return Reply::html(
                404,
                html::message("Setup", "Gatehouse is already set up: sign in instead."),
            )
        }
    }
    let username = form::get(body, "username").unwrap_or_default();
    let email = form::get(body, "email").unwrap_or_default();
    let password = form::get(body, "password").unwrap_or_default();
    let problem = if username.trim().is_empty() || username.chars().any(char::is_control) {
        Some("Choose a username.")
    } else if password.chars().count() < MIN_PASSWORD {
        Some("The password needs at least 8 characters.")
    } else if password.len() > crate::auth::password::MAX_PASSWORD_BYTES {
        Some("The password is too long.")
    } else {
        None
    };
    if let Some(p) = problem {
        return Reply::html(400, html::setup(&app.config.portal.prefix, &token, Some(p)));
    }
    match app
        .create_first_admin(username.trim(), email.trim(), &password)
        .await
    {
        Ok(()) => {
            let target = app
                .config
                .portal
                .home
                .clone()
                .unwrap_or_else(|| format!("{}/", app.config.portal.prefix));
            let mut reply = Reply::redirect(
                302,
                &format!(
                    "{}/login?rd={}",
                    app.config.portal.prefix,
                    form::encode(&target)
                ),
            );
            reply.status = 303;
            reply
        }
        Err(e) => {
            tracing::error!(error = %e, "first admin not created");
            Reply::html(
                500,
                html::setup(
                    &app.config.portal.prefix,
                    &token,
                    Some("The administrator could not be created."),
                ),
            )
        }
    }
}
