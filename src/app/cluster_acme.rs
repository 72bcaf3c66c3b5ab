//! ACME HTTP-01 answers shared between nodes (docs/cluster.md): the
//! order's answers are written to Redis before the CA is told to look, so
//! whichever node the CA reaches can answer.

use std::time::Duration;

use crate::acme::{BoxedDone, Http01Mirror};
use crate::cluster::SharedKv;

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
