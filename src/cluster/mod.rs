//! Several instances (docs/cluster.md): with `[cluster] redis` set, each
//! node keeps its session table as a cache in front of the shared store,
//! tells the others through Redis pub/sub what it ended or changed, and
//! shares login failure counters, bans, Plex PINs and ACME HTTP-01 answers.
//!
//! - `link.rs`: the Redis connection and the outage state;
//! - `keys.rs`: key names and the events channel's messages;
//! - `publish.rs`: events out (never waited on by a request);
//! - `subscribe.rs`: events in, and the reconcile after an outage;
//! - `miss.rs`: a session cookie this node does not know, looked up once;
//! - `regulation.rs`: shared failure counters and bans;
//! - `shared_kv.rs`: small shared values with a lifetime (Plex PINs, ACME);
//! - `alpn.rs`: TLS-ALPN-01 challenges served by every node.
//!
//! A cache hit never touches any of it.

mod alpn;
mod keys;
mod link;
mod miss;
mod publish;
mod regulation;
mod shared_kv;
mod subscribe;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::auth::regulation::Regulation;
use crate::auth::session::SessionTable;
use crate::config::cluster::RedisUrl;
use crate::store::Store;

pub use alpn::{AlpnChallenges, AlpnSink, ACK_WAIT as ALPN_ACK_WAIT};
pub use keys::Event;
pub use publish::publish_once;
pub use shared_kv::SharedKv;

/// Why the cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("redis URL {0}: {1}")]
    Url(String, String),
    #[error("cluster thread: {0}")]
    Thread(String),
}

/// This node's part in the cluster.
#[derive(Debug)]
pub struct Cluster {
    link: Arc<link::Link>,
    miss: Arc<miss::MissLookup>,
    kv: SharedKv,
    alpn_sink: alpn::SinkSlot,
}

impl Cluster {
    /// Connects (in the background: a node starts while Redis is down),
    /// subscribes, and hooks the session table and regulation up.
    pub fn start(
        url: &RedisUrl,
        node: &str,
        sessions: Arc<SessionTable>,
        regulation: Arc<Regulation>,
        store: Store,
    ) -> Result<Cluster, ClusterError> {
        let client = redis::Client::open(url.secret_str())
            .map_err(|e| ClusterError::Url(url.to_string(), e.to_string()))?;
        let rt = runtime()?;
        let link = Arc::new(link::Link::new(client, rt, node.to_owned()));
        let publisher = publish::Publisher::start(link.clone());
        let miss = Arc::new(miss::MissLookup::default());
        sessions.set_events(Arc::new(publisher.clone()));
        regulation.set_shared(Arc::new(regulation::RedisRegulation::new(
            link.clone(),
            publisher.clone(),
        )));
        let alpn_sink = alpn::SinkSlot::default();
        let targets = subscribe::Targets {
            sessions,
            regulation,
            store,
            miss: miss.clone(),
            publisher,
            alpn: alpn_sink.clone(),
        };
        link.spawn(subscribe::run(link.clone(), targets));
        tracing::info!(node = %node, redis = %url, "cluster: sharing sessions, bans and revocations");
        Ok(Cluster {
            kv: SharedKv::new(link.clone()),
            link,
            miss,
            alpn_sink,
        })
    }

    /// Serves other nodes' TLS-ALPN-01 challenges through `sink` from now
    /// on; `false` when already set.
    pub fn set_alpn_sink(&self, sink: Arc<dyn AlpnSink>) -> bool {
        self.alpn_sink.set(sink).is_ok()
    }

    /// Shares this node's TLS-ALPN-01 challenges with the others.
    pub fn alpn(&self) -> AlpnChallenges {
        AlpnChallenges::new(self.link.clone())
    }

    /// Adopts the request's session from the store when this node does
    /// not know it (a cache miss; bounded wait); `true` when adopted.
    pub async fn fill_miss(
        &self,
        sessions: &Arc<SessionTable>,
        store: &Store,
        headers: &http::HeaderMap,
        now: SystemTime,
    ) -> bool {
        self.miss.fill(sessions, store, headers, now).await
    }

    /// Shared values with a lifetime (Plex PINs, ACME answers).
    pub fn kv(&self) -> &SharedKv {
        &self.kv
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.link.node
    }

    /// Whether Redis answers.
    pub fn redis_up(&self) -> bool {
        self.link.is_up()
    }

    /// Redis outages seen since start.
    pub fn outages(&self) -> u64 {
        self.link.outages()
    }
}

/// The cluster runtime, on a thread of its own that lives as long as the
/// process (a runtime is never dropped inside another's context).
fn runtime() -> Result<tokio::runtime::Handle, ClusterError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("gatehouse-cluster".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("gatehouse-cluster-rt")
                .enable_all()
                .build();
            match rt {
                Ok(rt) => {
                    let _ = tx.send(Ok(rt.handle().clone()));
                    rt.block_on(std::future::pending::<()>());
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        })
        .map_err(|e| ClusterError::Thread(e.to_string()))?;
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(handle)) => Ok(handle),
        Ok(Err(e)) => Err(ClusterError::Thread(e)),
        Err(e) => Err(ClusterError::Thread(e.to_string())),
    }
}
