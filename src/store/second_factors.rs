//! Second factors: a user's TOTP secret (with the last time step used, so a
//! code is accepted once), the SHA-256 of their single-use recovery codes,
//! their passkeys (webauthn-rs `Passkey` as JSON) and the random WebAuthn
//! user handle a discoverable passkey names them by.

use std::time::SystemTime;

use super::backend::{args, Db, Row};
use super::{secs, Result, Store, StoreError};

/// A confirmed TOTP enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRow {
    /// The owner.
    pub user_id: i64,
    /// The shared secret, base32 (RFC 4648, no padding).
    pub secret: String,
    /// The highest RFC 6238 time step accepted so far (0 = none yet).
    pub last_step: i64,
    /// Unix seconds.
    pub created: i64,
}

impl std::fmt::Debug for TotpRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRow")
            .field("user_id", &self.user_id)
            .field("secret", &"<redacted>")
            .field("last_step", &self.last_step)
            .field("created", &self.created)
            .finish()
    }
}

/// One registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRow {
    /// Row id (what the account page revokes by).
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// The WebAuthn credential id.
    pub credential_id: Vec<u8>,
    /// The name the user gave it.
    pub name: String,
    /// webauthn-rs `Passkey`, serialized as JSON (public key, counter).
    pub passkey: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds of the last sign-in with it.
    pub last_used: Option<i64>,
}

const PASSKEY_COLUMNS: &str = "id, user_id, credential_id, name, passkey, created, last_used";

fn passkey_row(r: &Row) -> Result<PasskeyRow> {
    Ok(PasskeyRow {
        id: r.int(0)?,
        user_id: r.int(1)?,
        credential_id: r.blob(2)?,
        name: r.text(3)?,
        passkey: r.text(4)?,
        created: r.int(5)?,
        last_used: r.opt_int(6)?,
    })
}

impl Store {
    /// The user's confirmed TOTP enrolment.
    pub fn totp(&self, user_id: i64) -> Result<Option<TotpRow>> {
        self.db(|db| {
            db.query_opt(
                "SELECT user_id, secret, last_step, created FROM totp WHERE user_id = ?1",
                args![user_id],
            )?
            .map(|r| {
                Ok(TotpRow {
                    user_id: r.int(0)?,
                    secret: r.text(1)?,
                    last_step: r.int(2)?,
                    created: r.int(3)?,
                })
            })
            .transpose()
        })
    }

    /// Stores a confirmed TOTP secret (replacing any earlier one) whose code
    /// for `step` was just accepted, and replaces the user's recovery codes
    /// with `recovery` (SHA-256 hashes), in one transaction.
    pub fn set_totp(
        &self,
        user_id: i64,
        secret: &str,
        step: i64,
        recovery: &[[u8; 32]],
        now: SystemTime,
    ) -> Result<()> {
        self.transaction(|db| {
            db.execute(
                "INSERT INTO totp (user_id, secret, last_step, created) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret,
                    last_step = excluded.last_step, created = excluded.created",
                args![user_id, secret, step, secs(now)],
            )?;
            replace_codes(db, user_id, recovery)
        })
    }

