//! Organizr's SQLite database, opened read-only and immutable (SQLite
//! writes nothing, not even a journal): users, groups and tabs.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::super::ImportError;

/// One `users` row.
#[derive(Clone, PartialEq, Eq)]
pub struct OrgUser {
    pub id: i64,
    pub username: String,
    /// The bcrypt hash (`$2y$…`), or `None` when the column is empty.
    pub password: Option<String>,
    pub email: String,
    pub group_id: i64,
    pub locked: bool,
    /// `internal`, or `google::SECRET` with two-factor auth.
    pub auth_service: String,
}

impl std::fmt::Debug for OrgUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgUser")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email)
            .field("group_id", &self.group_id)
            .field("locked", &self.locked)
            .finish()
    }
}

/// One `groups` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgGroup {
    pub name: String,
    pub group_id: i64,
}

/// One `tabs` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTab {
    pub name: String,
    pub url: String,
    pub url_local: String,
    pub enabled: bool,
    pub group_id: i64,
    pub group_id_max: i64,
    /// 0 Organizr page, 1 iFrame, 2 New Window.
    pub kind: i64,
}

/// Everything read from the database.
#[derive(Debug, Clone)]
pub struct OrgDb {
    pub users: Vec<OrgUser>,
    pub groups: Vec<OrgGroup>,
    pub tabs: Vec<OrgTab>,
}

/// A SQLite URI for `path` (special characters escaped).
fn uri(path: &Path) -> String {
    let text = path.display().to_string();
    let mut out = String::from("file:");
    for b in text.bytes() {
        match b {
            b'%' | b'?' | b'#' | b' ' => out.push_str(&format!("%{b:02X}")),
            b => out.push(char::from(b)),
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

/// Opens and reads the database; the file is never written.
pub fn read(path: &Path) -> Result<OrgDb, ImportError> {
    let shown = path.display().to_string();
    if !path.is_file() {
        return Err(ImportError::file(&shown, "cannot open: no such file"));
    }
    let conn = Connection::open_with_flags(
        uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| ImportError::file(&shown, format!("cannot open: {e}")))?;
    let sql_err = |e: rusqlite::Error| ImportError::file(&shown, e.to_string());
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(sql_err)?;
    for t in ["users", "groups", "tabs"] {
        if !tables.iter().any(|n| n == t) {
            return Err(ImportError::file(
                &shown,
                format!("not an Organizr database: it has no `{t}` table (Organizr's database has users, groups and tabs)"),
            ));
        }
    }
    let text = |v: Option<String>| v.unwrap_or_default();
    let users = conn
        .prepare("SELECT id, username, password, email, group_id, locked, auth_service FROM users ORDER BY id")
        .and_then(|mut s| {
            s.query_map([], |r| {
                let locked: Option<rusqlite::types::Value> = r.get(5)?;
                Ok(OrgUser {
                    id: r.get(0)?,
                    username: text(r.get(1)?),
                    password: r.get::<_, Option<String>>(2)?.filter(|p| !p.is_empty()),
                    email: text(r.get(3)?),
                    group_id: r.get::<_, Option<i64>>(4)?.unwrap_or(4),
                    locked: match locked {
                        Some(rusqlite::types::Value::Integer(n)) => n != 0,
                        Some(rusqlite::types::Value::Text(t)) => t.trim() == "1" || t.eq_ignore_ascii_case("true"),
                        _ => false,
                    },
                    auth_service: text(r.get(6)?),
                })
            })?
            .collect()
        })
        .map_err(|e| ImportError::file(&shown, format!("not an Organizr database: users: {e}")))?;
    let groups = conn
        .prepare("SELECT \"group\", group_id FROM groups ORDER BY group_id")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(OrgGroup {
                    name: text(r.get(0)?),
                    group_id: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                })
            })?
            .collect()
        })
        .map_err(|e| ImportError::file(&shown, format!("not an Organizr database: groups: {e}")))?;
    let tabs = conn
        .prepare("SELECT name, url, url_local, enabled, group_id, group_id_max, type FROM tabs ORDER BY \"order\", id")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(OrgTab {
                    name: text(r.get(0)?),
                    url: text(r.get(1)?),
                    url_local: text(r.get(2)?),
                    enabled: r.get::<_, Option<i64>>(3)?.unwrap_or(0) != 0,
                    group_id: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    group_id_max: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                    kind: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                })
            })?
            .collect()
        })
        .map_err(|e| ImportError::file(&shown, format!("not an Organizr database: tabs: {e}")))?;
    Ok(OrgDb {
        users,
        groups,
        tabs,
    })
}
