//! The `bans` table: login bans per user name or client IP, so they survive
//! a restart (DESIGN §5). Failure counters themselves live in memory only
//! (`auth::regulation`).

use std::time::SystemTime;

use rusqlite::params;

use super::{secs, Result, Store, StoreError};

/// What a ban is keyed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BanKind {
    /// A user name, lowercased.
    User,
    /// A client address (IPv4, or an IPv6 /64 in CIDR form).
    Ip,
}

impl BanKind {
    /// The stored spelling: `user` or `ip`.
    pub fn as_str(self) -> &'static str {
        match self {
            BanKind::User => "user",
            BanKind::Ip => "ip",
        }
    }

    fn parse(s: &str) -> Option<BanKind> {
        match s {
            "user" => Some(BanKind::User),
            "ip" => Some(BanKind::Ip),
            _ => None,
        }
    }
}

/// One stored ban.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ban {
    /// User or IP.
    pub kind: BanKind,
    /// The lowercased user name or the address text.
    pub key: String,
    /// Unix seconds; the ban ends at this instant.
    pub until: i64,
}

impl Store {
    /// Stores (or extends/replaces) a ban.
    pub fn save_ban(&self, kind: BanKind, key: &str, until: SystemTime) -> Result<()> {
        self.conn().execute(
            "INSERT INTO bans (kind, key, until) VALUES (?1, ?2, ?3)
             ON CONFLICT(kind, key) DO UPDATE SET until = excluded.until",
            params![kind.as_str(), key, secs(until)],
        )?;
        Ok(())
    }

    /// Every ban that has not ended at `now`.
    pub fn live_bans(&self, now: SystemTime) -> Result<Vec<Ban>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT kind, key, until FROM bans WHERE until > ?1")?;
        let rows = stmt.query_map([secs(now)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, key, until) = row?;
            let kind = BanKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt("bans.kind".into(), kind.clone()))?;
            out.push(Ban { kind, key, until });
        }
        Ok(out)
    }

    /// Deletes bans that have ended; returns how many.
    pub fn delete_expired_bans(&self, now: SystemTime) -> Result<usize> {
        Ok(self
            .conn()
            .execute("DELETE FROM bans WHERE until <= ?1", [secs(now)])?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn test_bans_save_extend_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.save_ban(BanKind::User, "alice", at(100)).unwrap();
        s.save_ban(BanKind::Ip, "192.0.2.1", at(50)).unwrap();
        s.save_ban(BanKind::User, "alice", at(200)).unwrap();
        let mut live = s.live_bans(at(60)).unwrap();
        live.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(
            live,
            vec![Ban {
                kind: BanKind::User,
                key: "alice".into(),
                until: 200
            }]
        );
        assert_eq!(s.delete_expired_bans(at(60)).unwrap(), 1);
        assert_eq!(s.live_bans(at(0)).unwrap().len(), 1);
    }
}
