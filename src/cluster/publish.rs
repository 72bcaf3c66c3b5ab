//! Telling the other nodes: the session table's changes (logout,
//! revocation, user lock, group, password, deletion) and bans, published
//! on the events channel by a task of the cluster runtime, so the caller
//! (often a worker thread) never waits on Redis.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::keys::{encode, Event, CHANNEL};
use super::link::Link;
use crate::auth::session::SessionEvents;

/// How long one publish may take.
pub const PUBLISH_WAIT: Duration = Duration::from_secs(1);

/// Messages waiting for the publisher task (older ones are dropped past
/// this: the nodes reconcile after an outage anyway).
const QUEUE: usize = 4096;

/// Queues events for the publisher task.
#[derive(Debug, Clone)]
pub struct Publisher {
    tx: mpsc::Sender<Event>,
}

impl Publisher {
    /// Starts the publisher task on the link's runtime.
    pub fn start(link: Arc<Link>) -> Publisher {
        let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
        let task_link = link.clone();
        link.spawn(async move {
            while let Some(event) = rx.recv().await {
                publish(&task_link, &event).await;
            }
        });
        Publisher { tx }
    }

    /// Queues `event`; never blocks.
    pub fn send(&self, event: Event) {
        if self.tx.try_send(event).is_err() {
            tracing::warn!("cluster event queue full; the nodes reconcile at Redis's return");
        }
    }
}

/// Publishes `event` now; `false` when Redis did not take it.
pub async fn publish(link: &Link, event: &Event) -> bool {
    publish_counted(link, event).await.is_some()
}

/// Publishes `event` now: how many subscriptions received it (this node's
/// own included), `None` when Redis did not take it.
pub async fn publish_counted(link: &Link, event: &Event) -> Option<i64> {
    let mut pipe = redis::pipe();
    pipe.cmd("PUBLISH")
        .arg(CHANNEL)
        .arg(encode(&link.instance, event));
    link.query::<(i64,)>(&pipe, PUBLISH_WAIT)
        .await
        .map(|(n,)| n)
}

impl SessionEvents for Publisher {
    fn sessions_ended(&self, hashes: &[[u8; 32]]) {
        self.send(Event::Ended(hashes.to_vec()));
    }

    fn user_changed(&self, user_id: i64) {
        self.send(Event::User(user_id));
    }
}

/// Publishes one event from a process that is not a gateway (the CLI):
/// a connection of its own, `wait` at most. The error names no password.
pub fn publish_once(url: &str, event: &Event, wait: Duration) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut conn = client
        .get_connection_with_timeout(wait)
        .map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(wait))
        .map_err(|e| e.to_string())?;
    conn.set_write_timeout(Some(wait))
        .map_err(|e| e.to_string())?;
    let who = format!("cli@{}", crate::config::cluster::host_name());
    redis::cmd("PUBLISH")
        .arg(CHANNEL)
        .arg(encode(&who, event))
        .query::<i64>(&mut conn)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
