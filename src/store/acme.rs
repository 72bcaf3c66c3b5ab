//! The ACME tables, shared by every gateway on this store (docs/cluster.md):
//! `acme_accounts` (one account per CA directory URL), `acme_certs` (each
//! name's certificate with its key, one PEM text) and `acme_leases` (which
//! node is ordering a name now, so two gateways never order the same
//! certificate at once). The certificate files under `data_dir/acme/` stay
//! each node's own copy; these rows are what the nodes agree on.

use super::backend::args;
use super::{Result, Store};

/// One stored ACME certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeCertRow {
    /// The name ordered (`*.example.com` for a wildcard).
    pub name: String,
    /// The private key and the chain, one PEM text.
    pub pem: String,
    /// The certificate's notBefore, Unix seconds: the later one is the newer
    /// certificate.
    pub issued: i64,
    /// Its notAfter, Unix seconds.
    pub not_after: i64,
    /// The node that ordered it.
    pub node: String,
}

/// The answer of [`Store::take_acme_lease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This holder may order now (until the given Unix second).
    Taken,
    /// Another holder is ordering, until the given Unix second.
    Held { holder: String, until: i64 },
}

impl Store {
    /// The stored account credentials (instant-acme's JSON) for `directory`.
    pub fn acme_account(&self, directory: &str) -> Result<Option<String>> {
        self.db(|db| {
            db.query_opt(
                "SELECT credentials FROM acme_accounts WHERE directory = ?1",
                args![directory],
            )?
            .map(|r| r.text(0))
            .transpose()
        })
    }

    /// Stores `credentials` for `directory` unless an account is already
    /// stored for it; returns the stored credentials (these, or the other
    /// node's when it was first).
    pub fn save_acme_account(
        &self,
        directory: &str,
        credentials: &str,
        now: i64,
    ) -> Result<String> {
        self.transaction(|db| {
            db.execute(
                "INSERT INTO acme_accounts (directory, credentials, created) VALUES (?1, ?2, ?3)
                 ON CONFLICT(directory) DO NOTHING",
                args![directory, credentials, now],
            )?;
            db.query_one(
                "SELECT credentials FROM acme_accounts WHERE directory = ?1",
                args![directory],
            )?
            .text(0)
        })
    }

    /// Forgets the account of `directory` if it still holds `credentials`
    /// (the CA no longer knows it); `true` when a row was deleted.
    pub fn forget_acme_account(&self, directory: &str, credentials: &str) -> Result<bool> {
        self.db(|db| {
            Ok(db.execute(
                "DELETE FROM acme_accounts WHERE directory = ?1 AND credentials = ?2",
                args![directory, credentials],
            )? > 0)
        })
    }

    /// The stored certificate of `name`.
    pub fn acme_cert(&self, name: &str) -> Result<Option<AcmeCertRow>> {
        self.db(|db| {
            db.query_opt(
                "SELECT name, pem, issued, not_after, node FROM acme_certs WHERE name = ?1",
                args![name],
            )?
            .map(|r| {
                Ok(AcmeCertRow {
                    name: r.text(0)?,
                    pem: r.text(1)?,
                    issued: r.int(2)?,
                    not_after: r.int(3)?,
                    node: r.text(4)?,
                })
            })
            .transpose()
        })
    }

    /// Forgets the certificate of `name`; `true` when one was stored.
    pub fn forget_acme_cert(&self, name: &str) -> Result<bool> {
        self.db(|db| Ok(db.execute("DELETE FROM acme_certs WHERE name = ?1", args![name])? > 0))
    }

    /// Stores `row` unless a newer certificate (a later `issued`) is stored
    /// for its name; `true` when stored.
    pub fn save_acme_cert(&self, row: &AcmeCertRow) -> Result<bool> {
        self.db(|db| {
            Ok(db.execute(
                "INSERT INTO acme_certs (name, pem, issued, not_after, node) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(name) DO UPDATE SET pem = excluded.pem, issued = excluded.issued,
                     not_after = excluded.not_after, node = excluded.node
                 WHERE excluded.issued >= acme_certs.issued",
                args![&row.name, &row.pem, row.issued, row.not_after, &row.node],
            )? > 0)
        })
    }

    /// Takes the right to order `name` until `until` (Unix seconds) for
    /// `holder`: granted when nobody holds it, when the holder's lease ran
    /// out before `now` (a node that died mid-order), or when `holder`
    /// already holds it.
    pub fn take_acme_lease(&self, name: &str, holder: &str, until: i64, now: i64) -> Result<Lease> {
        self.transaction(|db| {
            let changed = db.execute(
                "INSERT INTO acme_leases (name, holder, until) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                 WHERE acme_leases.until <= ?4 OR acme_leases.holder = excluded.holder",
                args![name, holder, until, now],
            )?;
            if changed > 0 {
                return Ok(Lease::Taken);
            }
            let r = db.query_one(
                "SELECT holder, until FROM acme_leases WHERE name = ?1",
                args![name],
            )?;
            Ok(Lease::Held {
                holder: r.text(0)?,
                until: r.int(1)?,
            })
        })
    }

    /// Gives the lease of `name` up, if `holder` still holds it.
    pub fn release_acme_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.db(|db| {
            db.execute(
                "DELETE FROM acme_leases WHERE name = ?1 AND holder = ?2",
                args![name, holder],
            )
        })?;
        Ok(())
    }
}
