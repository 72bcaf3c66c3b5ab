//! The in-memory session table: the hot path's only source of truth.
//!
//! A request's cookie token is hashed (SHA-256; only hashes are stored, in
//! memory and on disk) and looked up in a concurrent map; the user behind
//! the session comes from a second map of prebuilt identities (header
//! values ready to inject). No I/O, no global lock, no allocation on a
//! look-up. The store is written at login, logout and expiry — and
//! `last_seen` in batches by a background task — never per request.
//!
//! Users changed by the CLI (group, lock, delete) are picked up by
//! [`SessionTable::refresh_users`], which the gateway calls when the
//! store's `data_version` moves.

mod entry;
mod events;
mod identity;
mod shared;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use dashmap::DashMap;
use sha2::{Digest, Sha256};

use crate::clock::unix;
use crate::config::SessionSettings;
use crate::store::{SessionRow, Store, StoreError};
use crate::tokens::SsoTokens;

use entry::entry_from_row;
pub use entry::SessionEntry;
pub use events::SessionEvents;
pub use identity::{header_value, Identity};

/// A live session and its user, as a look-up finds them.
pub type Found = (Arc<SessionEntry>, Arc<Identity>);

/// Length of a cookie token: 32 random bytes in unpadded base64url.
pub const TOKEN_LEN: usize = 43;

/// The hash a token is stored and looked up under.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Live sessions and the users they belong to.
#[derive(Debug)]
pub struct SessionTable {
    sessions: DashMap<[u8; 32], Arc<SessionEntry>>,
    users: DashMap<i64, Arc<Identity>>,
    settings: SessionSettings,
    /// Counts sessions this process created (see [`Self::reconcile`]).
    generation: AtomicU64,
    /// Set with several instances (docs/cluster.md): told of every session
    /// and user this process ends or changes, after the store has it.
    events: OnceLock<Arc<dyn SessionEvents>>,
}

impl SessionTable {
    /// Loads every live session and every user from the store.
    pub fn load(
        store: &Store,
        settings: &SessionSettings,
        now: SystemTime,
    ) -> Result<SessionTable, StoreError> {
        // Presized: no rehash (and no doubled table left behind) while loading.
        let live = store.count_live_sessions(now)?;
        let table = SessionTable {
            sessions: DashMap::with_capacity(live + live / 8),
            users: DashMap::new(),
            settings: settings.clone(),
            generation: AtomicU64::new(0),
            events: OnceLock::new(),
        };
        table.refresh_users(store)?;
        store.for_each_live_session(now, |row| {
            table
                .sessions
                .insert(row.token_hash, Arc::new(entry_from_row(row, 0)));
        })?;
        Ok(table)
    }

    /// [`Self::lookup`] for the session cookie among a request's `Cookie`
    /// headers (HTTP/2 clients may send several): the first value that is a
    /// live session wins, so a garbage or stale cookie planted before the
    /// real one (a longer Path, a sibling subdomain) cannot lock a user out.
    pub fn lookup_headers(&self, headers: &http::HeaderMap, now: SystemTime) -> Option<Found> {
        self.live_token(headers, now).map(|(_, found)| found)
    }

