//! The `sessions` table: only the SHA-256 of each token is stored, with its
//! lifetimes and the SSO tokens fetched at login (JSON).

use std::time::SystemTime;

use super::backend::{args, pick, Row};
use super::{secs, Result, Store, StoreError};
use crate::tokens::SsoTokens;

/// One stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the cookie token.
    pub token_hash: [u8; 32],
    pub user_id: i64,
    /// Unix seconds.
    pub created: i64,
    pub expires: i64,
    pub last_seen: i64,
    pub remember: bool,
    pub sso: SsoTokens,
    /// The session passed a second factor (TOTP, recovery code or passkey).
    pub second_factor: bool,
}

const COLUMNS: &str =
    "token_hash, user_id, created, expires, last_seen, remember, sso, second_factor";

/// A row, or `None` when its hash is not 32 bytes (skipped). A row whose
/// SSO JSON cannot be read keeps the session, without tokens.
fn from_row(r: &Row) -> Result<Option<SessionRow>> {
    let Ok(token_hash) = <[u8; 32]>::try_from(r.blob(0)?.as_slice()) else {
        return Ok(None);
    };
    let user_id = r.int(1)?;
    let sso = r.text(6)?;
    let sso = if sso == "{}" {
        SsoTokens::default()
    } else {
        serde_json::from_str(&sso).unwrap_or_else(|e| {
            tracing::warn!(user_id, error = %e, "session SSO tokens unreadable; dropped");
            SsoTokens::default()
        })
    };
    Ok(Some(SessionRow {
        token_hash,
        user_id,
        created: r.int(2)?,
        expires: r.int(3)?,
        last_seen: r.int(4)?,
        remember: r.flag(5)?,
        sso,
        second_factor: r.flag(7)?,
    }))
}

impl Store {
    /// Stores a new session.
    pub fn insert_session(&self, row: &SessionRow) -> Result<()> {
        let sso = serde_json::to_string(&row.sso)
            .map_err(|e| StoreError::Corrupt("sessions.sso".into(), e.to_string()))?;
        self.db(|db| {
            db.execute(
                &format!(
                    "INSERT INTO sessions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                args![
                    &row.token_hash[..],
                    row.user_id,
                    row.created,
                    row.expires,
                    row.last_seen,
                    row.remember,
                    &sso,
                    row.second_factor
                ],
            )
        })?;
        Ok(())
    }

