//! The `users` table: accounts with an Organizr group number.

use std::time::SystemTime;

use super::backend::{args, pick, Db, Row, Value};
use super::{secs, Result, Store, StoreError};

/// One account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// Organizr group number (0 admin … 4 user, custom up to 997).
    pub group: u16,
    /// PHC string (argon2id, or an imported bcrypt hash); `None` for
    /// Plex-only accounts, which have no usable local password.
    pub password_hash: Option<String>,
    pub locked: bool,
    pub plex_id: Option<i64>,
    /// Unix seconds.
    pub created: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("email", &self.email)
            .field("group", &self.group)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("locked", &self.locked)
            .field("plex_id", &self.plex_id)
            .field("created", &self.created)
            .finish()
    }
}

const COLUMNS: &str = "id, name, email, grp, password_hash, locked, plex_id, created";

fn from_row(r: &Row) -> Result<User> {
    Ok(User {
        id: r.int(0)?,
        name: r.text(1)?,
        email: r.text(2)?,
        group: u16::try_from(r.int(3)?).unwrap_or(crate::groups::GUEST),
        password_hash: r.opt_text(4)?,
        locked: r.flag(5)?,
        plex_id: r.opt_int(6)?,
        created: r.int(7)?,
    })
}

/// `WHERE` on the name, case-insensitively: SQLite's `NOCASE` column,
/// PostgreSQL's `lower(name)` unique index.
fn by_name(db: &dyn Db) -> &'static str {
    pick(
        db.dialect(),
        "name = ?1 COLLATE NOCASE",
        "lower(name) = lower(?1)",
    )
}

fn one_user(db: &mut dyn Db, condition: &str, args: &[Value]) -> Result<Option<User>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE {condition}"),
        args,
    )?
    .map(|r| from_row(&r))
    .transpose()
}

fn duplicate(name: &str) -> impl Fn(StoreError) -> StoreError + '_ {
    move |e| {
        if e.is_unique_violation() {
            StoreError::DuplicateName(name.to_string())
        } else {
            e
        }
    }
}

impl Store {
    /// Adds a user; the name must be unique case-insensitively.
    pub fn add_user(
        &self,
        name: &str,
        email: &str,
        group: u16,
        password_hash: Option<&str>,
        plex_id: Option<i64>,
        now: SystemTime,
    ) -> Result<User> {
        let id = self
            .db(|db| {
                db.query_one(
                    "INSERT INTO users (name, email, grp, password_hash, locked, plex_id, created)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6) RETURNING id",
                    args![
                        name,
                        email,
                        i64::from(group),
                        password_hash,
                        plex_id,
                        secs(now)
                    ],
                )?
                .int(0)
            })
            .map_err(duplicate(name))?;
        self.user_by_id(id)?
            .ok_or_else(|| StoreError::UnknownUser(format!("id {id}")))
    }