    /// Accepts time step `step` for the user's TOTP once: `true` when it is
    /// later than every step accepted before (the update is atomic, so two
    /// requests or two processes racing with one code cannot both win).
    pub fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        Ok(self.db(|db| {
            db.execute(
                "UPDATE totp SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2",
                args![user_id, step],
            )
        })? == 1)
    }

    /// Removes the user's TOTP and recovery codes; `true` when TOTP existed.
    pub fn delete_totp(&self, user_id: i64) -> Result<bool> {
        let n = self.transaction(|db| {
            let n = db.execute("DELETE FROM totp WHERE user_id = ?1", args![user_id])?;
            db.execute(
                "DELETE FROM recovery_codes WHERE user_id = ?1",
                args![user_id],
            )?;
            Ok(n)
        })?;
        Ok(n > 0)
    }

    /// Replaces the user's recovery codes (SHA-256 hashes).
    pub fn replace_recovery_codes(&self, user_id: i64, hashes: &[[u8; 32]]) -> Result<()> {
        self.transaction(|db| replace_codes(db, user_id, hashes))
    }

    /// Uses up one recovery code: `true` when it existed (it is deleted, so
    /// it works once).
    pub fn use_recovery_code(&self, user_id: i64, hash: &[u8; 32]) -> Result<bool> {
        Ok(self.db(|db| {
            db.execute(
                "DELETE FROM recovery_codes WHERE user_id = ?1 AND code_hash = ?2",
                args![user_id, &hash[..]],
            )
        })? == 1)
    }

    /// How many unused recovery codes the user has.
    pub fn count_recovery_codes(&self, user_id: i64) -> Result<usize> {
        let n = self.db(|db| {
            db.query_one(
                "SELECT count(*) FROM recovery_codes WHERE user_id = ?1",
                args![user_id],
            )?
            .int(0)
        })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Registers a passkey; its credential id must be new (a credential
    /// registered to anyone already is refused).
    pub fn add_passkey(
        &self,
        user_id: i64,
        credential_id: &[u8],
        name: &str,
        passkey: &str,
        now: SystemTime,
    ) -> Result<i64> {
        self.db(|db| {
            db.query_one(
                "INSERT INTO passkeys (user_id, credential_id, name, passkey, created)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                args![user_id, credential_id, name, passkey, secs(now)],
            )?
            .int(0)
        })
        .map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Corrupt("passkeys.credential_id".into(), "already registered".into())
            } else {
                e
            }
        })
    }

    /// The user's passkeys, oldest first.
    pub fn passkeys_of(&self, user_id: i64) -> Result<Vec<PasskeyRow>> {
        self.db(|db| {
            db.query(
                &format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = ?1 ORDER BY id"),
                args![user_id],
            )?
            .iter()
            .map(passkey_row)
            .collect()
        })
    }

    /// The passkey with this credential id, whoever owns it.
    pub fn passkey_by_credential(&self, credential_id: &[u8]) -> Result<Option<PasskeyRow>> {
        self.db(|db| {
            db.query_opt(
                &format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = ?1"),
                args![credential_id],
            )?
            .map(|r| passkey_row(&r))
            .transpose()
        })
    }

    /// Stores a passkey's updated state (its signature counter) after a
    /// sign-in with it.
    pub fn touch_passkey(&self, id: i64, passkey: &str, now: SystemTime) -> Result<()> {
        self.db(|db| {
            db.execute(
                "UPDATE passkeys SET passkey = ?2, last_used = ?3 WHERE id = ?1",
                args![id, passkey, secs(now)],
            )
        })?;
        Ok(())
    }

    /// Removes one of the user's passkeys; `true` when it existed.
    pub fn delete_passkey(&self, user_id: i64, id: i64) -> Result<bool> {
        Ok(self.db(|db| {
            db.execute(
                "DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2",
                args![id, user_id],
            )
        })? == 1)
    }

    /// The user's WebAuthn user handle, created (16 random bytes) when the
    /// user has none yet.
    pub fn webauthn_handle(&self, user_id: i64, fresh: [u8; 16]) -> Result<[u8; 16]> {
        let handle = self.db(|db| {
            db.execute(
                "INSERT INTO webauthn_handles (user_id, handle) VALUES (?1, ?2)
                 ON CONFLICT(user_id) DO NOTHING",
                args![user_id, &fresh[..]],
            )?;
            db.query_one(
                "SELECT handle FROM webauthn_handles WHERE user_id = ?1",
                args![user_id],
            )?
            .blob(0)
        })?;
        <[u8; 16]>::try_from(handle.as_slice())
            .map_err(|_| StoreError::Corrupt("webauthn_handles.handle".into(), "length".into()))
    }

    /// The user a WebAuthn user handle belongs to.
    pub fn user_by_webauthn_handle(&self, handle: &[u8]) -> Result<Option<i64>> {
        self.db(|db| {
            db.query_opt(
                "SELECT user_id FROM webauthn_handles WHERE handle = ?1",
                args![handle],
            )?
            .map(|r| r.int(0))
            .transpose()
        })
    }

    /// Whether the user has any second factor: TOTP, or at least one passkey.
    pub fn has_second_factor(&self, user_id: i64) -> Result<bool> {
        self.db(|db| {
            db.query_one(
                "SELECT EXISTS (SELECT 1 FROM totp WHERE user_id = ?1)
                     OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = ?1)",
                args![user_id],
            )?
            .flag(0)
        })
    }
}

