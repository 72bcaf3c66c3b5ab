//! Sign-in logic shared by the portal's form, JSON API and Plex PIN flow:
//! regulation, password check (local or the Plex backend), rehash on login,
//! SSO token fetch, session start and end, first-admin setup.
//!
//! Store calls run on blocking threads; nothing here is on the proxy's hot
//! path.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;

use crate::app::App;
use crate::groups;
use crate::auth::password::{Verified, MAX_PASSWORD_BYTES};
use crate::config::LoginBackend;
use crate::portal::login::SignedIn;
use crate::sso::plex_tv::{Admission, PlexAccount, PlexTv};
use crate::tokens::SsoTokens;
use crate::store::{Store, StoreError, User};

/// Longest user name accepted at sign-in.
pub const MAX_USERNAME: usize = 256;

/// Runs a store call on a blocking thread.
pub async fn blocking<T, F>(store: &Store, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = store.clone();
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(r) => r,
        Err(e) => Err(StoreError::Corrupt("blocking task".into(), e.to_string())),
    }
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

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl App {
    /// "Sign in with Plex" is offered with the Plex backend and `[plex] oauth`.
    pub fn plex_oauth_enabled(&self) -> bool {
        self.config.login.backend == LoginBackend::Plex && self.config.plex.oauth
    }

    /// A plex.tv client for this install.
    pub fn plex_tv(&self) -> Option<PlexTv> {
        PlexTv::new(&self.config.plex, &self.plex_client_id)
            .map_err(|e| tracing::error!(error = %e, "plex.tv client"))
            .ok()
    }

    /// Checks a user name (or e-mail) and password. `None` for every kind of
    /// failure — the caller shows one generic message.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        ip: IpAddr,
        now: SystemTime,
    ) -> Option<SignedIn> {
        let username = username.trim();
        if username.is_empty()
            || username.len() > MAX_USERNAME
            || password.len() > MAX_PASSWORD_BYTES
        {
            return None;
        }
        let banned = self.regulation.is_banned(username, ip, now);
        if self.config.login.backend == LoginBackend::Plex && !banned {
            if let Some(admitted) = self.plex_password_login(username, password, now).await {
                if admitted.user.locked {
                    return None;
                }
                self.regulation.record_success(username, ip);
                return Some(admitted.into_signed_in(Some(password)));
            }
        }
        let name = username.to_string();
        let user = blocking(&self.store, move |s| match s.user_by_name(&name)? {
            Some(u) => Ok(Some(u)),
            None if name.contains('@') => s.user_by_email(&name),
            None => Ok(None),
        })
        .await
        .map_err(|e| tracing::error!(error = %e, "user look-up failed"))
        .ok()
        .flatten();
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let verified = match self.hasher.verify(password, stored.as_deref()).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "password check refused");
                return None;
            }
        };
        if banned {
            return None;
        }
        match (verified, user) {
            (Verified::Ok { needs_upgrade }, Some(u)) if !u.locked => {
                self.regulation.record_success(username, ip);
                self.regulation.record_success(&u.name, ip);
                if needs_upgrade {
                    self.rehash(&u.name, password).await;
                }
                Some(signed_in(&u, Some(password), None))
            }
            (Verified::Ok { .. }, Some(_)) => None,
            (_, found) => {
                // Count under the account's name when it exists, so signing
                // in by e-mail and by name share one counter.
                let key = found.map_or_else(|| username.to_string(), |u| u.name);
                let (regulation, store) = (self.regulation.clone(), self.store.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    regulation.record_failure(&store, &key, ip, now);
                })
                .await;
                tracing::warn!(user = %username, client = %ip, "sign-in failed");
                None
            }
        }
    }

    async fn rehash(&self, name: &str, password: &str) {
        match self.hasher.hash(password).await {
            Ok(hash) => {
                let owned = name.to_string();
                match blocking(&self.store, move |s| s.set_password(&owned, Some(&hash))).await {
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
        &self,
        login: &str,
        password: &str,
        now: SystemTime,
    ) -> Option<PlexUser> {
        let plex = self.plex_tv()?;
        let account = match plex.sign_in(login, password).await {
            Ok(a) => a,
            Err(e) => {
                tracing::info!(error = %e, "plex.tv sign-in did not succeed; trying the local password");
                return None;
            }
        };
        self.admit_plex_account(&plex, account, now).await
    }

    /// Admission and local account for a plex.tv account (password or PIN).
    pub async fn admit_plex_account(
        &self,
        plex: &PlexTv,
        account: PlexAccount,
        now: SystemTime,
    ) -> Option<PlexUser> {
        let admission = match plex.admission(&account, &self.config.plex).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "plex.tv friends list unavailable");
                return None;
            }
        };
        let group = match admission {
            Admission::Owner => groups::ADMIN,
            Admission::Friend => self.config.plex.new_user_group,
            Admission::Refused => {
                tracing::info!(plex_user = %account.username, "plex.tv account is neither the owner nor a friend");
                return None;
            }
        };
        let acc = account.clone();
        let user = blocking(&self.store, move |s| plex_local_user(s, &acc, group, now))
            .await
            .map_err(|e| tracing::error!(error = %e, "plex user not stored"))
            .ok()?;
        Some(PlexUser {
            user,
            token: account.token,
        })
    }

    /// Fetches every enabled SSO service's token, concurrently, each bounded.
    pub async fn fetch_sso(&self, user: &SignedIn, ip: IpAddr) -> SsoTokens {
        let sso = &self.config.sso;
        if !(sso.plex.enabled || sso.ombi.enabled || sso.tautulli.enabled) {
            return SsoTokens::default();
        }
        let login = crate::sso::fetch::LoginUser {
            username: &user.username,
            group: user.group,
            password: user.password.as_deref(),
            plex_token: user.plex_token.as_deref(),
        };
        crate::sso::fetch::fetch_all(
            &self.http,
            sso,
            &login,
            ip,
            crate::sso::fetch::DEFAULT_TIMEOUT,
            crate::clock::now(),
        )
        .await
    }

    /// Creates the session; returns the cookie token and the SSO tokens.
    pub async fn create_session(
        &self,
        user: &SignedIn,
        remember: bool,
        sso: SsoTokens,
        now: SystemTime,
    ) -> Result<(String, SsoTokens), StoreError> {
        let (sessions, store, tokens) = (self.sessions.clone(), self.store.clone(), sso.clone());
        let user_id = user.user_id;
        let token = tokio::task::spawn_blocking(move || {
            sessions.create(&store, user_id, remember, tokens, now)
        })
        .await
        .map_err(|e| StoreError::Corrupt("session task".into(), e.to_string()))
        .and_then(|r| r);
        self.store_health.record(&token);
        let token = token?;
        tracing::info!(user = %user.username, remember, "signed in");
        Ok((token, sso))
    }

    /// Ends the session of `token` (memory at once, then the store, off
    /// the worker thread). `Ok` with its SSO tokens (to clear their cookies)
    /// once the store has it; `Err` when the store refused: the session is
    /// ended in memory and queued for the upkeep to delete, but a restart
    /// before that would bring it back, so the caller must say so.
    pub async fn end_session(&self, token: &str) -> Result<Option<Arc<SsoTokens>>, StoreError> {
        let hash = crate::auth::session::token_hash(token);
        let tokens = self.sessions.forget(&hash);
        let outcome = blocking(&self.store, move |s| s.delete_session(&hash)).await;
        self.store_health.record(&outcome);
        match outcome {
            Ok(_) => Ok(tokens),
            Err(e) => {
                tracing::error!(error = %e, "sign-out not stored; retrying in the background");
                if let Ok(mut q) = self.pending_logouts.lock() {
                    q.push(hash);
                }
                Err(e)
            }
        }
    }

    /// Retries the deletions the store refused earlier; `true` when none is
    /// left.
    pub fn retry_pending_logouts(&self) -> bool {
        let batch: Vec<[u8; 32]> = match self.pending_logouts.lock() {
            Ok(q) if q.is_empty() => return true,
            Ok(q) => q.clone(),
            Err(_) => return false,
        };
        let outcome = self.store.delete_sessions(&batch);
        self.store_health.record(&outcome);
        match outcome {
            Ok(_) => {
                if let Ok(mut q) = self.pending_logouts.lock() {
                    q.retain(|h| !batch.contains(h));
                    tracing::info!(sessions = batch.len(), "queued sign-outs stored");
                    return q.is_empty();
                }
                false
            }
            Err(_) => false,
        }
    }

    /// At start: while no admin exists, a new one-time setup token.
    pub fn ensure_setup_token(&self) -> Option<String> {
        match self.store.count_admins() {
            Ok(0) => {
                let token = random_token();
                if let Ok(mut slot) = self.setup_token.lock() {
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
    /// the one-time setup token.
    pub fn setup_allowed(&self, token: &str) -> Option<bool> {
        if !matches!(self.store.count_admins(), Ok(0)) {
            return None;
        }
        let slot = self.setup_token.lock().ok()?;
        let expected = slot.as_deref()?;
        Some(!token.is_empty() && bool::from(expected.as_bytes().ct_eq(token.as_bytes())))
    }

    /// Creates the first admin and retires the setup token.
    pub async fn create_first_admin(
        &self,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<(), String> {
        let hash = self
            .hasher
            .hash(password)
            .await
            .map_err(|e| e.to_string())?;
        let (name, email) = (name.to_string(), email.to_string());
        let now = crate::clock::now();
        blocking(&self.store, move |s| {
            s.add_user(&name, &email, groups::ADMIN, Some(&hash), None, now)
        })
        .await
        .map_err(|e| e.to_string())?;
        if let Ok(mut slot) = self.setup_token.lock() {
            *slot = None;
        }
        if let Err(e) = self.sessions.refresh_users(&self.store) {
            tracing::error!(error = %e, "user cache not refreshed");
        }
        Ok(())
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

/// A random, URL-safe nonce (256 bits).
pub fn new_nonce() -> String {
    random_token()
}
