//! Versioned schema migrations.
//!
//! `PRAGMA user_version` holds the number of steps applied. On open, every
//! step after it runs in order, all in one transaction together with the new
//! `user_version`, so a crash mid-migration leaves the previous schema
//! intact. Steps are append-only: never edit a released step, add a new one.

use rusqlite::Connection;

/// The migration steps; step `i` brings the schema to version `i + 1`.
const STEPS: &[&str] = &[
    // 1: users, sessions, bans, meta.
    "CREATE TABLE users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
        email         TEXT    NOT NULL DEFAULT '',
        grp           INTEGER NOT NULL,
        password_hash TEXT    NULL,
        locked        INTEGER NOT NULL DEFAULT 0,
        plex_id       INTEGER NULL,
        created       INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created    INTEGER NOT NULL,
        expires    INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        remember   INTEGER NOT NULL,
        sso        TEXT    NOT NULL DEFAULT '{}'
    ) WITHOUT ROWID;
    CREATE INDEX sessions_user ON sessions(user_id);
    CREATE INDEX sessions_expires ON sessions(expires);
    CREATE TABLE bans (
        kind  TEXT    NOT NULL CHECK (kind IN ('user', 'ip')),
        key   TEXT    NOT NULL,
        until INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
    ) WITHOUT ROWID;
    CREATE INDEX bans_until ON bans(until);
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;",
    // 2: second factors (TOTP, recovery codes, passkeys), API tokens, and
    //    whether a session passed a second factor.
    "ALTER TABLE sessions ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE totp (
        user_id   INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret    TEXT    NOT NULL,
        last_step INTEGER NOT NULL DEFAULT 0,
        created   INTEGER NOT NULL
    );
    CREATE TABLE recovery_codes (
        user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash BLOB    NOT NULL CHECK (length(code_hash) = 32),
        PRIMARY KEY (user_id, code_hash)
    ) WITHOUT ROWID;
    CREATE TABLE passkeys (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credential_id BLOB    NOT NULL UNIQUE,
        name          TEXT    NOT NULL,
        passkey       TEXT    NOT NULL,
        created       INTEGER NOT NULL,
        last_used     INTEGER NULL
    );
    CREATE INDEX passkeys_user ON passkeys(user_id);
    CREATE TABLE webauthn_handles (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        handle  BLOB    NOT NULL UNIQUE CHECK (length(handle) = 16)
    );
    CREATE TABLE api_tokens (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        name       TEXT    NOT NULL,
        routes     TEXT    NOT NULL DEFAULT '',
        created    INTEGER NOT NULL,
        expires    INTEGER NULL
    );
    CREATE INDEX api_tokens_user ON api_tokens(user_id);",
    // 3: what the admin pages show: a session's client address and user
    //    agent (at sign-in), a user's last sign-in.
    "ALTER TABLE sessions ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN last_signin INTEGER NULL;",
];

/// The schema version after every step.
pub fn latest() -> i64 {
    STEPS.len() as i64
}

/// Applies every step after the current `user_version`, in one transaction.
/// A database newer than this binary is left alone (and reported).
pub fn apply(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > latest() {
        tracing::warn!(
            current,
            known = latest(),
            "the database schema is newer than this gatehouse binary"
        );
        return Ok(());
    }
    let from = usize::try_from(current).unwrap_or(0);
    for (i, step) in STEPS.iter().enumerate().skip(from) {
        tx.execute_batch(step)?;
        tracing::info!(version = i + 1, "database schema migrated");
    }
    // PRAGMA takes no bound parameters; the value is our own integer.
    tx.execute_batch(&format!("PRAGMA user_version = {}", latest()))?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_apply_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
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
    fn test_apply_leaves_newer_schema_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        apply(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99);
    }
}
