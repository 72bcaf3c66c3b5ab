//! API tokens for machine clients (docs/access.md "Machine clients"): the
//! in-memory table the hot path looks tokens up in, loaded at start and
//! kept in step with the store.
//!
//! A token is `gh_` + 256 random bits (base64url), shown once; only its
//! SHA-256 is stored and held here. A look-up hashes the presented value
//! and reads one concurrent map: no I/O, no global lock. Tokens created or
//! revoked by this process update the map at once; changes made by another
//! process (a second gateway, the admin pages of another instance) are
//! picked up by [`ApiTokenTable::reconcile`] when the store's
//! `data_version` moves, as sessions are.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use sha2::{Digest, Sha256};

use crate::clock::unix;
use crate::store::{ApiTokenRow, Store, StoreError};

/// What every token starts with (so it is recognisable in a config file or
/// by a secret scanner).
pub const PREFIX: &str = "gh_";

/// Length of a token: the prefix and 43 base64url characters.
pub const TOKEN_LEN: usize = PREFIX.len() + 43;

/// Longest token name accepted.
pub const MAX_NAME: usize = 100;

/// One live token, as a look-up finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Row id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// The name the user gave it.
    pub name: String,
    /// Route names it is valid for; empty = every machine-client route.
    pub routes: Vec<String>,
    /// Unix seconds after which it is refused.
    pub expires: Option<u64>,
    generation: u64,
}

impl ApiToken {
    /// Whether the token may be used on the route named `route`.
    pub fn allows_route(&self, route: &str) -> bool {
        self.routes.is_empty() || self.routes.iter().any(|r| r == route)
    }
}

/// The SHA-256 a token is stored and looked up under.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn from_row(row: &ApiTokenRow, generation: u64) -> ApiToken {
    ApiToken {
        id: row.id,
        user_id: row.user_id,
        name: row.name.clone(),
        routes: row.routes.clone(),
        expires: row.expires.map(|e| u64::try_from(e).unwrap_or(0)),
        generation,
    }
}

/// A token's parameters at creation.
#[derive(Debug, Clone, Default)]
pub struct NewToken {
    /// A name for the list (required, at most [`MAX_NAME`] bytes).
    pub name: String,
    /// Route names; empty = every route with `machine_clients = true`.
    pub routes: Vec<String>,
    /// Lifetime from now; `None` = no expiry.
    pub lifetime: Option<Duration>,
}

/// Live API tokens by hash.
#[derive(Debug, Default)]
pub struct ApiTokenTable {
    tokens: DashMap<[u8; 32], Arc<ApiToken>>,
    /// Counts tokens this process created (see [`Self::reconcile`]).
    generation: AtomicU64,
}

impl ApiTokenTable {
    /// Loads every stored token.
    pub fn load(store: &Store) -> Result<ApiTokenTable, StoreError> {
        let table = ApiTokenTable::default();
        for row in store.all_api_tokens()? {
            table
                .tokens
                .insert(row.token_hash, Arc::new(from_row(&row, 0)));
        }
        Ok(table)
    }

    /// The live token `presented` is, if any: right length, known, not
    /// expired at `now`.
    pub fn lookup(&self, presented: &str, now: SystemTime) -> Option<Arc<ApiToken>> {
        if presented.len() != TOKEN_LEN || !presented.starts_with(PREFIX) {
            return None;
        }
        let token = self.tokens.get(&token_hash(presented))?.value().clone();
        match token.expires {
            Some(e) if unix(now) >= e => None,
            _ => Some(token),
        }
    }

    /// Creates a token for `user_id`; returns the token (to show once) and
    /// its row.
    pub fn create(
        &self,
        store: &Store,
        user_id: i64,
        new: &NewToken,
        now: SystemTime,
    ) -> Result<(String, ApiTokenRow), StoreError> {
        let token = format!("{PREFIX}{}", crate::tokens::random_token());
        let created = unix(now);
        let mut row = ApiTokenRow {
            id: 0,
            user_id,
            token_hash: token_hash(&token),
            name: new.name.clone(),
            routes: new.routes.clone(),
            created: i64::try_from(created).unwrap_or(i64::MAX),
            expires: new
                .lifetime
                .map(|l| i64::try_from(created.saturating_add(l.as_secs())).unwrap_or(i64::MAX)),
        };
        row.id = store.insert_api_token(&row)?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.tokens
            .insert(row.token_hash, Arc::new(from_row(&row, generation)));
        Ok((token, row))
    }