    /// Adds a user imported from elsewhere (Organizr), locked or not, in one
    /// statement: a locked account is never briefly usable.
    pub fn add_imported_user(
        &self,
        name: &str,
        email: &str,
        group: u16,
        password_hash: Option<&str>,
        locked: bool,
        now: SystemTime,
    ) -> Result<User> {
        let id = self
            .db(|db| {
                db.query_one(
                    "INSERT INTO users (name, email, grp, password_hash, locked, plex_id, created)
                     VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6) RETURNING id",
                    args![
                        name,
                        email,
                        i64::from(group),
                        password_hash,
                        locked,
                        secs(now)
                    ],
                )?
                .int(0)
            })
            .map_err(duplicate(name))?;
        self.user_by_id(id)?
            .ok_or_else(|| StoreError::UnknownUser(format!("id {id}")))
    }

    /// The user with this name (case-insensitive).
    pub fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        self.db(|db| {
            let condition = by_name(db);
            one_user(db, condition, args![name])
        })
    }

    /// The user with this e-mail (case-insensitive; the first one if several).
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        if email.is_empty() {
            return Ok(None);
        }
        self.db(|db| {
            let condition = pick(
                db.dialect(),
                "email = ?1 COLLATE NOCASE ORDER BY id LIMIT 1",
                "lower(email) = lower(?1) ORDER BY id LIMIT 1",
            );
            one_user(db, condition, args![email])
        })
    }

    /// The user linked to this plex.tv account id.
    pub fn user_by_plex_id(&self, plex_id: i64) -> Result<Option<User>> {
        self.db(|db| one_user(db, "plex_id = ?1 ORDER BY id LIMIT 1", args![plex_id]))
    }

    /// The user with this id.
    pub fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        self.db(|db| one_user(db, "id = ?1", args![id]))
    }

    /// Every user, by name.
    pub fn list_users(&self) -> Result<Vec<User>> {
        self.db(|db| {
            let order = pick(db.dialect(), "name COLLATE NOCASE", "lower(name)");
            db.query(
                &format!("SELECT {COLUMNS} FROM users ORDER BY {order}"),
                &[],
            )?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    /// The highest user id ever assigned (ids are never reused), read before
    /// [`Store::list_users`] so that a user missing from the list with an id
    /// at or below it is known to be deleted, not merely newer than the list.
    pub fn user_id_high_water(&self) -> Result<i64> {
        self.db(|db| {
            let sql = pick(
                db.dialect(),
                "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'users'), 0)",
                "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('users', 'id')::regclass), 0)",
            );
            db.query_one(sql, &[])?.int(0)
        })
    }

    /// How many users are in group 0.
    pub fn count_admins(&self) -> Result<i64> {
        self.db(|db| {
            db.query_one("SELECT count(*) FROM users WHERE grp = 0", &[])?
                .int(0)
        })
    }

    /// `UPDATE users SET {column} = value` for the named user.
    fn update(&self, name: &str, column: &str, value: Value) -> Result<()> {
        let n = self.db(|db| {
            let sql = format!("UPDATE users SET {column} = ?2 WHERE {}", by_name(db));
            db.execute(&sql, &[Value::from(name), value.clone()])
        })?;
        if n == 0 {
            return Err(StoreError::UnknownUser(name.to_string()));
        }
        Ok(())
    }

    /// Replaces the password hash (`None`: no usable local password).
    pub fn set_password(&self, name: &str, hash: Option<&str>) -> Result<()> {
        self.update(name, "password_hash", hash.into())
    }

    /// Replaces the password hash and ends the user's sessions, except the
    /// one whose token hash is `keep` (the session that made the change), in
    /// one transaction. Returns how many sessions were ended.
    pub fn change_password(
        &self,
        name: &str,
        hash: &str,
        keep: Option<&[u8; 32]>,
    ) -> Result<usize> {
        let keep: &[u8] = keep.map_or(&[], |k| &k[..]);
        self.transaction(|db| {
            let condition = by_name(db);
            let n = db.execute(
                &format!("UPDATE users SET password_hash = ?2 WHERE {condition}"),
                args![name, hash],
            )?;
            if n == 0 {
                return Err(StoreError::UnknownUser(name.to_string()));
            }
            db.execute(
                &format!(
                    "DELETE FROM sessions WHERE token_hash != ?2 AND user_id =
                       (SELECT id FROM users WHERE {condition})"
                ),
                args![name, keep],
            )
        })
    }

    /// Changes the group.
    pub fn set_group(&self, name: &str, group: u16) -> Result<()> {
        self.update(name, "grp", i64::from(group).into())
    }

    /// Locks or unlocks (a locked user counts as signed out everywhere).
    pub fn set_locked(&self, name: &str, locked: bool) -> Result<()> {
        self.update(name, "locked", locked.into())
    }

    /// Changes the e-mail.
    pub fn set_email(&self, name: &str, email: &str) -> Result<()> {
        self.update(name, "email", email.into())
    }

    /// Links the plex.tv account id.
    pub fn set_plex_id(&self, name: &str, plex_id: Option<i64>) -> Result<()> {
        self.update(name, "plex_id", plex_id.into())
    }

    /// Deletes a user and (by cascade) their sessions.
    pub fn delete_user(&self, name: &str) -> Result<()> {
        let n = self.db(|db| {
            let sql = format!("DELETE FROM users WHERE {}", by_name(db));
            db.execute(&sql, args![name])
        })?;
        if n == 0 {
            return Err(StoreError::UnknownUser(name.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        (dir, s)
    }

    #[test]
    fn test_add_user_names_unique_case_insensitively() {
        let (_d, s) = store();
        let u = s
            .add_user("Alice", "a@x", 4, Some("h"), None, UNIX_EPOCH)
            .unwrap();
        assert_eq!(u.group, 4);
        let err = s
            .add_user("alice", "", 4, None, None, UNIX_EPOCH)
            .unwrap_err();
        assert!(matches!(err, StoreError::DuplicateName(ref n) if n == "alice"));
        assert_eq!(s.user_by_name("ALICE").unwrap().unwrap().id, u.id);
        assert_eq!(s.user_by_email("A@X").unwrap().unwrap().id, u.id);
    }

    #[test]
    fn test_updates_and_unknown_user() {
        let (_d, s) = store();
        s.add_user("bob", "", 4, None, Some(22), UNIX_EPOCH)
            .unwrap();
        s.set_group("bob", 1).unwrap();
        s.set_locked("bob", true).unwrap();
        s.set_password("bob", Some("$argon2id$x")).unwrap();
        let b = s.user_by_name("bob").unwrap().unwrap();
        assert_eq!(
            (b.group, b.locked, b.password_hash.as_deref()),
            (1, true, Some("$argon2id$x"))
        );
        assert_eq!(s.user_by_plex_id(22).unwrap().unwrap().name, "bob");
        assert!(matches!(
            s.set_group("nobody", 1),
            Err(StoreError::UnknownUser(_))
        ));
        assert!(matches!(
            s.delete_user("nobody"),
            Err(StoreError::UnknownUser(_))
        ));
        s.delete_user("BOB").unwrap();
        assert!(s.list_users().unwrap().is_empty());
    }

    #[test]
    fn test_add_imported_user_locked_in_one_step() {
        let (_d, s) = store();
        let u = s
            .add_imported_user("gina", "g@x", 5, Some("$2y$10$h"), true, UNIX_EPOCH)
            .unwrap();
        assert!(u.locked);
        assert_eq!((u.group, u.password_hash.as_deref()), (5, Some("$2y$10$h")));
        assert!(matches!(
            s.add_imported_user("GINA", "", 4, None, false, UNIX_EPOCH),
            Err(StoreError::DuplicateName(_))
        ));
    }

    #[test]
    fn test_debug_redacts_hash() {
        let (_d, s) = store();
        let u = s
            .add_user("c", "", 0, Some("$argon2id$secret"), None, UNIX_EPOCH)
            .unwrap();
        assert!(!format!("{u:?}").contains("secret"));
        assert_eq!(s.count_admins().unwrap(), 1);
    }

    #[test]
    fn test_user_id_high_water_survives_delete() {
        let (_d, s) = store();
        assert_eq!(s.user_id_high_water().unwrap(), 0);
        let a = s.add_user("a", "", 4, None, None, UNIX_EPOCH).unwrap();
        let b = s.add_user("b", "", 4, None, None, UNIX_EPOCH).unwrap();
        s.delete_user("b").unwrap();
        assert_eq!(s.user_id_high_water().unwrap(), b.id);
        assert!(b.id > a.id);
        let c = s.add_user("c", "", 4, None, None, UNIX_EPOCH).unwrap();
        assert!(c.id > b.id, "ids are never reused");
    }
}
