//! One live session in memory: fixed fields, an atomic `last_seen` bumped
//! by the hot path, and the SSO tokens behind a per-entry lock.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock, RwLock};

use crate::store::SessionRow;
use crate::tokens::SsoTokens;

/// One live session.
#[derive(Debug)]
pub struct SessionEntry {
    /// The owner.
    pub user_id: i64,
    /// Unix seconds.
    pub created: u64,
    /// Unix seconds of the absolute expiry.
    pub expires: u64,
    /// Issued with "remember me".
    pub remember: bool,
    /// The session passed a second factor (a TOTP code, a recovery code or
    /// a passkey) at sign-in or at a step-up.
    pub second_factor: bool,
    /// Unix seconds of the last request (idle timeout); kept in memory,
    /// flushed to the store in batches.
    pub last_seen: AtomicU64,
    /// Value of `last_seen` at the last flush.
    pub(super) flushed: AtomicU64,
    /// When this process created it (the table's counter; 0 = loaded from
    /// the store): a reconcile keeps sessions newer than its read.
    pub(super) generation: u64,
    /// `None` = no tokens (most sessions): no allocation per session.
    sso: RwLock<Option<Arc<SsoTokens>>>,
}

/// What [`SessionEntry::sso`] hands out for a session without tokens.
static NO_TOKENS: LazyLock<Arc<SsoTokens>> = LazyLock::new(|| Arc::new(SsoTokens::default()));

fn slot(sso: SsoTokens) -> Option<Arc<SsoTokens>> {
    (sso != SsoTokens::default()).then(|| Arc::new(sso))
}

impl SessionEntry {
    /// The session's SSO tokens.
    pub fn sso(&self) -> Arc<SsoTokens> {
        let held = match self.sso.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        held.unwrap_or_else(|| NO_TOKENS.clone())
    }

    pub(super) fn set_sso(&self, sso: SsoTokens) {
        let mut slot = self
            .sso
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = self::slot(sso);
    }
}

/// The in-memory entry of a stored row, created at `generation`.
pub(super) fn entry_from_row(row: SessionRow, generation: u64) -> SessionEntry {
    let u = |v: i64| u64::try_from(v).unwrap_or(0);
    SessionEntry {
        user_id: row.user_id,
        created: u(row.created),
        expires: u(row.expires),
        remember: row.remember,
        second_factor: row.second_factor,
        last_seen: AtomicU64::new(u(row.last_seen)),
        flushed: AtomicU64::new(u(row.last_seen)),
        generation,
        sso: RwLock::new(slot(row.sso)),
    }
}