    /// Deletes one session; `true` when it existed.
    pub fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool> {
        Ok(self.db(|db| {
            db.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                args![&token_hash[..]],
            )
        })? > 0)
    }

    /// Deletes several sessions in one transaction; how many existed.
    pub fn delete_sessions(&self, hashes: &[[u8; 32]]) -> Result<usize> {
        if hashes.is_empty() {
            return Ok(0);
        }
        self.transaction(|db| {
            let mut n = 0;
            for h in hashes {
                n += db.execute("DELETE FROM sessions WHERE token_hash = ?1", args![&h[..]])?;
            }
            Ok(n)
        })
    }

    /// Deletes every session of a user; how many.
    pub fn delete_user_sessions(&self, user_id: i64) -> Result<usize> {
        self.db(|db| db.execute("DELETE FROM sessions WHERE user_id = ?1", args![user_id]))
    }

    /// Deletes sessions past their absolute expiry; how many.
    pub fn delete_expired(&self, now: SystemTime) -> Result<usize> {
        self.db(|db| db.execute("DELETE FROM sessions WHERE expires <= ?1", args![secs(now)]))
    }

    /// Every session not yet past its absolute expiry. A row whose SSO JSON
    /// cannot be read keeps the session, without tokens.
    pub fn live_sessions(&self, now: SystemTime) -> Result<Vec<SessionRow>> {
        let mut out = Vec::new();
        self.for_each_live_session(now, |row| out.push(row))?;
        Ok(out)
    }

    /// How many sessions are not yet past their absolute expiry.
    pub fn count_live_sessions(&self, now: SystemTime) -> Result<usize> {
        let n = self.db(|db| {
            db.query_one(
                "SELECT count(*) FROM sessions WHERE expires > ?1",
                args![secs(now)],
            )?
            .int(0)
        })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Hands every live session to `each`, one row at a time (no list of
    /// them all is built: loading 100,000 sessions stays small). Returns how
    /// many were read.
    pub fn for_each_live_session(
        &self,
        now: SystemTime,
        mut each: impl FnMut(SessionRow) + Send,
    ) -> Result<usize> {
        self.db(|db| {
            let mut n = 0;
            db.query_each(
                &format!("SELECT {COLUMNS} FROM sessions WHERE expires > ?1"),
                args![secs(now)],
                &mut |r| {
                    if let Some(row) = from_row(&r)? {
                        each(row);
                        n += 1;
                    }
                    Ok(())
                },
            )?;
            Ok(n)
        })
    }

    /// One session by its token hash, live or not (another gateway's
    /// session, looked up on a cache miss: docs/cluster.md).
    pub fn session_by_hash(&self, token_hash: &[u8; 32]) -> Result<Option<SessionRow>> {
        self.db(|db| {
            match db.query_opt(
                &format!("SELECT {COLUMNS} FROM sessions WHERE token_hash = ?1"),
                args![&token_hash[..]],
            )? {
                Some(r) => from_row(&r),
                None => Ok(None),
            }
        })
    }

    /// The token hashes of one user's stored sessions.
    pub fn user_session_hashes(&self, user_id: i64) -> Result<std::collections::HashSet<[u8; 32]>> {
        self.db(|db| {
            let mut out = std::collections::HashSet::new();
            db.query_each(
                "SELECT token_hash FROM sessions WHERE user_id = ?1",
                args![user_id],
                &mut |r| {
                    if let Ok(h) = <[u8; 32]>::try_from(r.blob(0)?.as_slice()) {
                        out.insert(h);
                    }
                    Ok(())
                },
            )?;
            Ok(out)
        })
    }

    /// The token hash of every stored session (expired ones included: the
    /// caller only asks which in-memory sessions another process removed).
    pub fn session_hashes(&self) -> Result<std::collections::HashSet<[u8; 32]>> {
        self.db(|db| {
            let mut out = std::collections::HashSet::new();
            db.query_each("SELECT token_hash FROM sessions", &[], &mut |r| {
                if let Ok(h) = <[u8; 32]>::try_from(r.blob(0)?.as_slice()) {
                    out.insert(h);
                }
                Ok(())
            })?;
            Ok(out)
        })
    }

    /// Writes `last_seen` for many sessions in one transaction.
    pub fn update_last_seen(&self, batch: &[([u8; 32], i64)]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.transaction(|db| {
            // Never moves back: another node may have saved a later use.
            let later = pick(
                db.dialect(),
                "max(last_seen, ?2)",
                "GREATEST(last_seen, ?2)",
            );
            let sql = format!("UPDATE sessions SET last_seen = {later} WHERE token_hash = ?1");
            for (hash, seen) in batch {
                db.execute(&sql, args![&hash[..], *seen])?;
            }
            Ok(())
        })
    }

    /// Replaces a session's SSO tokens.
    pub fn update_session_sso(&self, token_hash: &[u8; 32], sso: &SsoTokens) -> Result<()> {
        let json = serde_json::to_string(sso)
            .map_err(|e| StoreError::Corrupt("sessions.sso".into(), e.to_string()))?;
        self.db(|db| {
            db.execute(
                "UPDATE sessions SET sso = ?2 WHERE token_hash = ?1",
                args![&token_hash[..], &json],
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn test_sessions_roundtrip_expiry_and_cascade() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let u = s.add_user("alice", "", 4, None, None, UNIX_EPOCH).unwrap();
        let sso = SsoTokens {
            plex: Some("tok".into()),
            ..SsoTokens::default()
        };
        let row = SessionRow {
            token_hash: [7; 32],
            user_id: u.id,
            created: 100,
            expires: 200,
            last_seen: 100,
            remember: true,
            sso,
            second_factor: true,
        };
        s.insert_session(&row).unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(150);
        assert_eq!(s.live_sessions(now).unwrap(), vec![row.clone()]);
        s.update_last_seen(&[([7; 32], 160)]).unwrap();
        assert_eq!(s.live_sessions(now).unwrap()[0].last_seen, 160);
        let later = UNIX_EPOCH + Duration::from_secs(200);
        assert!(s.live_sessions(later).unwrap().is_empty());
        s.delete_user("alice").unwrap();
        assert_eq!(
            s.delete_expired(UNIX_EPOCH + Duration::from_secs(1000))
                .unwrap(),
            0
        );
        assert!(!s.delete_session(&[7; 32]).unwrap(), "cascade removed it");
    }

    #[test]
    fn test_sessions_delete_batch() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let u = s.add_user("bob", "", 4, None, None, UNIX_EPOCH).unwrap();
        for h in [1u8, 2] {
            s.insert_session(&SessionRow {
                token_hash: [h; 32],
                user_id: u.id,
                created: 0,
                expires: 100,
                last_seen: 0,
                remember: false,
                sso: SsoTokens::default(),
                second_factor: false,
            })
            .unwrap();
        }
        assert_eq!(s.delete_sessions(&[]).unwrap(), 0);
        assert_eq!(s.delete_sessions(&[[1; 32], [2; 32], [3; 32]]).unwrap(), 2);
        assert!(s.live_sessions(UNIX_EPOCH).unwrap().is_empty());
    }
}
