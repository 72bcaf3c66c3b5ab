//! The `api_tokens` table: per-user tokens for machine clients. Only the
//! SHA-256 of a token is stored (it is shown once, at creation), with its
//! name, optional expiry and optional list of route names.

use std::time::SystemTime;

use super::backend::{args, Row, Value};
use super::{secs, Result, Store};

/// One stored API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    /// Row id (what revocation names).
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// The name the user gave it.
    pub name: String,
    /// Route names it is valid for; empty = every route with
    /// `machine_clients = true`.
    pub routes: Vec<String>,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds after which it is refused; `None` = never.
    pub expires: Option<i64>,
}

const COLUMNS: &str = "id, user_id, token_hash, name, routes, created, expires";

fn from_row(r: &Row) -> Result<Option<ApiTokenRow>> {
    let Ok(token_hash) = <[u8; 32]>::try_from(r.blob(2)?.as_slice()) else {
        return Ok(None);
    };
    Ok(Some(ApiTokenRow {
        id: r.int(0)?,
        user_id: r.int(1)?,
        token_hash,
        name: r.text(3)?,
        routes: r
            .text(4)?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        created: r.int(5)?,
        expires: r.opt_int(6)?,
    }))
}

impl Store {
    /// Stores a new token (`row.id` is ignored); returns its id.
    pub fn insert_api_token(&self, row: &ApiTokenRow) -> Result<i64> {
        self.db(|db| {
            db.query_one(
                "INSERT INTO api_tokens (user_id, token_hash, name, routes, created, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                args![
                    row.user_id,
                    &row.token_hash[..],
                    &row.name,
                    row.routes.join(","),
                    row.created,
                    row.expires
                ],
            )?
            .int(0)
        })
    }

    /// Every stored token (expired ones included), by id.
    pub fn all_api_tokens(&self) -> Result<Vec<ApiTokenRow>> {
        self.api_tokens_where("1 = 1", &[])
    }

    /// The user's tokens, by id.
    pub fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        self.api_tokens_where("user_id = ?1", args![user_id])
    }

    fn api_tokens_where(&self, condition: &str, args: &[Value]) -> Result<Vec<ApiTokenRow>> {
        self.db(|db| {
            let mut out = Vec::new();
            for r in db.query(
                &format!("SELECT {COLUMNS} FROM api_tokens WHERE {condition} ORDER BY id"),
                args,
            )? {
                out.extend(from_row(&r)?);
            }
            Ok(out)
        })
    }

    /// Deletes a token; with `owner`, only when it belongs to that user.
    /// Returns the deleted token's hash.
    pub fn delete_api_token(&self, id: i64, owner: Option<i64>) -> Result<Option<[u8; 32]>> {
        let hash = self.db(|db| {
            let row = match owner {
                Some(owner) => db.query_opt(
                    "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2 RETURNING token_hash",
                    args![id, owner],
                )?,
                None => db.query_opt(
                    "DELETE FROM api_tokens WHERE id = ?1 RETURNING token_hash",
                    args![id],
                )?,
            };
            row.map(|r| r.blob(0)).transpose()
        })?;
        Ok(hash.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()))
    }

    /// Deletes tokens past their expiry; how many.
    pub fn delete_expired_api_tokens(&self, now: SystemTime) -> Result<usize> {
        self.db(|db| {
            db.execute(
                "DELETE FROM api_tokens WHERE expires IS NOT NULL AND expires <= ?1",
                args![secs(now)],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn row(user_id: i64, hash: u8, expires: Option<i64>) -> ApiTokenRow {
        ApiTokenRow {
            id: 0,
            user_id,
            token_hash: [hash; 32],
            name: format!("t{hash}"),
            routes: vec!["sonarr".into(), "radarr".into()],
            created: 0,
            expires,
        }
    }

    #[test]
    fn test_api_tokens_roundtrip_revoke_expire_cascade() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let a = s.add_user("a", "", 4, None, None, UNIX_EPOCH).unwrap();
        let b = s.add_user("b", "", 4, None, None, UNIX_EPOCH).unwrap();
        let t1 = s.insert_api_token(&row(a.id, 1, None)).unwrap();
        let t2 = s.insert_api_token(&row(a.id, 2, Some(100))).unwrap();
        s.insert_api_token(&row(b.id, 3, None)).unwrap();
        let mine = s.api_tokens_of(a.id).unwrap();
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0].routes, vec!["sonarr", "radarr"]);
        assert_eq!(mine[0].id, t1);
        assert_eq!(s.delete_api_token(t1, Some(b.id)).unwrap(), None, "not b's");
        assert_eq!(s.delete_api_token(t1, Some(a.id)).unwrap(), Some([1; 32]));
        assert_eq!(
            s.delete_expired_api_tokens(UNIX_EPOCH + Duration::from_secs(100))
                .unwrap(),
            1
        );
        assert!(s.api_tokens_of(a.id).unwrap().iter().all(|t| t.id != t2));
        s.delete_user("b").unwrap();
        assert!(s.all_api_tokens().unwrap().is_empty());
    }
}
