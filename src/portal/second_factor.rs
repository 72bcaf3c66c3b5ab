//! The second sign-in step (docs/access.md "Second factor"): after the
//! password, a user with a second factor (or, under `second_factor =
//! "required"`, any user) gets a half-signed-in state bound to the browser
//! (`auth::pending`, cookie `gatehouse_2fa`) and the code page
//! `{prefix}/2fa`; the step-up page `{prefix}/step-up` does the same for a
//! signed-in session that a route or page needs with a second factor, and
//! ends with a new session token.
//!
//! Codes (TOTP or a recovery code) are checked here; a wrong one counts as
//! a failed sign-in for the user and the client IP (`auth::regulation`),
//! and a banned user or IP is refused even with the right code.

use std::sync::Arc;
use std::time::Duration;

use http::header;

use crate::app::App;
use crate::auth::pending::{Pending, Purpose, PENDING_TTL};
use crate::auth::totp::{self, TotpSecret};
use crate::config::SecondFactorPolicy;
use crate::observability::metrics::{self, SigninResult};
use crate::reply::Reply;
use crate::tokens::SsoTokens;

use super::cookies::{self, SECOND_FACTOR_COOKIE};
use super::factor_pages;
use super::request::PortalRequest;
use super::signin::{self, SignedIn};

/// The code page, under the portal prefix.
pub const CODE_PATH: &str = "/2fa";
/// The step-up page, under the portal prefix.
pub const STEP_UP_PATH: &str = "/step-up";
/// The account's security page (TOTP, recovery codes, passkeys, API tokens).
pub const SECURITY_PATH: &str = "/account/security";

/// What second factors a user has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Factors {
    /// A confirmed TOTP secret.
    pub totp: bool,
    /// Registered passkeys.
    pub passkeys: usize,
    /// Unused recovery codes.
    pub recovery_codes: usize,
}

impl Factors {
    /// Any second factor at all.
    pub fn any(&self) -> bool {
        self.totp || self.passkeys > 0
    }
}

/// The user's second factors (one blocking store call).
pub async fn factors(app: &App, user_id: i64) -> Factors {
    app.store
        .call(move |s| {
            Ok(Factors {
                totp: s.totp(user_id)?.is_some(),
                passkeys: s.passkeys_of(user_id)?.len(),
                recovery_codes: s.count_recovery_codes(user_id)?,
            })
        })
        .await
        .map_err(|e| tracing::error!(error = %e, "second factors not read"))
        .unwrap_or_default()
}

/// The value of a portal-only cookie of the request.
pub fn cookie_value<'r>(req: &'r PortalRequest<'_>, name: &str) -> Option<&'r str> {
    crate::cookie::find_in_headers(
        req.headers
            .get_all(header::COOKIE)
            .iter()
            .map(|v| v.as_bytes()),
        name,
    )
}

fn prefix(app: &App) -> &str {
    &app.config.portal.prefix
}

/// `rd` if it is a safe place to send the browser (`auth::redirect_target`).
pub fn safe_target(app: &App, req: &PortalRequest<'_>, rd: Option<&str>) -> Option<String> {
    crate::auth::redirect_target::safe_rd(
        rd?,
        &app.config.server.public_url,
        app.config.session.domain.as_deref(),
        req.secure(app),
    )
}

/// Where a finished sign-in goes without an `rd`.
pub fn home_or_default(app: &App) -> String {
    app.config
        .portal
        .home
        .clone()
        .unwrap_or_else(|| format!("{}/", prefix(app)))
}

/// After a passed password (or Plex sign-in): `None` when the session may
/// start now; otherwise the half-signed-in state is created and the caller
/// sends the browser to the returned location with the returned cookie.
pub async fn gate(
    app: &App,
    req: &PortalRequest<'_>,
    user: &SignedIn,
    remember: bool,
    rd: Option<&str>,
) -> Option<(String, http::HeaderValue)> {
    let policy = app.config.login.second_factor;
    if policy == SecondFactorPolicy::Off {
        return None;
    }
    let has = factors(app, user.user_id).await;
    let purpose = match (has.any(), policy) {
        (true, _) => Purpose::SignIn,
        (false, SecondFactorPolicy::Required) => Purpose::Enrol,
        (false, _) => return None,
    };
    let sso = signin::fetch_sso(app, user, req.client_ip).await;
    let pending = Pending {
        user_id: user.user_id,
        username: user.username.clone(),
        remember,
        rd: rd.map(str::to_string),
        sso,
        purpose,
        created: crate::clock::unix(req.now),
    };
    let nonce = app.pending.insert(pending, req.now);
    let cookie = pending_cookie(app, req, &nonce, PENDING_TTL)?;
    Some((format!("{}{CODE_PATH}", prefix(app)), cookie))
}

