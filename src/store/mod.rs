//! The embedded SQLite store: users, sessions, login bans, second factors,
//! API tokens and install-wide
//! values (README "The portal").
//!
//! One file, `{data_dir}/gatehouse.db`, created and migrated on open
//! (`migrations.rs`). It is used off the hot path only — at login, logout,
//! expiry, by the CLI and by background tasks — so every method is
//! synchronous; async callers wrap calls in `tokio::task::spawn_blocking`.
//! [`Store`] is a cheap `Clone` (one connection behind an `Arc<Mutex<_>>`).
//!
//! Durability: WAL journal with `synchronous = FULL`. In WAL mode `NORMAL`
//! only syncs at checkpoints, so a power cut can roll back the last
//! committed transactions (an issued session or a ban would vanish). `FULL`
//! syncs the WAL at every commit; writes are rare (logins, logouts, bans,
//! a batched `last_seen` flush), so the cost does not matter and nothing
//! committed is lost.
//!
//! Times are stored as Unix seconds (`INTEGER`).

mod admin;
mod api_tokens;
mod bans;
pub mod health;
mod migrations;
mod second_factors;
mod sessions;
mod users;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OptionalExtension};

pub use admin::SessionClient;
pub use api_tokens::ApiTokenRow;
pub use bans::{Ban, BanKind};
pub use second_factors::{PasskeyRow, TotpRow};
pub use sessions::SessionRow;
pub use users::User;

/// The database file name inside `data_dir`.
pub const DB_FILE: &str = "gatehouse.db";

/// How long a statement waits for another process (the CLI, a second
/// gateway) holding the write lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A user with this name (compared case-insensitively) already exists.
    #[error("a user named {0:?} already exists (names are compared case-insensitively)")]
    DuplicateName(String),
    /// No such user (a name, or `id N`).
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("{path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, #[source] std::io::Error),
    /// The database file could not be opened, read or migrated.
    #[error("database {path}: {source}", path = .0.display(), source = .1)]
    Open(PathBuf, #[source] rusqlite::Error),
    /// A stored value could not be encoded or decoded (e.g. session SSO JSON).
    #[error("stored value {0:?} is not valid: {1}")]
    Corrupt(String, String),
}

/// Result alias of this module.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database. Cloning shares the connection.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Creates `data_dir` (and parents) and `gatehouse.db` if needed, sets the
    /// connection pragmas and applies pending migrations. Every failure names
    /// the database file (a file that is not SQLite, a read-only directory…).
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Io(data_dir.to_path_buf(), e))?;
        let path = data_dir.join(DB_FILE);
        let conn = Self::connect(&path).map_err(|e| StoreError::Open(path.clone(), e))?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path),
        })
    }

    fn connect(path: &Path) -> rusqlite::Result<Connection> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode returns a row; query it rather than "update" it.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "SQLite could not switch to WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::apply(&mut conn)?;
        Ok(conn)
    }

    /// Runs `f` on a blocking thread (the async code's way to the store:
    /// SQLite calls never run on a worker thread of the proxy).
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(r) => r,
            Err(e) => Err(StoreError::Corrupt("blocking task".into(), e.to_string())),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection. A panic while holding the lock cannot leave SQLite in
    /// a half state (statements are atomic), so a poisoned lock is reused.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// `PRAGMA data_version`: changes whenever *another* connection (the CLI,
    /// another process) commits, so a running gateway can poll it and reload
    /// users only when needed. Its own writes do not change it.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// An install-wide value (client identifier, setup token, …).
    pub fn get_meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Sets (inserts or replaces) an install-wide value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Deletes an install-wide value; `true` when it existed.
    pub fn delete_meta(&self, key: &str) -> Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM meta WHERE key = ?1", [key])?
            > 0)
    }
}

/// Unix seconds of `t` as SQLite stores them.
pub(crate) fn secs(t: SystemTime) -> i64 {
    i64::try_from(crate::clock::unix(t)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_open_creates_dir_and_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let store = Store::open(&data).unwrap();
        assert!(data.join(DB_FILE).is_file());
        assert_eq!(store.schema_version().unwrap(), migrations::latest());
        let conn = store.conn();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous = FULL");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn test_open_twice_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path()).unwrap().set_meta("k", "v").unwrap();
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(again.get_meta("k").unwrap().as_deref(), Some("v"));
        assert_eq!(again.schema_version().unwrap(), migrations::latest());
    }

    #[test]
    fn test_open_unwritable_path_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = Store::open(&file.join("sub")).unwrap_err();
        assert!(
            matches!(err, StoreError::Io(ref p, _) if p.ends_with("sub")),
            "{err}"
        );
    }

    #[test]
    fn test_open_not_a_database_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DB_FILE), vec![0x42u8; 4096]).unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Open(..)), "{text}");
        assert!(
            text.contains(&dir.path().join(DB_FILE).display().to_string()),
            "{text}"
        );
        assert!(text.contains("not a database"), "{text}");
    }

    #[test]
    fn test_meta_set_replace_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.get_meta("client_id").unwrap(), None);
        store.set_meta("client_id", "a").unwrap();
        store.set_meta("client_id", "b").unwrap();
        assert_eq!(store.get_meta("client_id").unwrap().as_deref(), Some("b"));
        assert!(store.delete_meta("client_id").unwrap());
        assert!(!store.delete_meta("client_id").unwrap());
    }

    #[test]
    fn test_data_version_sees_other_connection() {
        let dir = tempfile::tempdir().unwrap();
        let gateway = Store::open(dir.path()).unwrap();
        let cli = Store::open(dir.path()).unwrap();
        let before = gateway.data_version().unwrap();
        gateway.set_meta("own", "write").unwrap();
        assert_eq!(
            gateway.data_version().unwrap(),
            before,
            "own writes do not count"
        );
        cli.set_meta("other", "write").unwrap();
        assert_ne!(gateway.data_version().unwrap(), before);
    }
}
