//! The embedded backend: one SQLite file, `{data_dir}/gatehouse.db`, one
//! connection behind a mutex.
//!
//! Durability: WAL journal with `synchronous = FULL`. In WAL mode `NORMAL`
//! only syncs at checkpoints, so a power cut can roll back the last
//! committed transactions (an issued session or a ban would vanish). `FULL`
//! syncs the WAL at every commit; writes are rare (logins, logouts, bans,
//! a batched `last_seen` flush), so the cost does not matter and nothing
//! committed is lost.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;

use super::backend::{Db, Dialect, Row, Value};
use super::{migrations, Result, StoreError, BUSY_TIMEOUT};

/// The SQLite backend.
pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
    pub(crate) path: PathBuf,
}

impl Sqlite {
    /// Opens (creating) the file, sets the pragmas, migrates. Failures name
    /// the file.
    pub(crate) fn open(path: PathBuf) -> Result<Sqlite> {
        let conn = connect(&path).map_err(|e| match e {
            StoreError::Sqlite(e) => StoreError::Open(path.clone(), e),
            other => other,
        })?;
        Ok(Sqlite {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The connection. A panic while holding the lock cannot leave SQLite in
    /// a half state (statements are atomic), so a poisoned lock is reused.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection.
    pub(crate) fn with<T>(&self, f: &mut dyn FnMut(&mut dyn Db) -> Result<T>) -> Result<T> {
        let conn = self.conn();
        f(&mut SqliteDb(&conn))
    }

    /// Runs `f` in one transaction (committed when `f` succeeds).
    pub(crate) fn transaction<T>(&self, f: &mut dyn FnMut(&mut dyn Db) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let out = f(&mut SqliteDb(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode returns a row; query it rather than "update" it.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "SQLite could not switch to WAL mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    migrations::apply(&mut SqliteDb(&tx))?;
    tx.commit()?;
    Ok(conn)
}

/// A connection or transaction (which derefs to one) as a [`Db`].
pub(crate) struct SqliteDb<'a>(pub(crate) &'a Connection);

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn read(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        // No column holds a REAL; one written by hand reads truncated.
        ValueRef::Real(f) => Value::Int(f as i64),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl Db for SqliteDb<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<usize> {
        let mut stmt = self.0.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(args))?)
    }

    fn query_each(
        &mut self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<usize> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(read(r.get_ref(i)?));
            }
            each(Row(values))?;
            n += 1;
        }
        Ok(n)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.0.execute_batch(sql)?)
    }
}

/// Whether `e` is SQLite's unique or primary-key constraint failure.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations::{apply, latest};

    #[test]
    fn test_migrations_apply_is_idempotent() {
        let conn = Connection::open_in_memory().unwrap();
        apply(&mut SqliteDb(&conn)).unwrap();
        apply(&mut SqliteDb(&conn)).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, latest());
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'
                 AND name IN ('users', 'sessions', 'bans', 'meta')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 4);
    }

    #[test]
    fn test_migrations_leave_newer_schema_alone() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        apply(&mut SqliteDb(&conn)).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99);
    }
}
