//! The user store: users, sessions, login bans, second factors, API tokens,
//! ACME accounts and certificates, and install-wide values (README "The portal"), on one of two backends:
//!
//! - SQLite (`sqlite.rs`), the default: one file, `{data_dir}/gatehouse.db`;
//! - PostgreSQL (`postgres/`), with `[store] url = "postgres://…"`, for
//!   several gateways sharing one store (docs/cluster.md).
//!
//! Both are created and migrated on open (`migrations.rs`, the same
//! numbered steps in each dialect). Every store method is written once,
//! against the [`backend::Db`] interface (users.rs, sessions.rs, …). The
//! store is used off the hot path only — at login, logout, expiry, by the
//! CLI and by background tasks — so every method is synchronous; async
//! callers wrap calls in [`Store::call`] (`spawn_blocking`). [`Store`] is a
//! cheap `Clone`.
//!
//! Adding a method: write it once in the file of its table with
//! `self.db(|db| …)` (or `self.transaction(|db| …)` for several
//! statements), SQL with `?N` placeholders, and `backend::pick` where the
//! dialects differ. Adding a schema step: append to both
//! `migrations/sqlite_steps.rs` and `migrations/postgres_steps.rs`.
//!
//! Times are stored as Unix seconds (integers).

mod acme;
mod admin;
mod api_tokens;
pub(crate) mod backend;
mod bans;
pub mod copy;
pub mod health;
mod migrations;
mod postgres;
mod second_factors;
mod sessions;
mod sqlite;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::store_url as url;
use backend::{args, Db, Dialect};

pub use acme::{AcmeCertRow, Lease as AcmeLease};
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
    /// PostgreSQL answered with an error.
    #[error("database error: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// The PostgreSQL server (its URL, password masked) cannot be reached.
    #[error("the user store {0} is unreachable: {1}")]
    Unreachable(String, String),
    /// The data directory could not be created.
    #[error("{path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, #[source] std::io::Error),
    /// The database file could not be opened, read or migrated.
    #[error("database {path}: {source}", path = .0.display(), source = .1)]
    Open(PathBuf, #[source] rusqlite::Error),
    /// The PostgreSQL store (its masked URL) could not be read or migrated.
    #[error("database {0}: {1}")]
    OpenUrl(String, String),
    /// A stored value could not be encoded or decoded (e.g. session SSO JSON).
    #[error("stored value {0:?} is not valid: {1}")]
    Corrupt(String, String),
    /// `gatehouse store copy`: the target already holds data.
    #[error("{0}")]
    NotEmpty(String),
}

impl StoreError {
    /// Whether this is a unique-constraint violation (either backend).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlite(e) => sqlite::is_unique_violation(e),
            StoreError::Postgres(e) => postgres::is_unique_violation(e),
            _ => false,
        }
    }
}

/// Result alias of this module.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

enum Backend {
    Sqlite(sqlite::Sqlite),
    // Boxed: the pool's configuration is several times SQLite's handle.
    Postgres(Box<postgres::Postgres>),
}

/// A handle on the store. Cloning shares the connection (SQLite) or the
/// pool (PostgreSQL).
#[derive(Clone)]
pub struct Store {
    backend: Arc<Backend>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("at", &self.describe())
            .finish()
    }
}

