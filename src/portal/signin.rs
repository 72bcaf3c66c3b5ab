//! Sign-in, as plain functions shared by the portal's form, JSON API and
//! Plex PIN flow: regulation → password check (local, or the Plex backend)
//! → rehash on login → SSO token fetch → session start → cookies; and
//! sign-out.
//!
//! Store calls run on blocking threads; nothing here is on the proxy's hot
//! path.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use http::header;

use crate::app::App;
use crate::auth::password::{Verified, MAX_PASSWORD_BYTES};
use crate::config::LoginBackend;
use crate::groups;
use crate::observability::metrics::{self, SigninResult};
use crate::reply::Reply;
use crate::sso::plex_tv::{Admission, PlexAccount, PlexTv};
use crate::store::{Store, StoreError, User};
use crate::tokens::SsoTokens;

use super::request::PortalRequest;

/// Longest user name accepted at sign-in.
pub const MAX_USERNAME: usize = 256;

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

fn signed_in(u: &User, password: Option<&str>, plex_token: Option<String>) -> SignedIn {
    SignedIn {
        user_id: u.id,
        username: u.name.clone(),
        email: u.email.clone(),
        group: u.group,
        password: password.map(str::to_string),
        plex_token,
    }
}

/// "Sign in with Plex" is offered with the Plex backend and `[plex] oauth`.
pub fn plex_oauth_enabled(app: &App) -> bool {
    app.config.login.backend == LoginBackend::Plex && app.config.plex.oauth
}

/// A plex.tv client for this install.
pub fn plex_tv(app: &App) -> Option<PlexTv> {
    PlexTv::new(&app.config.plex, &app.plex_client_id)
        .map_err(|e| tracing::error!(error = %e, "plex.tv client"))
        .ok()
}

/// The store could not be read at sign-in (PostgreSQL down, a broken
/// file): the answer is "unavailable", never "wrong password", and no
/// failure is counted against the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreUnavailable;

/// Checks a user name (or e-mail) and password. `Ok(None)` for every kind
/// of refusal — the caller shows one generic message; `Err` when the store
/// cannot be read.
pub async fn authenticate(
    app: &App,
    username: &str,
    password: &str,
    ip: IpAddr,
    now: SystemTime,
) -> Result<Option<SignedIn>, StoreUnavailable> {
    let username = username.trim();
    if username.is_empty() || username.len() > MAX_USERNAME || password.len() > MAX_PASSWORD_BYTES {
        return Ok(None);
    }
    let banned = banned_anywhere(app, username, ip, now).await;
    if app.config.login.backend == LoginBackend::Plex && !banned {
        if let Some(admitted) = plex_password_login(app, username, password, now).await {
            if admitted.user.locked {
                metrics::signin(app.config.login.backend, SigninResult::Locked);
                return Ok(None);
            }
            app.regulation.record_success(username, ip);
            return Ok(Some(admitted.into_signed_in(Some(password))));
        }
    }
    let name = username.to_string();
    let user = app
        .store
        .call(move |s| match s.user_by_name(&name)? {
            Some(u) => Ok(Some(u)),
            None if name.contains('@') => s.user_by_email(&name),
            None => Ok(None),
        })
        .await;
    let user = match user {
        Ok(user) => user,
        Err(e) => {
            tracing::error!(error = %e, "user look-up failed; sign-in unavailable");
            app.store_health.failed(&e);
            return Err(StoreUnavailable);
        }
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = match app.hasher.verify(password, stored.as_deref()).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "password check refused");
            return Ok(None);
        }
    };
    if banned {
        metrics::signin(app.config.login.backend, SigninResult::Banned);
        return Ok(None);
    }
    match (verified, user) {
        (Verified::Ok { needs_upgrade }, Some(u)) if !u.locked => {
            app.regulation.record_success(username, ip);
            app.regulation.record_success(&u.name, ip);
            if needs_upgrade {
                rehash(app, &u.name, password).await;
            }
            Ok(Some(signed_in(&u, Some(password), None)))
        }
        (Verified::Ok { .. }, Some(_)) => {
            metrics::signin(app.config.login.backend, SigninResult::Locked);
            Ok(None)
        }
        (_, found) => {
            metrics::signin(app.config.login.backend, SigninResult::WrongPassword);
            // Count under the account's name when it exists, so signing
            // in by e-mail and by name share one counter.
            let key = found.map_or_else(|| username.to_string(), |u| u.name);
            let (regulation, store) = (app.regulation.clone(), app.store.clone());
            let _ = tokio::task::spawn_blocking(move || {
                regulation.record_failure(&store, &key, ip, now);
            })
            .await;
            tracing::warn!(user = %username, client = %ip, "sign-in failed");
            Ok(None)
        }
    }
}

