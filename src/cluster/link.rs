//! The connection to Redis and its health: one auto-reconnecting
//! multiplexed connection for commands (redis-rs's connection manager),
//! created lazily (a node starts while Redis is down), and the outage
//! state every user of the link reads. An outage is logged once, when it
//! begins, and counted; its end is logged once.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, Pipeline};

/// How long a connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// The link to Redis shared by the publisher, the subscriber, shared
/// regulation and the shared PIN table.
pub struct Link {
    client: redis::Client,
    manager: Mutex<Option<ConnectionManager>>,
    up: AtomicBool,
    outages: AtomicU64,
    /// Runtime of the cluster thread: blocking callers run their commands
    /// on it.
    rt: tokio::runtime::Handle,
    /// `node_name` (logs).
    pub node: String,
    /// This process among the nodes: the node name and a random suffix, so
    /// a node knows its own messages (two nodes may share a name).
    pub instance: String,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("instance", &self.instance)
            .field("up", &self.is_up())
            .field("outages", &self.outages())
            .finish_non_exhaustive()
    }
}

impl Link {
    /// A link that is not connected yet (and counted as up until the
    /// first attempt says otherwise).
    pub fn new(client: redis::Client, rt: tokio::runtime::Handle, node: String) -> Link {
        let suffix = crate::tokens::random_token();
        let instance = format!("{node}#{}", &suffix[..8]);
        Link {
            client,
            manager: Mutex::new(None),
            up: AtomicBool::new(true),
            outages: AtomicU64::new(0),
            rt,
            node,
            instance,
        }
    }

    /// The client (for the subscriber's own connection).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Whether Redis answered the last time it was asked.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Outages seen since start.
    pub fn outages(&self) -> u64 {
        self.outages.load(Ordering::Relaxed)
    }

    /// Records that Redis failed; logs and counts when this begins an outage.
    pub fn mark_down(&self, why: &redis::RedisError) {
        if self.up.swap(false, Ordering::AcqRel) {
            let n = self.outages.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                node = %self.node,
                error = %why,
                outages = n,
                "redis unreachable: serving cached sessions, local login regulation until it returns"
            );
        }
    }

    /// Records that Redis answered; `true` when this ends an outage.
    pub fn mark_up(&self) -> bool {
        let was_down = !self.up.swap(true, Ordering::AcqRel);
        if was_down {
            tracing::info!(node = %self.node, "redis reachable again");
        }
        was_down
    }

    /// The command connection, opened when there is none yet.
    pub async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(Duration::from_secs(1))
            .set_number_of_retries(1);
        let made = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        let mut slot = self
            .manager
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(slot.get_or_insert(made).clone())
    }

    fn current(&self) -> Option<ConnectionManager> {
        self.manager
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Runs `pipe` within `wait`; `None` (and the outage recorded) when
    /// Redis does not answer. While an outage lasts nothing is sent: the
    /// caller falls back at once, and the health check notices the return.
    pub async fn query<T: FromRedisValue>(&self, pipe: &Pipeline, wait: Duration) -> Option<T> {
        if !self.is_up() {
            return None;
        }
        self.query_anyway(pipe, wait).await
    }

    /// [`Self::query`] also during an outage (the health check).
    pub async fn query_anyway<T: FromRedisValue>(
        &self,
        pipe: &Pipeline,
        wait: Duration,
    ) -> Option<T> {
        let run = async {
            let mut conn = self.connection().await?;
            pipe.query_async::<T>(&mut conn).await
        };
        match tokio::time::timeout(wait, run).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.mark_down(&e);
                None
            }
            Err(_) => {
                let e = redis::RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "no answer in time",
                ));
                self.mark_down(&e);
                None
            }
        }
    }

    /// [`Self::query`] from a blocking thread (never a worker thread).
    pub fn query_blocking<T: FromRedisValue>(&self, pipe: &Pipeline, wait: Duration) -> Option<T> {
        if !self.is_up() {
            return None;
        }
        self.rt.block_on(self.query(pipe, wait))
    }

    /// Runs `fut` on the cluster runtime without waiting for it.
    pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        self.rt.spawn(fut);
    }
}
