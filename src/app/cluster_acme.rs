//! ACME challenge answers shared between nodes (docs/cluster.md), so
//! whichever node the CA reaches can answer: an order's HTTP-01 answers are
//! written to Redis before the CA is told to look; its TLS-ALPN-01
//! challenges are published, and every other node serves a challenge
//! certificate for them from its own certificate store.

use std::sync::Arc;
use std::time::Duration;

use crate::acme::{BoxedDone, Http01Mirror};
use crate::certs::CertStore;
use crate::cluster::{AlpnChallenges, SharedKv};

/// How long a shared answer lives at most (an order takes seconds).
const ANSWER_TTL: Duration = Duration::from_secs(3600);

/// [`Http01Mirror`] on the cluster's Redis.
#[derive(Debug)]
pub struct AcmeMirror(pub SharedKv);

impl Http01Mirror for AcmeMirror {
    fn put(&self, token: &str, key_authorization: &str) -> BoxedDone {
        let (kv, token, answer) = (
            self.0.clone(),
            token.to_owned(),
            key_authorization.to_owned(),
        );
        Box::pin(async move {
            if !kv.put_acme(&token, &answer, ANSWER_TTL).await {
                tracing::warn!(
                    "ACME answer not shared (redis down): only this node can answer the CA"
                );
            }
        })
    }

    fn remove(&self, token: &str) -> BoxedDone {
        let (kv, token) = (self.0.clone(), token.to_owned());
        Box::pin(async move { kv.remove_acme(&token).await })
    }
}

/// [`crate::acme::AlpnMirror`] on the cluster's events channel.
#[derive(Debug)]
pub struct AlpnMirror(pub AlpnChallenges);

impl crate::acme::AlpnMirror for AlpnMirror {
    fn put(&self, name: &str, digest: [u8; 32]) -> BoxedDone {
        let (share, name) = (self.0.clone(), name.to_owned());
        Box::pin(async move {
            share.share(&name, digest).await;
        })
    }

    fn remove(&self, name: &str) -> BoxedDone {
        let (share, name) = (self.0.clone(), name.to_owned());
        Box::pin(async move { share.end(&name).await })
    }
}

/// Serves other nodes' TLS-ALPN-01 challenges from this node's
/// certificate store.
#[derive(Debug)]
pub struct AlpnSink(pub Arc<CertStore>);

impl crate::cluster::AlpnSink for AlpnSink {
    fn set(&self, name: &str, digest: Option<[u8; 32]>) -> bool {
        let Some(digest) = digest else {
            self.0.set_alpn_challenge(name, None);
            return true;
        };
        match crate::acme::alpn_certificate(name, &digest) {
            Ok(cert) => {
                self.0.set_alpn_challenge(name, Some(cert));
                true
            }
            Err(e) => {
                tracing::warn!(name = %name, error = %e, "another node's TLS-ALPN-01 challenge not served");
                false
            }
        }
    }
}
