//! The `users` table: accounts with an Organizr group number.
//!
//! Names are unique case-insensitively (`COLLATE NOCASE`, which folds ASCII
//! letters only). Methods that change one user take its id and answer
//! [`StoreError::UnknownUser`] when no row matched.

use rusqlite::{params, OptionalExtension, Row};

use super::{Result, Store, StoreError};

/// One account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Row id, stable for the account's life.
    pub id: i64,
    /// Login name as written at creation.
    pub name: String,
    /// E-mail ("" when unknown).
    pub email: String,
    /// Organizr group number (0 admin … 4 user, 5–997 custom).
    pub group: u16,
    /// PHC string (argon2id, or an imported bcrypt hash); `None` for
    /// accounts that only sign in through Plex.
    pub password_hash: Option<String>,
    /// A locked user is treated as signed out everywhere.
    pub locked: bool,
    /// plex.tv account id, for users created or linked by the Plex backend.
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
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .field("locked", &self.locked)
            .field("plex_id", &self.plex_id)
            .field("created", &self.created)
            .finish()
    }
}

const COLUMNS: &str = "id, name, email, grp, password_hash, locked, plex_id, created";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let group: i64 = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        // Out-of-range values (hand-edited rows) become the least privilege.
        group: u16::try_from(group).unwrap_or(crate::auth::groups::GUEST),
        password_hash: r.get(4)?,
        locked: r.get::<_, i64>(5)? != 0,
        plex_id: r.get(6)?,
        created: r.get(7)?,
    })
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

impl Store {
    /// Creates a user; `created` is the current time.
    /// [`StoreError::DuplicateName`] when the name exists in any letter case.
    pub fn add_user(
        &self,
        name: &str,
        email: &str,
        group: u16,
        password_hash: Option<&str>,
        plex_id: Option<i64>,
    ) -> Result<User> {
        let created = super::secs(crate::clock::now());
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO users (name, email, grp, password_hash, locked, plex_id, created)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
            params![name, email, group, password_hash, plex_id, created],
        );
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(StoreError::DuplicateName(name.to_owned())),
            Err(e) => return Err(e.into()),
        }
        Ok(User {
            id: conn.last_insert_rowid(),
            name: name.to_owned(),
            email: email.to_owned(),
            group,
            password_hash: password_hash.map(str::to_owned),
            locked: false,
            plex_id,
            created,
        })
    }

    /// The user with this name, compared case-insensitively.
    pub fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE name = ?1");
        Ok(self.conn().query_row(&sql, [name], from_row).optional()?)
    }

    /// The user with this id.
    pub fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
        Ok(self.conn().query_row(&sql, [id], from_row).optional()?)
    }

    /// The user linked to this plex.tv account id.
    pub fn user_by_plex_id(&self, plex_id: i64) -> Result<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE plex_id = ?1 ORDER BY id LIMIT 1");
        Ok(self.conn().query_row(&sql, [plex_id], from_row).optional()?)
    }

    /// Every user, by id.
    pub fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY id");
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Number of users in group 0 (locked ones included).
    pub fn count_admins(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM users WHERE grp = 0", [], |r| r.get(0))?)
    }

    fn update_user(&self, id: i64, sql: &str, value: impl rusqlite::ToSql) -> Result<()> {
        let n = self.conn().execute(sql, params![value, id])?;
        if n == 0 {
            return Err(StoreError::UnknownUser(format!("id {id}")));
        }
        Ok(())
    }

    /// Replaces the password hash (`None` removes local sign-in).
    pub fn set_password(&self, id: i64, password_hash: Option<&str>) -> Result<()> {
        self.update_user(id, "UPDATE users SET password_hash = ?1 WHERE id = ?2", password_hash)
    }

    /// Changes the group number.
    pub fn set_group(&self, id: i64, group: u16) -> Result<()> {
        self.update_user(id, "UPDATE users SET grp = ?1 WHERE id = ?2", group)
    }

    /// Locks or unlocks the account.
    pub fn set_locked(&self, id: i64, locked: bool) -> Result<()> {
        self.update_user(id, "UPDATE users SET locked = ?1 WHERE id = ?2", i64::from(locked))
    }

    /// Changes the e-mail.
    pub fn set_email(&self, id: i64, email: &str) -> Result<()> {
        self.update_user(id, "UPDATE users SET email = ?1 WHERE id = ?2", email)
    }

    /// Links (or unlinks) a plex.tv account id.
    pub fn set_plex_id(&self, id: i64, plex_id: Option<i64>) -> Result<()> {
        self.update_user(id, "UPDATE users SET plex_id = ?1 WHERE id = ?2", plex_id)
    }

    /// Deletes the user; its sessions go with it (`ON DELETE CASCADE`).
    pub fn delete_user(&self, id: i64) -> Result<()> {
        let n = self.conn().execute("DELETE FROM users WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(StoreError::UnknownUser(format!("id {id}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn test_add_user_and_lookups() {
        let (_d, s) = store();
        let u = s.add_user("Alice", "a@example.com", 4, Some("$argon2id$x"), Some(7)).unwrap();
        assert!(u.id > 0 && u.created > 0 && !u.locked);
        assert_eq!(s.user_by_name("alice").unwrap(), Some(u.clone()));
        assert_eq!(s.user_by_name("ALICE").unwrap(), Some(u.clone()));
        assert_eq!(s.user_by_id(u.id).unwrap(), Some(u.clone()));
        assert_eq!(s.user_by_plex_id(7).unwrap(), Some(u.clone()));
        assert_eq!(s.user_by_name("bob").unwrap(), None);
        assert_eq!(s.list_users().unwrap(), vec![u]);
    }

    #[test]
    fn test_add_user_duplicate_name_any_case() {
        let (_d, s) = store();
        s.add_user("Alice", "", 4, None, None).unwrap();
        let err = s.add_user("aLiCe", "", 4, None, None).unwrap_err();
        assert!(matches!(err, StoreError::DuplicateName(ref n) if n == "aLiCe"), "{err}");
    }

    #[test]
    fn test_setters_change_row() {
        let (_d, s) = store();
        let u = s.add_user("bob", "", 4, None, None).unwrap();
        s.set_password(u.id, Some("$argon2id$new")).unwrap();
        s.set_group(u.id, 0).unwrap();
        s.set_locked(u.id, true).unwrap();
        s.set_email(u.id, "b@example.com").unwrap();
        s.set_plex_id(u.id, Some(42)).unwrap();
        let got = s.user_by_id(u.id).unwrap().unwrap();
        assert_eq!(got.password_hash.as_deref(), Some("$argon2id$new"));
        assert_eq!((got.group, got.locked, got.plex_id), (0, true, Some(42)));
        assert_eq!(got.email, "b@example.com");
        assert_eq!(s.count_admins().unwrap(), 1);
    }

    #[test]
    fn test_setters_unknown_id() {
        let (_d, s) = store();
        assert!(matches!(s.set_group(99, 1), Err(StoreError::UnknownUser(ref m)) if m == "id 99"));
        assert!(matches!(s.delete_user(99), Err(StoreError::UnknownUser(_))));
    }

    #[test]
    fn test_debug_redacts_hash() {
        let (_d, s) = store();
        let u = s.add_user("c", "", 4, Some("$2y$10$secret"), None).unwrap();
        assert!(!format!("{u:?}").contains("secret"));
    }
}
