//! First-admin setup through the one-time URL printed at start
//! (`{public_url}{prefix}/setup?token=…`), while the store has no admin:
//! the one-time token ([`SetupToken`]) and its two pages.

use std::sync::Mutex;

use subtle::ConstantTimeEq as _;

use crate::app::App;
use crate::groups;
use crate::reply::Reply;
use crate::store::Store;

use super::form;
use super::guard;
use super::html;
use super::request::PortalRequest;

/// The one-time first-admin token, while no admin exists.
#[derive(Debug, Default)]
pub struct SetupToken {
    slot: Mutex<Option<String>>,
}

impl SetupToken {
    /// At start: while no admin exists, a new one-time token (printed by
    /// the caller), else `None`.
    pub fn ensure(&self, store: &Store) -> Option<String> {
        match store.count_admins() {
            Ok(0) => {
                let token = crate::tokens::random_token();
                if let Ok(mut slot) = self.slot.lock() {
                    *slot = Some(token.clone());
                }
                Some(token)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::error!(error = %e, "cannot count admins");
                None
            }
        }
    }

    /// `None` when setup is over (an admin exists), else whether `token` is
    /// the one-time token. The store is read off the worker thread.
    pub async fn allowed(&self, store: &Store, token: &str) -> Option<bool> {
        if !matches!(store.call(|s| s.count_admins()).await, Ok(0)) {
            return None;
        }
        let slot = self.slot.lock().ok()?;
        let expected = slot.as_deref()?;
        Some(!token.is_empty() && bool::from(expected.as_bytes().ct_eq(token.as_bytes())))
    }

    fn retire(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = None;
        }
    }
}

/// Creates the first admin and retires the setup token.
async fn create_first_admin(
    app: &App,
    setup: &SetupToken,
    name: &str,
    email: &str,
    password: &str,
) -> Result<(), String> {
    let hash = app.hasher.hash(password).await.map_err(|e| e.to_string())?;
    let (name, email) = (name.to_string(), email.to_string());
    let now = crate::clock::now();
    app.store
        .call(move |s| s.add_user(&name, &email, groups::ADMIN, Some(&hash), None, now))
        .await
        .map_err(|e| e.to_string())?;
    setup.retire();
    let sessions = app.sessions.clone();
    let refreshed = app.store.call(move |s| sessions.refresh_users(s)).await;
    if let Err(e) = refreshed {
        tracing::error!(error = %e, "user cache not refreshed");
    }
    Ok(())
}

/// Shortest password accepted for the first admin.
pub const MIN_PASSWORD: usize = 8;

/// `GET {prefix}/setup?token=…`.
pub async fn form(app: &App, setup: &SetupToken, req: &PortalRequest<'_>) -> Reply {
    let token = req.query_param("token").unwrap_or_default();
    match setup.allowed(&app.store, &token).await {
        Some(true) => Reply::html(200, html::setup(&app.config.portal.prefix, &token, None)),
        Some(false) => Reply::html(403, html::message("Setup", "This setup link is not valid.")),
        None => Reply::html(
            404,
            html::message("Setup", "Gatehouse is already set up: sign in instead."),
        ),
    }
}

/// `POST {prefix}/setup`: creates the first admin and signs them in.
pub async fn post(app: &App, setup: &SetupToken, req: &PortalRequest<'_>) -> Reply {
    if !guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::text(403, "cross-site request refused\n");
    }
    let body = &req.body[..];
    let token = form::get(body, "token").unwrap_or_default();
    match setup.allowed(&app.store, &token).await {
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
    match create_first_admin(app, setup, username.trim(), email.trim(), &password).await {
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
