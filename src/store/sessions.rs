//! The `sessions` table: one row per issued session token.
//!
//! Only SHA-256(token) is stored, never the token. Rows are written at
//! login, logout, expiry and by the batched `last_seen` flush — never per
//! request. A user's sessions are deleted with the user (`ON DELETE CASCADE`).

use std::time::SystemTime;

use rusqlite::{params, Row};

use super::{secs, Result, Store, StoreError};
use crate::sso::tokens::SsoTokens;

/// One stored session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the cookie token.
    pub token_hash: [u8; 32],
    /// The owner.
    pub user_id: i64,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds; the session is dead at and after this instant.
    pub expires: i64,
    /// Unix seconds of the last request seen (as last flushed).
    pub last_seen: i64,
    /// Issued with "remember me".
    pub remember: bool,
    /// SSO tokens fetched at login.
    pub sso: SsoTokens,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    let hash: Vec<u8> = r.get(0)?;
    let mut token_hash = [0u8; 32];
    if hash.len() == 32 {
        token_hash.copy_from_slice(&hash);
    }
    let sso_json: String = r.get(6)?;
    // A row whose JSON no longer parses keeps the session but loses its SSO
    // tokens; they are fetched again at the next login.
    let sso = serde_json::from_str(&sso_json).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "session SSO tokens could not be decoded; dropped");
        SsoTokens::default()
    });
    Ok(SessionRow {
        token_hash,
        user_id: r.get(1)?,
        created: r.get(2)?,
        expires: r.get(3)?,
        last_seen: r.get(4)?,
        remember: r.get::<_, i64>(5)? != 0,
        sso,
    })
}

fn sso_json(sso: &SsoTokens) -> Result<String> {
    serde_json::to_string(sso).map_err(|e| StoreError::Corrupt("sessions.sso".into(), e.to_string()))
}

impl Store {
    /// Stores a new session. [`StoreError::UnknownUser`] when the user does
    /// not exist (any more).
    pub fn insert_session(&self, row: &SessionRow) -> Result<()> {
        let sso = sso_json(&row.sso)?;
        let r = self.conn().execute(
            "INSERT INTO sessions (token_hash, user_id, created, expires, last_seen, remember, sso)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                &row.token_hash[..],
                row.user_id,
                row.created,
                row.expires,
                row.last_seen,
                i64::from(row.remember),
                sso
            ],
        );
        match r {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Err(StoreError::UnknownUser(format!("id {}", row.user_id)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes one session; `true` when it existed.
    pub fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool> {
        let n = self
            .conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [&token_hash[..]])?;
        Ok(n > 0)
    }

    /// Deletes several sessions in one transaction; returns how many existed.
    pub fn delete_sessions(&self, hashes: &[[u8; 32]]) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare("DELETE FROM sessions WHERE token_hash = ?1")?;
            for h in hashes {
                n += stmt.execute([&h[..]])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Deletes every session of a user; returns how many.
    pub fn delete_user_sessions(&self, user_id: i64) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?)
    }

    /// Deletes every session whose absolute expiry has passed.
    pub fn delete_expired(&self, now: SystemTime) -> Result<usize> {
        Ok(self
            .conn()
            .execute("DELETE FROM sessions WHERE expires <= ?1", [secs(now)])?)
    }

    /// Every session that has not reached its absolute expiry (the idle
    /// timeout is the session table's business).
    pub fn live_sessions(&self, now: SystemTime) -> Result<Vec<SessionRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT token_hash, user_id, created, expires, last_seen, remember, sso
             FROM sessions WHERE expires > ?1",
        )?;
        let rows = stmt.query_map([secs(now)], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Writes `last_seen` for many sessions in one transaction (never lowers
    /// a stored value). Unknown hashes are ignored.
    pub fn update_last_seen(&self, batch: &[([u8; 32], i64)]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE sessions SET last_seen = max(last_seen, ?1) WHERE token_hash = ?2",
            )?;
            for (hash, seen) in batch {
                stmt.execute(params![seen, &hash[..]])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces a session's SSO tokens; `false` when the session is gone.
    pub fn update_session_sso(&self, token_hash: &[u8; 32], sso: &SsoTokens) -> Result<bool> {
        let json = sso_json(sso)?;
        let n = self.conn().execute(
            "UPDATE sessions SET sso = ?1 WHERE token_hash = ?2",
            params![json, &token_hash[..]],
        )?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn row(hash: u8, user_id: i64, expires: i64) -> SessionRow {
        SessionRow {
            token_hash: [hash; 32],
            user_id,
            created: 1000,
            expires,
            last_seen: 1000,
            remember: false,
            sso: SsoTokens::default(),
        }
    }

    fn setup() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = store.add_user("u", "", 4, None, None).unwrap().id;
        (dir, store, id)
    }

    #[test]
    fn test_sessions_insert_live_delete() {
        let (_d, s, uid) = setup();
        let mut r = row(1, uid, 2000);
        r.sso.plex = Some("plex-token".into());
        r.remember = true;
        s.insert_session(&r).unwrap();
        s.insert_session(&row(2, uid, 1500)).unwrap();
        assert_eq!(s.live_sessions(at(1200)).unwrap().len(), 2);
        let live = s.live_sessions(at(1500)).unwrap();
        assert_eq!(live, vec![r.clone()]);
        assert_eq!(s.delete_expired(at(1500)).unwrap(), 1);
        assert!(s.delete_session(&[1; 32]).unwrap());
        assert!(!s.delete_session(&[1; 32]).unwrap());
        assert!(s.live_sessions(at(0)).unwrap().is_empty());
    }

    #[test]
    fn test_sessions_unknown_user_refused() {
        let (_d, s, _uid) = setup();
        let err = s.insert_session(&row(1, 999, 2000)).unwrap_err();
        assert!(matches!(err, StoreError::UnknownUser(_)), "{err}");
    }

    #[test]
    fn test_sessions_cascade_on_user_delete() {
        let (_d, s, uid) = setup();
        s.insert_session(&row(1, uid, 2000)).unwrap();
        s.delete_user(uid).unwrap();
        assert!(s.live_sessions(at(0)).unwrap().is_empty());
    }

    #[test]
    fn test_sessions_last_seen_batch_and_sso_update() {
        let (_d, s, uid) = setup();
        s.insert_session(&row(1, uid, 9000)).unwrap();
        s.insert_session(&row(2, uid, 9000)).unwrap();
        s.update_last_seen(&[([1; 32], 1500), ([2; 32], 900), ([3; 32], 1)]).unwrap();
        let sso = SsoTokens {
            ombi: Some("o".into()),
            ..Default::default()
        };
        assert!(s.update_session_sso(&[2; 32], &sso).unwrap());
        assert!(!s.update_session_sso(&[3; 32], &sso).unwrap());
        let mut live = s.live_sessions(at(0)).unwrap();
        live.sort_by_key(|r| r.token_hash);
        assert_eq!(live[0].last_seen, 1500);
        assert_eq!(live[1].last_seen, 1000, "never lowered");
        assert_eq!(live[1].sso, sso);
        assert_eq!(s.delete_user_sessions(uid).unwrap(), 2);
    }

    #[test]
    fn test_sessions_delete_batch() {
        let (_d, s, uid) = setup();
        s.insert_session(&row(1, uid, 9000)).unwrap();
        s.insert_session(&row(2, uid, 9000)).unwrap();
        assert_eq!(s.delete_sessions(&[[1; 32], [2; 32], [3; 32]]).unwrap(), 2);
    }
}