fn replace_codes(db: &mut dyn Db, user_id: i64, hashes: &[[u8; 32]]) -> Result<()> {
    db.execute(
        "DELETE FROM recovery_codes WHERE user_id = ?1",
        args![user_id],
    )?;
    for h in hashes {
        db.execute(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            args![user_id, &h[..]],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn store() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let u = s.add_user("alice", "", 4, None, None, UNIX_EPOCH).unwrap();
        (dir, s, u.id)
    }

    #[test]
    fn test_totp_step_accepted_once_and_increasing() {
        let (_d, s, id) = store();
        assert!(s.totp(id).unwrap().is_none());
        assert!(!s.has_second_factor(id).unwrap());
        s.set_totp(id, "JBSWY3DPEHPK3PXP", 100, &[[1; 32], [2; 32]], UNIX_EPOCH)
            .unwrap();
        assert!(s.has_second_factor(id).unwrap());
        assert_eq!(s.totp(id).unwrap().unwrap().last_step, 100);
        assert!(
            !s.use_totp_step(id, 100).unwrap(),
            "the confirming code is used"
        );
        assert!(!s.use_totp_step(id, 99).unwrap(), "an older step");
        assert!(s.use_totp_step(id, 101).unwrap());
        assert!(!s.use_totp_step(id, 101).unwrap(), "replayed");
        assert!(!format!("{:?}", s.totp(id).unwrap()).contains("JBSW"));
    }

    #[test]
    fn test_recovery_codes_single_use_and_replaced() {
        let (_d, s, id) = store();
        s.replace_recovery_codes(id, &[[1; 32], [2; 32]]).unwrap();
        assert_eq!(s.count_recovery_codes(id).unwrap(), 2);
        assert!(s.use_recovery_code(id, &[1; 32]).unwrap());
        assert!(!s.use_recovery_code(id, &[1; 32]).unwrap());
        s.replace_recovery_codes(id, &[[3; 32]]).unwrap();
        assert!(!s.use_recovery_code(id, &[2; 32]).unwrap(), "old set gone");
        assert!(s.delete_totp(id).is_ok());
        assert_eq!(s.count_recovery_codes(id).unwrap(), 0);
    }

    #[test]
    fn test_passkeys_unique_credential_and_cascade() {
        let (_d, s, id) = store();
        let other = s.add_user("bob", "", 4, None, None, UNIX_EPOCH).unwrap();
        let pk = s
            .add_passkey(id, b"cred-1", "laptop", "{}", UNIX_EPOCH)
            .unwrap();
        assert!(s
            .add_passkey(other.id, b"cred-1", "x", "{}", UNIX_EPOCH)
            .is_err());
        assert_eq!(
            s.passkey_by_credential(b"cred-1").unwrap().unwrap().user_id,
            id
        );
        assert!(s.has_second_factor(id).unwrap());
        assert!(!s.delete_passkey(other.id, pk).unwrap(), "not bob's");
        s.touch_passkey(pk, "{\"n\":1}", UNIX_EPOCH).unwrap();
        assert_eq!(s.passkeys_of(id).unwrap()[0].passkey, "{\"n\":1}");
        let h = s.webauthn_handle(id, [7; 16]).unwrap();
        assert_eq!(s.webauthn_handle(id, [8; 16]).unwrap(), h, "kept");
        assert_eq!(s.user_by_webauthn_handle(&h).unwrap(), Some(id));
        s.delete_user("alice").unwrap();
        assert!(s.passkey_by_credential(b"cred-1").unwrap().is_none());
        assert!(s.user_by_webauthn_handle(&h).unwrap().is_none());
    }
}