fn pending_cookie(
    app: &App,
    req: &PortalRequest<'_>,
    value: &str,
    max_age: Duration,
) -> Option<http::HeaderValue> {
    cookies::portal_only(
        SECOND_FACTOR_COOKIE,
        prefix(app),
        value,
        max_age,
        req.secure(app),
        req.now,
    )
}

/// The request's half-signed-in state, if live.
pub fn pending_of(app: &App, req: &PortalRequest<'_>) -> Option<(String, Arc<Pending>)> {
    let nonce = cookie_value(req, SECOND_FACTOR_COOKIE)?;
    let found = app.pending.get(nonce, req.now)?;
    Some((nonce.to_string(), found))
}

/// Checks a TOTP or recovery code of `user_id` under regulation: `true`
/// when it is right, unused, and neither the user nor the IP is banned. A
/// wrong code counts as a failed sign-in.
pub async fn verify_code(
    app: &App,
    req: &PortalRequest<'_>,
    user_id: i64,
    username: &str,
    code: &str,
) -> bool {
    let ip = req.client_ip;
    let banned = app.regulation.is_banned(username, ip, req.now);
    let code = code.trim().to_string();
    let unix = crate::clock::unix(req.now);
    let checked = app
        .store
        .call(move |s| {
            if code.is_empty() || code.len() > 64 {
                return Ok(false);
            }
            if totp::is_recovery_code(&code) {
                return s.use_recovery_code(user_id, &totp::recovery_hash(&code));
            }
            let Some(row) = s.totp(user_id)? else {
                return Ok(false);
            };
            let step = TotpSecret::from_base32(&row.secret)
                .and_then(|secret| totp::check(&secret, &code, unix));
            match step.and_then(|st| i64::try_from(st).ok()) {
                Some(st) => s.use_totp_step(user_id, st),
                None => Ok(false),
            }
        })
        .await;
    let ok = match checked {
        Ok(ok) => ok,
        Err(e) => {
            tracing::error!(error = %e, "second factor not checked");
            false
        }
    };
    if banned {
        metrics::signin(app.config.login.backend, SigninResult::Banned);
        return false;
    }
    if ok {
        app.regulation.record_success(username, ip);
    } else {
        record_failure(app, username, req).await;
    }
    ok
}

/// Counts a failed second step for `username` and the client IP.
pub async fn record_failure(app: &App, username: &str, req: &PortalRequest<'_>) {
    let (regulation, store) = (app.regulation.clone(), app.store.clone());
    let (key, ip, now) = (username.to_string(), req.client_ip, req.now);
    let _ = tokio::task::spawn_blocking(move || {
        regulation.record_failure(&store, &key, ip, now);
    })
    .await;
    metrics::signin(app.config.login.backend, SigninResult::SecondFactorFailed);
    tracing::warn!(user = %username, client = %ip, "second factor refused");
}

/// Ends the half-signed-in state: the session starts (a new token that
/// passed the second factor; a step-up's old session is ended), its
/// cookies are added to `reply`, the state and its cookie are removed.
/// `false` (and a 500 reply) when the session could not be stored.
pub async fn complete(
    app: &App,
    req: &PortalRequest<'_>,
    nonce: &str,
    pending: &Pending,
    reply: &mut Reply,
) -> bool {
    app.pending.take(nonce, req.now);
    if let Some(c) = pending_cookie(app, req, "", Duration::ZERO) {
        reply.push(header::SET_COOKIE, c);
    }
    if let Purpose::StepUp(old) = pending.purpose {
        app.sessions.forget(&old);
        let outcome = app.store.call(move |s| s.delete_session(&old)).await;
        app.store_health.record(&outcome);
    }
    start_verified(
        app,
        req,
        pending.user_id,
        &pending.username,
        pending.remember,
        pending.sso.clone(),
        reply,
    )
    .await
}

