//! What the admin pages read and the sign-in records beyond the session
//! itself (schema step 3): a session's client address and user agent, a
//! user's last sign-in. Plain, standard SQL (no SQLite-only syntax), so
//! another backend can carry the same statements.

use std::collections::HashMap;
use std::time::SystemTime;

use super::backend::args;
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
        let agent = cut(user_agent, MAX_USER_AGENT);
        self.transaction(|db| {
            db.execute(
                "UPDATE sessions SET client_ip = ?1, user_agent = ?2 WHERE token_hash = ?3",
                args![client_ip, agent, &token_hash[..]],
            )?;
            db.execute(
                "UPDATE users SET last_signin = ?1 WHERE id = ?2",
                args![secs(now), user_id],
            )?;
            Ok(())
        })
    }

    /// Every user's last sign-in (Unix seconds), by user id; users who never
    /// signed in (since schema step 3) are absent.
    pub fn last_signins(&self) -> Result<HashMap<i64, i64>> {
        self.db(|db| {
            db.query(
                "SELECT id, last_signin FROM users WHERE last_signin IS NOT NULL",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.int(0)?, r.int(1)?)))
            .collect()
        })
    }

    /// The client address and user agent of every stored session, by token
    /// hash.
    pub fn session_clients(&self) -> Result<HashMap<[u8; 32], SessionClient>> {
        self.db(|db| {
            let mut out = HashMap::new();
            for r in db.query(
                "SELECT token_hash, client_ip, user_agent FROM sessions",
                &[],
            )? {
                if let Ok(hash) = <[u8; 32]>::try_from(r.blob(0)?.as_slice()) {
                    out.insert(
                        hash,
                        SessionClient {
                            client_ip: r.text(1)?,
                            user_agent: r.text(2)?,
                        },
                    );
                }
            }
            Ok(out)
        })
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
