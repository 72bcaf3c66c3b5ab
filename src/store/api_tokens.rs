//! The `api_tokens` table: per-user tokens for machine clients. Only the
//! SHA-256 of a token is stored (it is shown once, at creation), with its
//! name, optional expiry and optional list of route names.

use std::time::SystemTime;

use rusqlite::{params, OptionalExtension, Row};

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

fn from_row(r: &Row<'_>) -> rusqlite::Result<Option<ApiTokenRow>> {
    let hash: Vec<u8> = r.get(2)?;
    let Ok(token_hash) = <[u8; 32]>::try_from(hash.as_slice()) else {
        return Ok(None);
    };
    let routes: String = r.get(4)?;
    Ok(Some(ApiTokenRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        token_hash,
        name: r.get(3)?,
        routes: routes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        created: r.get(5)?,
        expires: r.get(6)?,
    }))
}

impl Store {
    /// Stores a new token (`row.id` is ignored); returns its id.
    pub fn insert_api_token(&self, row: &ApiTokenRow) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO api_tokens (user_id, token_hash, name, routes, created, expires)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.user_id,
                &row.token_hash[..],
                row.name,
                row.routes.join(","),
                row.created,
                row.expires
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Every stored token (expired ones included), by id.
    pub fn all_api_tokens(&self) -> Result<Vec<ApiTokenRow>> {
        self.api_tokens_where("1 = 1", params![])
    }

    /// The user's tokens, by id.
    pub fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        self.api_tokens_where("user_id = ?1", params![user_id])
    }

    fn api_tokens_where(
        &self,
        condition: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<ApiTokenRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE {condition} ORDER BY id"
        ))?;
        let rows = stmt.query_map(args, from_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.extend(row?);
        }
        Ok(out)
    }

    /// Deletes a token; with `owner`, only when it belongs to that user.
    /// Returns the deleted token's hash.
    pub fn delete_api_token(&self, id: i64, owner: Option<i64>) -> Result<Option<[u8; 32]>> {
        let hash: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "DELETE FROM api_tokens WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)
                 RETURNING token_hash",
                params![id, owner],
                |r| r.get(0),
            )
            .optional()?;
        Ok(hash.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()))
    }

    /// Deletes tokens past their expiry; how many.
    pub fn delete_expired_api_tokens(&self, now: SystemTime) -> Result<usize> {
        Ok(self.conn().execute(
            "DELETE FROM api_tokens WHERE expires IS NOT NULL AND expires <= ?1",
            [secs(now)],
        )?)
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