impl Store {
    /// Creates `data_dir` (and parents) and `gatehouse.db` if needed, sets the
    /// connection pragmas and applies pending migrations. Every failure names
    /// the database file (a file that is not SQLite, a read-only directory…).
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Io(data_dir.to_path_buf(), e))?;
        let backend = Backend::Sqlite(sqlite::Sqlite::open(data_dir.join(DB_FILE))?);
        Ok(Store {
            backend: Arc::new(backend),
        })
    }

    /// The store `[store] url` names: `""` is [`Store::open`] on `data_dir`,
    /// `postgres://…` a PostgreSQL server (connected and migrated now;
    /// failures name the URL with its password masked).
    pub fn open_url(url: &str, data_dir: &Path) -> Result<Store> {
        if url.is_empty() {
            return Store::open(data_dir);
        }
        if let Err(reason) = url::check(url) {
            return Err(StoreError::Unreachable(url::mask(url), reason));
        }
        let backend = Backend::Postgres(Box::new(postgres::Postgres::open(url)?));
        Ok(Store {
            backend: Arc::new(backend),
        })
    }

    /// Runs `f` on a blocking thread (the async code's way to the store:
    /// store calls never run on a worker thread of the proxy).
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

    /// The database file (SQLite), or `None` (PostgreSQL).
    pub fn file(&self) -> Option<&Path> {
        match &*self.backend {
            Backend::Sqlite(s) => Some(&s.path),
            Backend::Postgres(_) => None,
        }
    }

    /// The database file, or for PostgreSQL its masked URL as a path (for
    /// messages only).
    pub fn path(&self) -> &Path {
        match &*self.backend {
            Backend::Sqlite(s) => &s.path,
            Backend::Postgres(p) => Path::new(p.label()),
        }
    }

    /// Where the store is, for messages: the file, or the masked URL.
    pub fn describe(&self) -> String {
        match &*self.backend {
            Backend::Sqlite(s) => s.path.display().to_string(),
            Backend::Postgres(p) => p.label().to_string(),
        }
    }

    /// The backend's SQL dialect.
    pub fn dialect(&self) -> Dialect {
        match &*self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` on a connection.
    pub(crate) fn db<T: Send>(
        &self,
        mut f: impl FnMut(&mut dyn Db) -> Result<T> + Send,
    ) -> Result<T> {
        match &*self.backend {
            Backend::Sqlite(s) => s.with(&mut f),
            Backend::Postgres(p) => p.with(&mut f),
        }
    }

    /// Runs `f` in one transaction, committed when it succeeds.
    pub(crate) fn transaction<T: Send>(
        &self,
        mut f: impl FnMut(&mut dyn Db) -> Result<T> + Send,
    ) -> Result<T> {
        match &*self.backend {
            Backend::Sqlite(s) => s.transaction(&mut f),
            Backend::Postgres(p) => p.transaction(&mut f),
        }
    }

    /// The SQLite connection (tests and `store copy` read it directly).
    #[cfg(test)]
    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        match &*self.backend {
            Backend::Sqlite(s) => s.conn(),
            Backend::Postgres(_) => unreachable!("tests ask SQLite stores only"),
        }
    }

    /// The schema version (`PRAGMA user_version`, or PostgreSQL's
    /// `schema_version`).
    pub fn schema_version(&self) -> Result<i64> {
        self.db(|db| migrations::current(db))
    }

    /// A number that changes when another process (the CLI, another
    /// gateway) committed a change the running gateway must pick up, so it
    /// can poll it and reload users and sessions only when needed.
    ///
    /// SQLite: `PRAGMA data_version` (any commit by another connection; its
    /// own writes do not change it). PostgreSQL: the `changes` counter,
    /// bumped by triggers on every committed change to users, on session
    /// deletions and on API token changes — by any node, this one included
    /// (a reload after its own change is harmless).
    pub fn data_version(&self) -> Result<i64> {
        self.db(|db| match db.dialect() {
            Dialect::Sqlite => db.query_one("PRAGMA data_version", &[])?.int(0),
            Dialect::Postgres => db.query_one("SELECT n FROM changes", &[])?.int(0),
        })
    }

    /// An install-wide value (client identifier, setup token, …).
    pub fn get_meta(&self, key: &str) -> Result<Option<String>> {
        self.db(|db| {
            db.query_opt("SELECT value FROM meta WHERE key = ?1", args![key])?
                .map(|r| r.text(0))
                .transpose()
        })
    }

    /// Sets (inserts or replaces) an install-wide value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.db(|db| {
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                args![key, value],
            )
        })?;
        Ok(())
    }

    /// Deletes an install-wide value; `true` when it existed.
    pub fn delete_meta(&self, key: &str) -> Result<bool> {
        Ok(self.db(|db| db.execute("DELETE FROM meta WHERE key = ?1", args![key]))? > 0)
    }
}

/// Unix seconds of `t` as the store keeps them.
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