/// Whether the user or the address is banned, here or (several instances)
/// by another node a moment ago.
async fn banned_anywhere(app: &App, username: &str, ip: IpAddr, now: SystemTime) -> bool {
    if app.cluster.is_none() {
        return app.regulation.is_banned(username, ip, now);
    }
    let (regulation, name) = (app.regulation.clone(), username.to_string());
    tokio::task::spawn_blocking(move || regulation.is_banned_anywhere(&name, ip, now))
        .await
        .unwrap_or(true)
}

async fn rehash(app: &App, name: &str, password: &str) {
    match app.hasher.hash(password).await {
        Ok(hash) => {
            let owned = name.to_string();
            match app
                .store
                .call(move |s| s.set_password(&owned, Some(&hash)))
                .await
            {
                Ok(()) => tracing::info!(user = %name, "password hash upgraded to argon2id"),
                Err(e) => tracing::error!(error = %e, "rehash not stored"),
            }
        }
        Err(e) => tracing::error!(error = %e, "rehash failed"),
    }
}

/// The Plex backend: plex.tv sign-in, then owner / friend admission, then
/// the local account (created on first login).
async fn plex_password_login(
    app: &App,
    login: &str,
    password: &str,
    now: SystemTime,
) -> Option<PlexUser> {
    let plex = plex_tv(app)?;
    let account = match plex.sign_in(login, password).await {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(error = %e, "plex.tv sign-in did not succeed; trying the local password");
            return None;
        }
    };
    admit_plex_account(app, &plex, account, now).await
}

/// Admission and local account for a plex.tv account (password or PIN).
pub async fn admit_plex_account(
    app: &App,
    plex: &PlexTv,
    account: PlexAccount,
    now: SystemTime,
) -> Option<PlexUser> {
    let admission = match plex.admission(&account, &app.config.plex).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "plex.tv friends list unavailable");
            return None;
        }
    };
    let group = match admission {
        Admission::Owner => groups::ADMIN,
        Admission::Friend => app.config.plex.new_user_group,
        Admission::Refused => {
            tracing::info!(plex_user = %account.username, "plex.tv account is neither the owner nor a friend");
            return None;
        }
    };
    let acc = account.clone();
    let user = app
        .store
        .call(move |s| plex_local_user(s, &acc, group, now))
        .await
        .map_err(|e| tracing::error!(error = %e, "plex user not stored"))
        .ok()?;
    Some(PlexUser {
        user,
        token: account.token,
    })
}

/// Fetches every enabled SSO service's token, concurrently, each bounded.
pub async fn fetch_sso(app: &App, user: &SignedIn, ip: IpAddr) -> SsoTokens {
    let sso = &app.config.sso;
    if !(sso.plex.enabled || sso.ombi.enabled || sso.tautulli.enabled) {
        return SsoTokens::default();
    }
    let login = crate::sso::fetch::LoginUser {
        username: &user.username,
        group: user.group,
        password: user.password.as_deref(),
        plex_token: user.plex_token.as_deref(),
    };
    let tokens = crate::sso::fetch::fetch_all(
        &app.http,
        sso,
        &login,
        ip,
        crate::sso::fetch::DEFAULT_TIMEOUT,
        crate::clock::now(),
    )
    .await;
    for r in &tokens.results {
        metrics::sso_fetch(&r.service, &r.status);
    }
    tokens
}

