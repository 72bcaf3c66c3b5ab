//! The table as a cache in front of a shared store (several instances,
//! docs/cluster.md): sessions another node created are adopted on a cache
//! miss; sessions and users another node ended or changed are dropped or
//! re-read when it says so. None of this runs on a cache hit.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use super::entry::entry_from_row;
use super::events::SessionEvents;
use super::SessionTable;
use crate::clock::unix;
use crate::store::{SessionRow, Store, StoreError};

impl SessionTable {
    /// Tells `events` of every later change; `false` when already set.
    pub fn set_events(&self, events: Arc<dyn SessionEvents>) -> bool {
        self.events.set(events).is_ok()
    }

    /// Hands the change to the events receiver, when there is one.
    pub(super) fn tell(&self, f: impl FnOnce(&dyn SessionEvents)) {
        if let Some(events) = self.events.get() {
            f(events.as_ref());
        }
    }

    /// Whether a session of this hash is in memory (live or not).
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.sessions.contains_key(hash)
    }

    /// Whether a stored row is a live session at `now`: not expired, not
    /// idle past `idle_timeout` by its stored `last_seen`.
    pub fn row_is_live(&self, row: &SessionRow, now: SystemTime) -> bool {
        let t = i64::try_from(unix(now)).unwrap_or(i64::MAX);
        let idle = self
            .settings
            .idle_timeout
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        t < row.expires && idle.is_none_or(|i| t < row.last_seen.saturating_add(i))
    }

    /// Takes a session another instance created (read from the store on a
    /// cache miss) into memory, with its user; `Ok(false)` when it does not
    /// make the request signed in: the row is not live (the stale copy is
    /// dropped), the user is gone, or the user is locked (the session is
    /// kept, so an unlock brings it back at once).
    pub fn adopt(
        &self,
        store: &Store,
        row: SessionRow,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        if !self.row_is_live(&row, now) {
            self.sessions.remove(&row.token_hash);
            return Ok(false);
        }
        if !self.users.contains_key(&row.user_id) {
            match self.load_user(store, row.user_id) {
                Ok(()) => {}
                Err(StoreError::UnknownUser(_)) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let (hash, user_id) = (row.token_hash, row.user_id);
        self.sessions
            .insert(hash, Arc::new(entry_from_row(row, generation)));
        Ok(self.users.get(&user_id).is_some_and(|u| !u.locked))
    }

    /// Drops sessions another instance ended (memory only; it deleted them
    /// from the store); how many were here.
    pub fn drop_ended(&self, hashes: &[[u8; 32]]) -> usize {
        hashes
            .iter()
            .filter(|h| self.sessions.remove(*h).is_some())
            .count()
    }

    /// Re-reads a user another instance (or the CLI) changed, and drops
    /// that user's sessions the store no longer holds (a password change
    /// ends them); how many were dropped.
    pub fn reload_user(&self, store: &Store, user_id: i64) -> Result<usize, StoreError> {
        match self.load_user(store, user_id) {
            Ok(()) => {}
            // A deleted user: `load_user` dropped its sessions.
            Err(StoreError::UnknownUser(_)) => return Ok(0),
            Err(e) => return Err(e),
        }
        let mark = self.generation.load(Ordering::SeqCst);
        let stored = store.user_session_hashes(user_id)?;
        let before = self.sessions.len();
        self.sessions
            .retain(|hash, e| e.user_id != user_id || e.generation > mark || stored.contains(hash));
        Ok(before.saturating_sub(self.sessions.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionSettings;
    use crate::tokens::SsoTokens;
    use std::sync::Mutex;
    use std::time::{Duration, UNIX_EPOCH};

    fn settings() -> SessionSettings {
        SessionSettings {
            cookie: "gatehouse_session".into(),
            domain: None,
            lifetime: Duration::from_secs(100),
            remember_me: Duration::from_secs(1000),
            idle_timeout: Some(Duration::from_secs(30)),
        }
    }

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[derive(Debug, Default)]
    struct Told(Mutex<Vec<String>>);

    impl SessionEvents for Told {
        fn sessions_ended(&self, hashes: &[[u8; 32]]) {
            self.0
                .lock()
                .unwrap()
                .push(format!("ended {}", hashes.len()));
        }
        fn user_changed(&self, user_id: i64) {
            self.0.lock().unwrap().push(format!("user {user_id}"));
        }
    }

    #[test]
    fn test_two_tables_on_one_store_adopt_drop_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("ann", "", 4, None, None, at(0)).unwrap();
        let a = SessionTable::load(&store, &settings(), at(0)).unwrap();
        let told = Arc::new(Told::default());
        assert!(a.set_events(told.clone()));
        // node B starts before the session exists
        let b_store = Store::open(dir.path()).unwrap();
        let b = SessionTable::load(&b_store, &settings(), at(0)).unwrap();
        let token = a
            .create(&store, u.id, false, SsoTokens::default(), at(1))
            .unwrap();
        assert!(b.lookup(&token, at(2)).is_none(), "a miss on B");
        let hash = super::super::token_hash(&token);
        let row = b_store.session_by_hash(&hash).unwrap().unwrap();
        assert!(b.adopt(&b_store, row, at(2)).unwrap());
        assert_eq!(b.lookup(&token, at(3)).unwrap().1.username, "ann");
        // a logout on A: B drops it when told
        a.forget(&hash);
        store.delete_session(&hash).unwrap();
        assert_eq!(b.drop_ended(&[hash]), 1);
        assert!(b.lookup(&token, at(4)).is_none());
        assert_eq!(told.0.lock().unwrap().as_slice(), ["ended 1"]);
        // an idle row is not adopted
        let t2 = a
            .create(&store, u.id, false, SsoTokens::default(), at(10))
            .unwrap();
        let row = b_store
            .session_by_hash(&super::super::token_hash(&t2))
            .unwrap()
            .unwrap();
        assert!(
            !b.adopt(&b_store, row.clone(), at(41)).unwrap(),
            "idle 31 s"
        );
        assert!(b.adopt(&b_store, row, at(20)).unwrap());
        // the CLI locks ann and changes her password: B re-reads her
        let cli = Store::open(dir.path()).unwrap();
        cli.set_locked("ann", true).unwrap();
        assert_eq!(cli.change_password("ann", "$argon2id$x", None).unwrap(), 1);
        assert_eq!(b.reload_user(&b_store, u.id).unwrap(), 1);
        assert!(b.lookup(&t2, at(21)).is_none());
        // A's own user change is told
        a.refresh_user(&store, u.id).unwrap();
        assert_eq!(
            told.0.lock().unwrap().last().unwrap(),
            &format!("user {}", u.id)
        );
        // a deleted user's sessions are not adopted
        cli.delete_user("ann").unwrap();
        assert_eq!(b.reload_user(&b_store, u.id).unwrap(), 0);
        assert!(b.is_empty());
    }

    #[test]
    fn test_adopting_a_locked_users_session_signs_nobody_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("cy", "", 4, None, None, at(0)).unwrap();
        let a = SessionTable::load(&store, &settings(), at(0)).unwrap();
        let token = a
            .create(&store, u.id, false, SsoTokens::default(), at(0))
            .unwrap();
        store.set_locked("cy", true).unwrap();
        let b = SessionTable::load(&store, &settings(), at(1)).unwrap();
        let hash = super::super::token_hash(&token);
        let row = store.session_by_hash(&hash).unwrap().unwrap();
        b.drop_ended(&[hash]);
        assert!(!b.adopt(&store, row, at(1)).unwrap(), "locked");
        assert!(b.contains(&hash), "kept for an unlock");
        store.set_locked("cy", false).unwrap();
        b.reload_user(&store, u.id).unwrap();
        assert!(b.lookup(&token, at(2)).is_some());
    }

    #[test]
    fn test_shared_purge_keeps_idle_rows_in_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("bo", "", 4, None, None, at(0)).unwrap();
        let b = SessionTable::load(&store, &settings(), at(0)).unwrap();
        b.set_events(Arc::new(Told::default()));
        b.create(&store, u.id, false, SsoTokens::default(), at(0))
            .unwrap();
        // idle here (maybe busy on another node): out of memory, not the store
        assert_eq!(b.purge_expired(&store, at(40)).unwrap(), 1);
        assert!(b.is_empty());
        assert_eq!(store.session_hashes().unwrap().len(), 1);
    }
}