    /// Revokes token `id` (only when it belongs to `owner`, if given);
    /// `true` when it existed.
    pub fn revoke(&self, store: &Store, id: i64, owner: Option<i64>) -> Result<bool, StoreError> {
        match store.delete_api_token(id, owner)? {
            Some(hash) => {
                self.tokens.remove(&hash);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The user's tokens as stored (for the account and admin pages).
    pub fn list(&self, store: &Store, user_id: i64) -> Result<Vec<ApiTokenRow>, StoreError> {
        store.api_tokens_of(user_id)
    }

    /// Re-reads the store after another process changed it: tokens gone
    /// from the store are dropped (unless this process created them after
    /// the read began), new ones added. Returns how many were dropped.
    pub fn reconcile(&self, store: &Store) -> Result<usize, StoreError> {
        let mark = self.generation.load(Ordering::SeqCst);
        let rows = store.all_api_tokens()?;
        let stored: std::collections::HashSet<[u8; 32]> =
            rows.iter().map(|r| r.token_hash).collect();
        let before = self.tokens.len();
        self.tokens
            .retain(|hash, t| t.generation > mark || stored.contains(hash));
        let dropped = before.saturating_sub(self.tokens.len());
        for row in rows {
            self.tokens
                .entry(row.token_hash)
                .or_insert_with(|| Arc::new(from_row(&row, 0)));
        }
        Ok(dropped)
    }

    /// Number of tokens in memory.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// `true` when no token is held.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// The credential of an `Authorization` header value, as a machine client
/// sends it: `Bearer TOKEN`, or `Basic base64(user:TOKEN)`. `None` for any
/// other scheme or a malformed value.
pub fn parse_authorization(value: &[u8]) -> Option<Presented> {
    use base64::Engine as _;
    let text = std::str::from_utf8(value).ok()?.trim();
    let (scheme, rest) = text.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(Presented {
            user: None,
            token: rest.to_string(),
        });
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let pair = String::from_utf8(raw).ok()?;
        let (user, token) = pair.split_once(':')?;
        return Some(Presented {
            user: Some(user.to_string()),
            token: token.to_string(),
        });
    }
    None
}

/// A credential from an `Authorization` header. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Presented {
    /// The Basic user name (`None` for Bearer).
    pub user: Option<String>,
    /// The token (Bearer) or the Basic password.
    pub token: String,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented")
            .field("user", &self.user)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn test_create_lookup_expire_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("a", "", 4, None, None, at(0)).unwrap();
        let table = ApiTokenTable::load(&store).unwrap();
        let new = NewToken {
            name: "sonarr app".into(),
            routes: vec!["sonarr".into()],
            lifetime: Some(Duration::from_secs(100)),
        };
        let (token, row) = table.create(&store, u.id, &new, at(10)).unwrap();
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(token.starts_with(PREFIX));
        assert_eq!(row.expires, Some(110));
        let found = table.lookup(&token, at(50)).unwrap();
        assert!(found.allows_route("sonarr") && !found.allows_route("radarr"));
        assert!(table.lookup(&token, at(110)).is_none(), "expired");
        assert!(table.lookup(&token[..TOKEN_LEN - 1], at(50)).is_none());
        // a restart loads it back; only the hash was stored
        let again = ApiTokenTable::load(&store).unwrap();
        assert!(again.lookup(&token, at(50)).is_some());
        assert!(store.all_api_tokens().unwrap()[0].token_hash == token_hash(&token));
        assert!(!table.revoke(&store, row.id, Some(u.id + 1)).unwrap());
        assert!(table.revoke(&store, row.id, Some(u.id)).unwrap());
        assert!(table.lookup(&token, at(50)).is_none());
        assert_eq!(again.reconcile(&store).unwrap(), 1, "gone elsewhere");
        assert!(again.lookup(&token, at(50)).is_none());
    }

    #[test]
    fn test_reconcile_adds_new_and_keeps_own_newer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let u = store.add_user("a", "", 4, None, None, at(0)).unwrap();
        let mine = ApiTokenTable::load(&store).unwrap();
        let other = ApiTokenTable::load(&Store::open(dir.path()).unwrap()).unwrap();
        let (t, _) = other
            .create(&store, u.id, &NewToken::default(), at(0))
            .unwrap();
        assert!(mine.lookup(&t, at(1)).is_none());
        mine.reconcile(&store).unwrap();
        assert!(mine.lookup(&t, at(1)).is_some(), "picked up");
        let (own, row) = mine
            .create(&store, u.id, &NewToken::default(), at(0))
            .unwrap();
        store.delete_api_token(row.id, None).unwrap();
        mine.generation.fetch_sub(1, Ordering::SeqCst);
        mine.reconcile(&store).unwrap();
        assert!(mine.lookup(&own, at(1)).is_some(), "created after the read");
    }

    #[test]
    fn test_parse_authorization() {
        assert_eq!(
            parse_authorization(b"Bearer gh_abc"),
            Some(Presented {
                user: None,
                token: "gh_abc".into()
            })
        );
        // "alice:gh_x" in base64
        assert_eq!(
            parse_authorization(b"basic YWxpY2U6Z2hfeA=="),
            Some(Presented {
                user: Some("alice".into()),
                token: "gh_x".into()
            })
        );
        assert_eq!(parse_authorization(b"Basic !!!"), None);
        assert_eq!(parse_authorization(b"Digest x"), None);
        assert_eq!(parse_authorization(b"Bearer"), None);
        assert_eq!(parse_authorization(&[0xff, 0xfe]), None);
        assert!(!format!("{:?}", parse_authorization(b"Bearer gh_secret")).contains("secret"));
    }
}
