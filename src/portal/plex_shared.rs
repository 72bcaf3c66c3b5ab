//! Plex PINs with several instances (docs/cluster.md): a PIN started on
//! one node is written through to Redis (the SHA-256 of the browser's
//! nonce, never the nonce, for as long as the PIN lives) so whichever node
//! the browser's next poll reaches can finish the sign-in.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::app::App;

fn nonce_hash(nonce: &str) -> String {
    hex::encode(Sha256::digest(nonce.as_bytes()))
}

/// Shares a PIN this node started (no-op for a single instance).
pub async fn put(app: &App, id: u64, nonce: &str, lifetime: Duration) {
    if let Some(c) = &app.cluster {
        c.kv()
            .put_pin(&id.to_string(), &nonce_hash(nonce), lifetime)
            .await;
    }
}

/// Whether PIN `id` is pending for the browser holding `nonce` on any
/// node: `None` when nobody else can tell (a single instance, Redis down),
/// so this node's own table decides; `Some(false)` also when another node
/// finished it.
pub async fn matches(app: &App, id: u64, nonce: &str) -> Option<bool> {
    let c = app.cluster.as_ref()?;
    if !c.redis_up() {
        return None;
    }
    let stored = c.kv().pin(&id.to_string()).await;
    if !c.redis_up() {
        return None;
    }
    Some(stored.is_some_and(|s| {
        !nonce.is_empty()
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                s.as_bytes(),
                nonce_hash(nonce).as_bytes(),
            ))
    }))
}

/// The PIN is done everywhere.
pub async fn remove(app: &App, id: u64) {
    if let Some(c) = &app.cluster {
        c.kv().remove_pin(&id.to_string()).await;
    }
}