/// Creates the session; returns the cookie token and the SSO tokens.
pub async fn create_session(
    app: &App,
    user: &SignedIn,
    remember: bool,
    sso: SsoTokens,
    now: SystemTime,
) -> Result<(String, SsoTokens), StoreError> {
    let (sessions, store, tokens) = (app.sessions.clone(), app.store.clone(), sso.clone());
    let user_id = user.user_id;
    let token = tokio::task::spawn_blocking(move || {
        sessions.create(&store, user_id, remember, tokens, now)
    })
    .await
    .map_err(|e| StoreError::Corrupt("session task".into(), e.to_string()))
    .and_then(|r| r);
    app.store_health.record(&token);
    let token = token?;
    metrics::signin(app.config.login.backend, SigninResult::Ok);
    tracing::info!(user = %user.username, remember, "signed in");
    Ok((token, sso))
}

/// Ends the session of `token` (memory at once, then the store, off
/// the worker thread). `Ok` with its SSO tokens (to clear their cookies)
/// once the store has it; `Err` when the store refused: the session is
/// ended in memory and queued for the upkeep to delete, but a restart
/// before that would bring it back, so the caller must say so.
pub async fn end_session(app: &App, token: &str) -> Result<Option<Arc<SsoTokens>>, StoreError> {
    let hash = crate::auth::session::token_hash(token);
    let tokens = app.sessions.forget(&hash);
    let outcome = app.store.call(move |s| s.delete_session(&hash)).await;
    app.store_health.record(&outcome);
    match outcome {
        Ok(_) => Ok(tokens),
        Err(e) => {
            tracing::error!(error = %e, "sign-out not stored; retrying in the background");
            if let Ok(mut q) = app.pending_logouts.lock() {
                q.push(hash);
            }
            Err(e)
        }
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
    let sso = fetch_sso(app, &user, req.client_ip).await;
    match create_session(app, &user, remember, sso, req.now).await {
        Ok((token, tokens)) => {
            record_signin(app, req, &token, user.user_id).await;
            let lifetime = app.config.session.lifetime_for(remember);
            for value in super::cookies::login_cookies(
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

/// Records where a new session signed in from (client address, user
/// agent) and the user's last sign-in, for the admin and account pages. A
/// store failure is logged; the session stands.
pub async fn record_signin(app: &App, req: &PortalRequest<'_>, token: &str, user_id: i64) {
    let hash = crate::auth::session::token_hash(token);
    let ip = req.client_ip.to_string();
    let agent = req
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let now = req.now;
    let recorded = app
        .store
        .call(move |s| s.record_signin(&hash, user_id, &ip, &agent, now))
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "sign-in details not stored");
    }
}

/// A local user admitted through plex.tv, with the user's plex.tv token.
#[derive(Debug)]
pub struct PlexUser {
    pub user: User,
    pub token: String,
}

impl PlexUser {
    /// Into the portal's signed-in value.
    pub fn into_signed_in(self, password: Option<&str>) -> SignedIn {
        signed_in(&self.user, password, Some(self.token))
    }
}

/// The local account of a plex.tv account: linked by plex id, else by equal
/// e-mail; otherwise created (Plex-only: no usable local password) under the
/// Plex user name, or `name-plex<ID>` when that name is taken by someone else.
fn plex_local_user(
    s: &Store,
    a: &PlexAccount,
    group: u16,
    now: SystemTime,
) -> Result<User, StoreError> {
    let plex_id = i64::try_from(a.id).ok();
    if let Some(id) = plex_id {
        if let Some(u) = s.user_by_plex_id(id)? {
            return Ok(u);
        }
    }
    if let Some(u) = s.user_by_email(&a.email)? {
        s.set_plex_id(&u.name, plex_id)?;
        return s
            .user_by_name(&u.name)?
            .ok_or(StoreError::UnknownUser(u.name));
    }
    let name = if s.user_by_name(&a.username)?.is_some() {
        format!("{}-plex{}", a.username, a.id)
    } else {
        a.username.clone()
    };
    s.add_user(&name, &a.email, group, None, plex_id, now)
}