    /// The first session cookie value of `headers` that is a live session,
    /// with its session and user.
    pub fn live_token<'h>(
        &self,
        headers: &'h http::HeaderMap,
        now: SystemTime,
    ) -> Option<(&'h str, Found)> {
        let name = self.settings.cookie.as_str();
        let cookies = || {
            headers
                .get_all(http::header::COOKIE)
                .iter()
                .map(|v| v.as_bytes())
        };
        // The common case: one session cookie, found by the fast scan.
        let first = crate::cookie::find_in_headers(cookies(), name)?;
        if let Some(found) = self.lookup(first, now) {
            return Some((first, found));
        }
        // A planted cookie came first (browsers send the longest Path
        // first): every other value of the name, in order. `first` is not
        // hashed and looked up a second time (a stale or forged cookie, the
        // 401 path, would pay for two SHA-256 otherwise).
        let tried = |t: &str| std::ptr::eq(t.as_ptr(), first.as_ptr()) && t.len() == first.len();
        cookies()
            .flat_map(crate::cookie::pairs)
            .filter(|(n, _)| *n == name.as_bytes())
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .filter(|t| !tried(t))
            .find_map(|t| self.lookup(t, now).map(|found| (t, found)))
    }

    /// The session and user for a cookie token, if the session is live:
    /// not expired, not idle past `idle_timeout`, user present and not locked.
    pub fn lookup(&self, token: &str, now: SystemTime) -> Option<Found> {
        if token.len() != TOKEN_LEN {
            return None;
        }
        let entry = self.sessions.get(&token_hash(token))?.value().clone();
        let now = unix(now);
        if now >= entry.expires {
            return None;
        }
        if let Some(idle) = self.settings.idle_timeout {
            if now
                >= entry
                    .last_seen
                    .load(Ordering::Relaxed)
                    .saturating_add(idle.as_secs())
            {
                return None;
            }
        }
        let identity = self.users.get(&entry.user_id)?.value().clone();
        if identity.locked {
            return None;
        }
        // Seconds resolution: at most one store per second per session.
        if entry.last_seen.load(Ordering::Relaxed) < now {
            entry.last_seen.fetch_max(now, Ordering::Relaxed);
        }
        Some((entry, identity))
    }

    /// Creates a session for `user_id` and returns its cookie token (256
    /// random bits, base64url). Only the hash is kept.
    pub fn create(
        &self,
        store: &Store,
        user_id: i64,
        remember: bool,
        sso: SsoTokens,
        now: SystemTime,
    ) -> Result<String, StoreError> {
        self.create_with(store, user_id, remember, sso, false, now)
    }

    /// [`Self::create`], recording whether the sign-in passed a second
    /// factor.
    pub fn create_with(
        &self,
        store: &Store,
        user_id: i64,
        remember: bool,
        sso: SsoTokens,
        second_factor: bool,
        now: SystemTime,
    ) -> Result<String, StoreError> {
        let token = crate::tokens::random_token();
        let hash = token_hash(&token);
        let lifetime = self.settings.lifetime_for(remember);
        let created = unix(now);
        let row = SessionRow {
            token_hash: hash,
            user_id,
            created: to_i64(created),
            expires: to_i64(created.saturating_add(lifetime.as_secs())),
            last_seen: to_i64(created),
            remember,
            sso,
            second_factor,
        };
        // The user may be new or changed by this process (own writes do not
        // move `data_version`): take its current row.
        self.load_user(store, user_id)?;
        store.insert_session(&row)?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.sessions
            .insert(hash, Arc::new(entry_from_row(row, generation)));
        Ok(token)
    }

    /// Ends a session (memory and store); returns its SSO tokens so the
    /// caller can clear their cookies.
    pub fn destroy(
        &self,
        store: &Store,
        token: &str,
    ) -> Result<Option<Arc<SsoTokens>>, StoreError> {
        let hash = token_hash(token);
        let removed = self.sessions.remove(&hash).map(|(_, e)| e.sso());
        store.delete_session(&hash)?;
        self.tell(|e| e.sessions_ended(&[hash]));
        Ok(removed)
    }

    /// Ends a session in memory only (the caller deletes it from the
    /// store); its SSO tokens. Other instances are told at once (they also
    /// refuse to look it up again for a while, so the store deletion that
    /// follows cannot race them).
    pub fn forget(&self, hash: &[u8; 32]) -> Option<Arc<SsoTokens>> {
        let removed = self.sessions.remove(hash).map(|(_, e)| e.sso());
        self.tell(|e| e.sessions_ended(&[*hash]));
        removed
    }

    /// Ends every session of a user in memory only (the caller deletes them
    /// from the store); the hashes of the sessions ended.
    pub fn forget_user(&self, user_id: i64) -> Vec<[u8; 32]> {
        let mut gone = Vec::new();
        self.sessions.retain(|hash, e| {
            let keep = e.user_id != user_id;
            if !keep {
                gone.push(*hash);
            }
            keep
        });
        gone
    }

    /// Every live session (not expired, not idle), with its token hash:
    /// for the admin and account pages, not the hot path.
    pub fn live_entries(&self, now: SystemTime) -> Vec<([u8; 32], Arc<SessionEntry>)> {
        let t = unix(now);
        let idle = self.settings.idle_timeout.map(|d| d.as_secs());
        self.sessions
            .iter()
            .filter(|item| {
                let e = item.value();
                t < e.expires
                    && idle
                        .is_none_or(|i| t < e.last_seen.load(Ordering::Relaxed).saturating_add(i))
            })
            .map(|item| (*item.key(), item.value().clone()))
            .collect()
    }

    /// The live sessions of one user, with their token hashes.
    pub fn live_of_user(
        &self,
        user_id: i64,
        now: SystemTime,
    ) -> Vec<([u8; 32], Arc<SessionEntry>)> {
        let mut all = self.live_entries(now);
        all.retain(|(_, e)| e.user_id == user_id);
        all
    }

    /// Ends every session of a user.
    pub fn destroy_user_sessions(&self, store: &Store, user_id: i64) -> Result<(), StoreError> {
        self.sessions.retain(|_, e| e.user_id != user_id);
        store.delete_user_sessions(user_id)?;
        self.tell(|e| e.user_changed(user_id));
        Ok(())
    }

    /// Re-reads every user (group changes, locks, deletions by the CLI take
    /// effect) and drops sessions of users that are gone. A user created
    /// after the read started (id above the store's high-water mark) is
    /// kept, so a concurrent sign-in is never dropped.
    pub fn refresh_users(&self, store: &Store) -> Result<(), StoreError> {
        let high_water = store.user_id_high_water()?;
        let users = store.list_users()?;
        let ids: std::collections::HashSet<i64> = users.iter().map(|u| u.id).collect();
        for u in &users {
            self.users.insert(u.id, Arc::new(Identity::from_user(u)));
        }
        let alive = |id: i64| id > high_water || ids.contains(&id);
        self.users.retain(|id, _| alive(*id));
        self.sessions.retain(|_, e| alive(e.user_id));
        Ok(())
    }

    /// Drops the sessions another process (the CLI: `user passwd`, or a
    /// second gateway) deleted from the store. Sessions this process created
    /// after the read began are kept, so a concurrent sign-in is never
    /// dropped. Returns how many were dropped.
    pub fn reconcile(&self, store: &Store) -> Result<usize, StoreError> {
        let mark = self.generation.load(Ordering::SeqCst);
        let stored = store.session_hashes()?;
        let before = self.sessions.len();
        self.sessions
            .retain(|hash, e| e.generation > mark || stored.contains(hash));
        Ok(before.saturating_sub(self.sessions.len()))
    }

    /// Re-reads one user after this process changed it (group, lock, plex
    /// link); a deleted user loses its sessions. Other instances are told.
    pub fn refresh_user(&self, store: &Store, user_id: i64) -> Result<(), StoreError> {
        let loaded = self.load_user(store, user_id);
        self.tell(|e| e.user_changed(user_id));
        loaded
    }

    /// [`Self::refresh_user`] without telling other instances.
    pub(crate) fn load_user(&self, store: &Store, user_id: i64) -> Result<(), StoreError> {
        match store.user_by_id(user_id)? {
            Some(u) => {
                self.users.insert(u.id, Arc::new(Identity::from_user(&u)));
                Ok(())
            }
            None => {
                self.users.remove(&user_id);
                self.sessions.retain(|_, e| e.user_id != user_id);
                Err(StoreError::UnknownUser(format!("id {user_id}")))
            }
        }
    }

    /// Replaces the SSO tokens of a live session (memory and store);
    /// `false` when the session is unknown.
    pub fn update_sso(
        &self,
        store: &Store,
        token: &str,
        sso: SsoTokens,
    ) -> Result<bool, StoreError> {
        let hash = token_hash(token);
        let Some(entry) = self.sessions.get(&hash).map(|e| e.value().clone()) else {
            return Ok(false);
        };
        store.update_session_sso(&hash, &sso)?;
        entry.set_sso(sso);
        Ok(true)
    }

    /// Drops expired and idle sessions from memory and the store.
    pub fn purge_expired(&self, store: &Store, now: SystemTime) -> Result<usize, StoreError> {
        let t = unix(now);
        let idle = self.settings.idle_timeout.map(|d| d.as_secs());
        // With several instances `last_seen` here is this node's: a session
        // idle here may be in use on another, so it leaves memory only (the
        // store's row is checked again on its next use here).
        let shared = self.events.get().is_some();
        let mut idle_gone = Vec::new();
        self.sessions.retain(|hash, e| {
            let idle_out =
                idle.is_some_and(|i| t >= e.last_seen.load(Ordering::Relaxed).saturating_add(i));
            if idle_out {
                idle_gone.push(*hash);
            }
            t < e.expires && !idle_out
        });
        if !shared {
            store.delete_sessions(&idle_gone)?;
        }
        Ok(store.delete_expired(now)? + idle_gone.len())
    }

    /// Writes `last_seen` of the sessions used since the last flush.
    /// On a store error the batch is retried at the next call.
    pub fn persist_last_seen(&self, store: &Store) -> Result<usize, StoreError> {
        let mut batch = Vec::new();
        let mut entries = Vec::new();
        for item in self.sessions.iter() {
            let seen = item.last_seen.load(Ordering::Relaxed);
            let before = item.flushed.swap(seen, Ordering::Relaxed);
            if before != seen {
                batch.push((*item.key(), to_i64(seen)));
                entries.push((item.value().clone(), before));
            }
        }
        if let Err(e) = store.update_last_seen(&batch) {
            for (entry, before) in entries {
                entry.flushed.store(before, Ordering::Relaxed);
            }
            return Err(e);
        }
        Ok(batch.len())
    }

    /// The prebuilt identity of a loaded user (for API tokens, which name a
    /// user rather than a session); `None` when unknown.
    pub fn identity(&self, user_id: i64) -> Option<Arc<Identity>> {
        self.users.get(&user_id).map(|i| i.value().clone())
    }

    /// Number of sessions in memory.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// `true` when no session is live.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The configured settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::User;
    use std::time::{Duration, UNIX_EPOCH};

    fn settings(idle: Option<u64>) -> SessionSettings {
        SessionSettings {
            cookie: "gatehouse_session".into(),
            domain: None,
            lifetime: Duration::from_secs(100),
            remember_me: Duration::from_secs(1000),
            idle_timeout: idle.map(Duration::from_secs),
        }
    }

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn test_create_lookup_expire_and_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store
            .add_user("alice", "a@x", 4, None, None, at(0))
            .unwrap();
        let table = SessionTable::load(&store, &settings(None), at(10)).unwrap();
        let token = table
            .create(&store, u.id, false, SsoTokens::default(), at(10))
            .unwrap();
        assert_eq!(token.len(), 43);
        let (_, id) = table.lookup(&token, at(50)).unwrap();
        assert_eq!((id.username.as_str(), id.group), ("alice", 4));
        assert_eq!(id.group_name_value, "user");
        assert!(table.lookup(&token, at(110)).is_none(), "expired");
        assert!(table.lookup("forged", at(50)).is_none());
        // a restart: a new table from the same store still knows the session
        let again =
            SessionTable::load(&Store::open(dir.path()).unwrap(), &settings(None), at(60)).unwrap();
        assert!(again.lookup(&token, at(60)).is_some());
        assert!(again.lookup(&token, at(200)).is_none());
    }

    #[test]
    fn test_idle_timeout_lock_and_destroy() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("bob", "", 4, None, None, at(0)).unwrap();
        let table = SessionTable::load(&store, &settings(Some(30)), at(0)).unwrap();
        let token = table
            .create(&store, u.id, true, SsoTokens::default(), at(0))
            .unwrap();
        assert!(table.lookup(&token, at(20)).is_some());
        assert!(
            table.lookup(&token, at(45)).is_some(),
            "last_seen moved to 20"
        );
        assert!(table.lookup(&token, at(80)).is_none(), "idle for 35 s");
        let token = table
            .create(&store, u.id, true, SsoTokens::default(), at(100))
            .unwrap();
        store.set_locked("bob", true).unwrap();
        table.refresh_users(&store).unwrap();
        assert!(table.lookup(&token, at(101)).is_none(), "locked");
        store.set_locked("bob", false).unwrap();
        table.refresh_users(&store).unwrap();
        assert!(table.lookup(&token, at(102)).is_some());
        table.destroy(&store, &token).unwrap();
        assert!(table.lookup(&token, at(103)).is_none());
        let gone = token_hash(&token);
        assert!(store
            .live_sessions(at(103))
            .unwrap()
            .iter()
            .all(|r| r.token_hash != gone));
    }

    #[test]
    fn test_persist_last_seen_batches_only_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("c", "", 4, None, None, at(0)).unwrap();
        let table = SessionTable::load(&store, &settings(None), at(0)).unwrap();
        let token = table
            .create(&store, u.id, false, SsoTokens::default(), at(0))
            .unwrap();
        assert_eq!(table.persist_last_seen(&store).unwrap(), 0);
        table.lookup(&token, at(5)).unwrap();
        assert_eq!(table.persist_last_seen(&store).unwrap(), 1);
        assert_eq!(store.live_sessions(at(6)).unwrap()[0].last_seen, 5);
    }

    #[test]
    fn test_refresh_users_drops_deleted_keeps_newer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store.add_user("a", "", 4, None, None, at(0)).unwrap();
        let table = SessionTable::load(&store, &settings(None), at(0)).unwrap();
        let ta = table
            .create(&store, a.id, false, SsoTokens::default(), at(0))
            .unwrap();
        // the CLI (another connection) changes the group, then deletes the user
        let cli = Store::open(dir.path()).unwrap();
        cli.set_group("a", 1).unwrap();
        table.refresh_users(&store).unwrap();
        assert_eq!(table.lookup(&ta, at(1)).unwrap().1.group, 1);
        cli.delete_user("a").unwrap();
        table.refresh_users(&store).unwrap();
        assert!(table.lookup(&ta, at(2)).is_none());
        assert_eq!(table.len(), 0);
        // a user newer than the high-water mark of a refresh is not dropped
        let b = store.add_user("b", "", 4, None, None, at(0)).unwrap();
        let tb = table
            .create(&store, b.id, false, SsoTokens::default(), at(0))
            .unwrap();
        table.users.insert(
            b.id + 1,
            Arc::new(Identity::from_user(&User {
                id: b.id + 1,
                ..b.clone()
            })),
        );
        table.refresh_users(&store).unwrap();
        assert!(table.users.contains_key(&(b.id + 1)));
        assert!(table.lookup(&tb, at(1)).is_some());
    }

    #[test]
    fn test_reconcile_drops_sessions_deleted_elsewhere_keeps_newer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("e", "", 4, None, None, at(0)).unwrap();
        let table = SessionTable::load(&store, &settings(None), at(0)).unwrap();
        let a = table
            .create(&store, u.id, false, SsoTokens::default(), at(0))
            .unwrap();
        let b = table
            .create(&store, u.id, false, SsoTokens::default(), at(0))
            .unwrap();
        // another process (the CLI) ends every session of the user
        let cli = Store::open(dir.path()).unwrap();
        assert_eq!(cli.change_password("e", "$argon2id$x", None).unwrap(), 2);
        assert_eq!(table.reconcile(&store).unwrap(), 2);
        assert!(table.lookup(&a, at(1)).is_none());
        assert!(table.lookup(&b, at(1)).is_none());
        // a session created after the store was read survives
        let c = table
            .create(&store, u.id, false, SsoTokens::default(), at(2))
            .unwrap();
        store.delete_session(&token_hash(&c)).unwrap();
        table.generation.fetch_sub(1, Ordering::SeqCst);
        assert_eq!(table.reconcile(&store).unwrap(), 0);
        assert!(table.lookup(&c, at(3)).is_some());
    }

    #[test]
    fn test_create_unknown_user_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let table = SessionTable::load(&store, &settings(None), at(0)).unwrap();
        let err = table.create(&store, 42, false, SsoTokens::default(), at(0));
        assert!(matches!(err, Err(StoreError::UnknownUser(_))));
        assert!(table.is_empty());
    }

    #[test]
    fn test_update_sso_and_purge_expired() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("d", "", 4, None, None, at(0)).unwrap();
        let table = SessionTable::load(&store, &settings(Some(50)), at(0)).unwrap();
        let short = table
            .create(&store, u.id, false, SsoTokens::default(), at(0))
            .unwrap();
        let long = table
            .create(&store, u.id, true, SsoTokens::default(), at(0))
            .unwrap();
        let sso = SsoTokens {
            ombi: Some("ombi-jwt".into()),
            ..SsoTokens::default()
        };
        assert!(table.update_sso(&store, &long, sso.clone()).unwrap());
        assert!(!table
            .update_sso(&store, &"x".repeat(TOKEN_LEN), sso.clone())
            .unwrap());
        assert_eq!(*table.lookup(&long, at(40)).unwrap().0.sso(), sso);
        // at 101: `short` expired (lifetime 100), `long` idle since 40 > 50 s
        assert_eq!(table.purge_expired(&store, at(101)).unwrap(), 2);
        assert!(table.is_empty());
        assert!(store.live_sessions(at(0)).unwrap().is_empty());
        assert!(table.lookup(&short, at(1)).is_none());
    }

    #[test]
    fn test_lookup_rejects_malformed_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let table = SessionTable::load(&store, &settings(None), at(0)).unwrap();
        for t in [
            "",
            "a",
            &"a".repeat(TOKEN_LEN),
            &"\u{0}".repeat(100),
            &"x".repeat(10_000),
        ] {
            assert!(table.lookup(t, at(1)).is_none());
        }
    }

    #[test]
    fn test_live_token_takes_the_first_live_value_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store
            .add_user("alice", "a@x", 4, None, None, at(0))
            .unwrap();
        let table = SessionTable::load(&store, &settings(None), at(0)).unwrap();
        let live = table
            .create(&store, u.id, false, SsoTokens::default(), at(1))
            .unwrap();
        let other = table
            .create(&store, u.id, false, SsoTokens::default(), at(1))
            .unwrap();
        let stale = "A".repeat(TOKEN_LEN);
        let headers = |values: &[&str]| {
            let mut h = http::HeaderMap::new();
            for v in values {
                h.append(http::header::COOKIE, v.parse().unwrap());
            }
            h
        };
        let token = |h: &http::HeaderMap| table.live_token(h, at(2)).map(|(t, _)| t.to_owned());
        let c = |t: &str| format!("gatehouse_session={t}");
        // a planted stale value first, in the same header or another one
        let same = headers(&[&format!("{}; x=1; {}", c(&stale), c(&live))]);
        assert_eq!(token(&same).as_deref(), Some(live.as_str()));
        let apart = headers(&[&c(&stale), &format!("y=2; {}", c(&live))]);
        assert_eq!(token(&apart).as_deref(), Some(live.as_str()));
        // two live values: the first wins
        let both = headers(&[&format!("{}; {}", c(&other), c(&live))]);
        assert_eq!(token(&both).as_deref(), Some(other.as_str()));
        // the same stale value twice, or only stale ones: none
        assert_eq!(
            token(&headers(&[&format!("{}; {}", c(&stale), c(&stale))])),
            None
        );
        assert_eq!(token(&headers(&[&c(&stale), &c(&stale)])), None);
        assert_eq!(token(&headers(&["other=1"])), None);
        // the first live value again after a stale one (equal text, another place)
        let again = headers(&[&format!("{}; {}; {}", c(&live), c(&stale), c(&live))]);
        assert_eq!(token(&again).as_deref(), Some(live.as_str()));
        let dup = headers(&[&format!("{}; {}", c(&stale), c(&stale)), &c(&live)]);
        assert_eq!(token(&dup).as_deref(), Some(live.as_str()));
    }
}
