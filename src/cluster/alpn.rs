//! TLS-ALPN-01 answers shared between nodes (docs/cluster.md). The CA
//! validates with a TLS handshake on port 443, so the node it reaches must
//! present the challenge certificate itself, at once: a handshake cannot
//! wait for Redis. So the ordering node publishes the challenge (the name
//! and the SHA-256 of the key authorization, public by design) on the
//! events channel; every other node builds the same kind of challenge
//! certificate with a key of its own and serves it, then says so in a
//! Redis set; the ordering node tells the CA to look only once every node
//! that received the message has answered (or [`ACK_WAIT`] ran out).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::keys::{alpn_ack_key, Event};
use super::link::Link;
use super::publish::{publish, publish_counted};

/// Longest wait for the other nodes to serve a challenge certificate.
pub const ACK_WAIT: Duration = Duration::from_secs(3);
/// How long the acknowledgements live in Redis.
const ACK_TTL_SECS: u64 = 600;
/// Poll interval while waiting for acknowledgements.
const ACK_POLL: Duration = Duration::from_millis(20);

/// What serves the challenge certificates on this node (the certificate
/// store, hooked up by the application layer).
pub trait AlpnSink: Send + Sync + std::fmt::Debug {
    /// Serves the TLS-ALPN-01 certificate of `name` for `digest`, or stops
    /// (`None`); `false` when it could not be made.
    fn set(&self, name: &str, digest: Option<[u8; 32]>) -> bool;
}

/// The sink, set once after the cluster started.
pub type SinkSlot = Arc<OnceLock<Arc<dyn AlpnSink>>>;

/// This node's way to share its challenges (a cheap `Clone`).
#[derive(Debug, Clone)]
pub struct AlpnChallenges {
    link: Arc<Link>,
}

impl AlpnChallenges {
    pub(super) fn new(link: Arc<Link>) -> AlpnChallenges {
        AlpnChallenges { link }
    }

    /// Has every other node serve the challenge of `name`; how many
    /// answered. Returns when all that received it did, or after
    /// [`ACK_WAIT`].
    pub async fn share(&self, name: &str, digest: [u8; 32]) -> usize {
        let link = &*self.link;
        let event = Event::Alpn {
            name: name.to_owned(),
            digest: Some(digest),
        };
        let Some(received) = publish_counted(link, &event).await else {
            tracing::warn!(name = %name, "TLS-ALPN-01 challenge not shared (redis down): only this node can answer the CA");
            return 0;
        };
        // This node's own subscription receives it too (and ignores it).
        let others = usize::try_from(received.saturating_sub(1)).unwrap_or(0);
        let key = alpn_ack_key(name, &digest);
        let deadline = tokio::time::Instant::now() + ACK_WAIT;
        loop {
            let mut pipe = redis::pipe();
            pipe.cmd("SCARD").arg(&key);
            let answered = link
                .query::<(usize,)>(&pipe, ACK_WAIT)
                .await
                .map_or(0, |(n,)| n);
            if answered >= others {
                return answered;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(name = %name, answered, of = others, "not every node serves the TLS-ALPN-01 challenge yet; telling the CA anyway");
                return answered;
            }
            tokio::time::sleep(ACK_POLL).await;
        }
    }

    /// The challenge of `name` is over: every node stops serving it.
    pub async fn end(&self, name: &str) {
        let link = &*self.link;
        let event = Event::Alpn {
            name: name.to_owned(),
            digest: None,
        };
        publish(link, &event).await;
    }
}

/// Applies another node's challenge message, and acknowledges a served one.
pub fn apply(link: &Arc<Link>, sink: &SinkSlot, name: String, digest: Option<[u8; 32]>) {
    let Some(sink) = sink.get() else {
        return;
    };
    if !sink.set(&name, digest) {
        return;
    }
    let Some(digest) = digest else {
        return;
    };
    tracing::info!(name = %name, "serving another node's TLS-ALPN-01 challenge");
    let task_link = link.clone();
    link.spawn(async move {
        let link = task_link;
        let key = alpn_ack_key(&name, &digest);
        let mut pipe = redis::pipe();
        pipe.cmd("SADD")
            .arg(&key)
            .arg(&link.instance)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ACK_TTL_SECS)
            .ignore();
        let _ = link.query::<()>(&pipe, ACK_WAIT).await;
    });
}