/// Starts a session that passed a second factor and adds its cookies.
pub async fn start_verified(
    app: &App,
    req: &PortalRequest<'_>,
    user_id: i64,
    username: &str,
    remember: bool,
    sso: SsoTokens,
    reply: &mut Reply,
) -> bool {
    let (sessions, store, tokens) = (app.sessions.clone(), app.store.clone(), sso.clone());
    let now = req.now;
    let created = tokio::task::spawn_blocking(move || {
        sessions.create_with(&store, user_id, remember, tokens, true, now)
    })
    .await
    .map_err(|e| crate::store::StoreError::Corrupt("session task".into(), e.to_string()))
    .and_then(|r| r);
    app.store_health.record(&created);
    match created {
        Ok(token) => {
            metrics::signin(app.config.login.backend, SigninResult::Ok);
            tracing::info!(user = %username, remember, "signed in with a second factor");
            signin::record_signin(app, req, &token, user_id).await;
            let lifetime = app.config.session.lifetime_for(remember);
            for value in cookies::login_cookies(
                app,
                &token,
                &sso,
                req.secure(app),
                remember.then_some(lifetime),
                req.now,
            ) {
                reply.push(header::SET_COOKIE, value);
            }
            true
        }
        Err(e) => {
            tracing::error!(error = %e, user = %username, "cannot create session");
            *reply = Reply::text(500, "internal error\n");
            false
        }
    }
}

/// `GET {prefix}/step-up?rd=…`: a signed-in session that did not pass a
/// second factor gets the code step (then a new session token); without
/// any second factor, the way to set one up.
pub async fn step_up(app: &App, req: &PortalRequest<'_>) -> Reply {
    let rd = safe_target(app, req, req.query_param("rd").as_deref());
    let target = rd.clone().unwrap_or_else(|| home_or_default(app));
    let Some((token, (entry, identity))) = app.sessions.live_token(req.headers, req.now) else {
        let back = format!(
            "{}/login?rd={}",
            prefix(app),
            super::form::encode(&format!(
                "{}{STEP_UP_PATH}?rd={}",
                prefix(app),
                super::form::encode(&target)
            ))
        );
        return Reply::redirect(302, &back);
    };
    if entry.second_factor {
        return Reply::redirect(302, &target);
    }
    let has = factors(app, identity.user_id).await;
    if !has.any() || app.config.login.second_factor == SecondFactorPolicy::Off {
        return Reply::html(
            403,
            factor_pages::message_with_link(
                "A second factor is needed",
                "This page needs a sign-in with a second factor (an authenticator app or a passkey). Set one up first, then come back.",
                &format!("{}{SECURITY_PATH}", prefix(app)),
                "Set up a second factor",
            ),
        );
    }
    let pending = Pending {
        user_id: identity.user_id,
        username: identity.username.clone(),
        remember: entry.remember,
        rd,
        sso: (*entry.sso()).clone(),
        purpose: Purpose::StepUp(crate::auth::session::token_hash(token)),
        created: crate::clock::unix(req.now),
    };
    let nonce = app.pending.insert(pending, req.now);
    let mut reply = Reply::redirect(302, &format!("{}{CODE_PATH}", prefix(app)));
    if let Some(c) = pending_cookie(app, req, &nonce, PENDING_TTL) {
        reply.push(header::SET_COOKIE, c);
    }
    reply
}

/// The check the admin pages call (docs/access.md): `Some(reply)` — a
/// redirect to the step-up page — when the request's user has a second
/// factor enrolled and the session did not pass it; `None` when the page
/// may be shown (no session: the page's own sign-in rule applies).
pub async fn admin_gate(app: &App, req: &PortalRequest<'_>) -> Option<Reply> {
    let (entry, identity) = req.session(app)?;
    if entry.second_factor {
        return None;
    }
    let has = factors(app, identity.user_id).await;
    if !crate::auth::policy::needs_step_up(entry.second_factor, has.any()) {
        return None;
    }
    let here = match req.query {
        Some(q) => format!("{}{}?{q}", prefix(app), req.path),
        None => format!("{}{}", prefix(app), req.path),
    };
    Some(Reply::redirect(
        302,
        &format!(
            "{}{STEP_UP_PATH}?rd={}",
            prefix(app),
            super::form::encode(&here)
        ),
    ))
}

/// Replaces the request's session with a new one that passed a second
/// factor (after an enrolment proved the factor): same user, "remember
/// me" and SSO tokens, a new token in `reply`'s cookies. `false` when
/// there is no session or the store refused.
pub async fn rotate_verified(app: &App, req: &PortalRequest<'_>, reply: &mut Reply) -> bool {
    let Some((token, (entry, identity))) = app.sessions.live_token(req.headers, req.now) else {
        return false;
    };
    let old = crate::auth::session::token_hash(token);
    app.sessions.forget(&old);
    let outcome = app.store.call(move |s| s.delete_session(&old)).await;
    app.store_health.record(&outcome);
    let sso = (*entry.sso()).clone();
    start_verified(
        app,
        req,
        identity.user_id,
        &identity.username,
        entry.remember,
        sso,
        reply,
    )
    .await
}
