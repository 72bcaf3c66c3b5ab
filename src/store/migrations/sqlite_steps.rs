//! The SQLite steps (see `migrations.rs`); step `i` brings the schema to
//! version `i + 1`. Keep in step with `postgres_steps.rs`.

/// The steps.
pub const STEPS: &[&str] = &[
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
    // 4: ACME shared by every gateway on this store (docs/cluster.md): the
    //    account of each CA directory, each name's certificate with its key,
    //    and who is ordering a name right now.
    "CREATE TABLE acme_accounts (
        directory   TEXT    PRIMARY KEY,
        credentials TEXT    NOT NULL,
        created     INTEGER NOT NULL
    );
    CREATE TABLE acme_certs (
        name      TEXT    PRIMARY KEY,
        pem       TEXT    NOT NULL,
        not_after INTEGER NOT NULL,
        issued    INTEGER NOT NULL,
        node      TEXT    NOT NULL
    );
    CREATE TABLE acme_leases (
        name   TEXT    PRIMARY KEY,
        holder TEXT    NOT NULL,
        until  INTEGER NOT NULL
    );",
];
