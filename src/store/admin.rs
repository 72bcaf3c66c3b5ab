//! What the admin pages read and the sign-in records beyond the session
//! itself (schema step 3): a session's client address and user agent, a
//! user's last sign-in. Plain, standard SQL (no SQLite-only syntax), so
//! another backend can carry the same statements.

use std::collections::HashMap;
use std::time::SystemTime;

use rusqlite::params;

use super::{secs, Result, Store};

/// Longest user agent kept (the rest is cut at a character boundary).
pub const MAX_USER_AGENT: usize = 512;

/// Where a session was signed in from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionClient {
    /// The client address the gateway believed at sign-in (`""`: unknown,
    /// e.g. a session from before schema step 3).
    pub client_ip: String,
    /// The `User-Agent` sent at sign-in, at most [`MAX_USER_AGENT`] bytes.
    pub user_agent: String,
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Store {
    /// Records a sign-in: the new session's client address and user agent,
    /// and the user's last sign-in time, in one transaction.
    pub fn record_signin(
        &self,
        token_hash: &[u8; 32],
        user_id: i64,
        client_ip: &str,
        user_agent: &str,
        now: SystemTime,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE sessions SET client_ip = ?1, user_agent = ?2 WHERE token_hash = ?3",
            params![client_ip, cut(user_agent, MAX_USER_AGENT), &token_hash[..]],
        )?;
        tx.execute(
            "UPDATE users SET last_signin = ?1 WHERE id = ?2",
            params![secs(now), user_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every user's last sign-in (Unix seconds), by user id; users who never
    /// signed in (since schema step 3) are absent.
    pub fn last_signins(&self) -> Result<HashMap<i64, i64>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id, last_signin FROM users WHERE last_signin IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
    }

    /// The client address and user agent of every stored session, by token
    /// hash.
    pub fn session_clients(&self) -> Result<HashMap<[u8; 32], SessionClient>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT token_hash, client_ip, user_agent FROM sessions")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                SessionClient {
                    client_ip: r.get(1)?,
                    user_agent: r.get(2)?,
                },
            ))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (hash, client) = row?;
            if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
                out.insert(hash, client);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SessionRow;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn test_record_signin_fills_session_and_user() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("a", "", 4, None, None, UNIX_EPOCH).unwrap();
        let other = store.add_user("b", "", 4, None, None, UNIX_EPOCH).unwrap();
        let row = SessionRow {
            token_hash: [7; 32],
            user_id: u.id,
            created: 1,
            expires: 100,
            last_seen: 1,
            remember: false,
            sso: Default::default(),
            second_factor: false,
        };
        store.insert_session(&row).unwrap();
        assert_eq!(
            store.session_clients().unwrap()[&[7; 32]],
            SessionClient::default()
        );
        let long_agent = "é".repeat(400);
        store
            .record_signin(
                &[7; 32],
                u.id,
                "192.0.2.7",
                &long_agent,
                UNIX_EPOCH + Duration::from_secs(42),
            )
            .unwrap();
        let c = &store.session_clients().unwrap()[&[7; 32]];
        assert_eq!(c.client_ip, "192.0.2.7");
        assert!(c.user_agent.len() <= MAX_USER_AGENT && c.user_agent.starts_with("éé"));
        let last = store.last_signins().unwrap();
        assert_eq!(last.get(&u.id), Some(&42));
        assert_eq!(last.get(&other.id), None);
    }
}
