//! Small shared values with a lifetime, so any node can answer: a Plex PIN
//! started on one node and polled on another, an ACME HTTP-01 answer the
//! CA fetches from whichever node it reaches. Callers keep their local
//! table and write through; a Redis outage only makes the other nodes not
//! know.

use std::sync::Arc;
use std::time::Duration;

use super::keys::{acme_key, pin_key};
use super::link::Link;

/// How long a request (a PIN poll, the CA's fetch) waits for one of these
/// values; 100 ms proved too short on a busy machine.
pub const KV_WAIT: Duration = Duration::from_millis(500);

/// Shared Plex PINs and ACME answers.
#[derive(Debug, Clone)]
pub struct SharedKv {
    link: Arc<Link>,
}

impl SharedKv {
    pub(super) fn new(link: Arc<Link>) -> SharedKv {
        SharedKv { link }
    }

    async fn put(&self, key: String, value: &str, ttl: Duration) -> bool {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(key)
            .arg(value)
            .arg("EX")
            .arg(ttl.as_secs().max(1))
            .ignore();
        self.link.query::<()>(&pipe, KV_WAIT).await.is_some()
    }

    async fn get(&self, key: String) -> Option<String> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(key);
        let (v,): (Option<String>,) = self.link.query(&pipe, KV_WAIT).await?;
        v
    }

    async fn del(&self, key: String) {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(key).ignore();
        let _ = self.link.query::<()>(&pipe, KV_WAIT).await;
    }

    /// Records a pending Plex PIN `id` with the browser's nonce.
    pub async fn put_pin(&self, id: &str, nonce: &str, ttl: Duration) -> bool {
        self.put(pin_key(id), nonce, ttl).await
    }

    /// The nonce of a PIN another node started.
    pub async fn pin(&self, id: &str) -> Option<String> {
        self.get(pin_key(id)).await
    }

    /// A PIN is done (signed in, refused or expired).
    pub async fn remove_pin(&self, id: &str) {
        self.del(pin_key(id)).await
    }

    /// Records an ACME HTTP-01 answer for `ttl`.
    pub async fn put_acme(&self, token: &str, answer: &str, ttl: Duration) -> bool {
        self.put(acme_key(token), answer, ttl).await
    }

    /// An ACME HTTP-01 answer another node's order put.
    pub async fn acme(&self, token: &str) -> Option<String> {
        self.get(acme_key(token)).await
    }

    /// An ACME order is over.
    pub async fn remove_acme(&self, token: &str) {
        self.del(acme_key(token)).await
    }
}
