//! The `bans` table: login bans per user name and per client IP, so they
//! survive a restart.

use std::time::SystemTime;

use super::backend::{args, pick};
use super::{secs, Result, Store};

/// What a ban is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BanKind {
    /// A (lowercased) user name.
    User,
    /// A client IP address.
    Ip,
}

impl BanKind {
    fn as_str(self) -> &'static str {
        match self {
            BanKind::User => "user",
            BanKind::Ip => "ip",
        }
    }
}

/// One stored ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub kind: BanKind,
    pub key: String,
    /// Unix seconds.
    pub until: i64,
}

impl Store {
    /// Records (or extends) a ban.
    pub fn save_ban(&self, kind: BanKind, key: &str, until: i64) -> Result<()> {
        self.db(|db| {
            let sql = pick(
                db.dialect(),
                "INSERT INTO bans (kind, key, until) VALUES (?1, ?2, ?3)
                 ON CONFLICT(kind, key) DO UPDATE SET until = max(until, excluded.until)",
                "INSERT INTO bans (kind, key, until) VALUES (?1, ?2, ?3)
                 ON CONFLICT(kind, key) DO UPDATE SET until = greatest(bans.until, excluded.until)",
            );
            db.execute(sql, args![kind.as_str(), key, until])
        })?;
        Ok(())
    }

    /// Bans still in force; expired ones are deleted on the way.
    pub fn live_bans(&self, now: SystemTime) -> Result<Vec<Ban>> {
        self.db(|db| {
            db.execute("DELETE FROM bans WHERE until <= ?1", args![secs(now)])?;
            let mut out = Vec::new();
            for r in db.query("SELECT kind, key, until FROM bans", &[])? {
                let kind = if r.text(0)? == "ip" {
                    BanKind::Ip
                } else {
                    BanKind::User
                };
                out.push(Ban {
                    kind,
                    key: r.text(1)?,
                    until: r.int(2)?,
                });
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn test_bans_persist_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.save_ban(BanKind::User, "alice", 300).unwrap();
        s.save_ban(BanKind::Ip, "10.0.0.9", 100).unwrap();
        s.save_ban(BanKind::User, "alice", 200).unwrap(); // never shortens
        let again = Store::open(dir.path()).unwrap();
        let bans = again
            .live_bans(UNIX_EPOCH + Duration::from_secs(150))
            .unwrap();
        assert_eq!(
            bans,
            vec![Ban {
                kind: BanKind::User,
                key: "alice".into(),
                until: 300
            }]
        );
    }
}
