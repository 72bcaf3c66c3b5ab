//! Listening to the other nodes: a dedicated pub/sub connection on the
//! events channel, applied to this node's session table, login regulation
//! and miss cache. When the connection drops (Redis down) it is retried
//! every [`RETRY_EVERY`]; once subscribed again the node compares its cache
//! with the store (sessions ended and users changed meanwhile) and asks
//! the other nodes to do the same, since messages sent during the outage
//! were lost.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::keys::{decode, Event, CHANNEL};
use super::link::Link;
use super::miss::MissLookup;
use super::publish::Publisher;
use crate::auth::regulation::Regulation;
use crate::auth::session::SessionTable;
use crate::store::Store;

/// How often a lost connection is tried again.
pub const RETRY_EVERY: Duration = Duration::from_millis(250);
/// How often the command connection is checked while subscribed.
pub const PING_EVERY: Duration = Duration::from_secs(1);

/// What the subscriber applies messages to.
#[derive(Debug, Clone)]
pub struct Targets {
    pub sessions: Arc<SessionTable>,
    pub regulation: Arc<Regulation>,
    pub store: Store,
    pub miss: Arc<MissLookup>,
    pub publisher: Publisher,
    /// Serves other nodes' TLS-ALPN-01 challenges here.
    pub alpn: super::alpn::SinkSlot,
}

/// Runs forever on the cluster runtime.
pub async fn run(link: Arc<Link>, targets: Targets) {
    let mut first = true;
    loop {
        match listen(&link, &targets, &mut first).await {
            Ok(()) => {
                let e = redis::RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "subscription closed",
                ));
                link.mark_down(&e);
            }
            Err(e) => link.mark_down(&e),
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

/// One subscription, until its connection ends.
async fn listen(
    link: &Arc<Link>,
    targets: &Targets,
    first: &mut bool,
) -> Result<(), redis::RedisError> {
    let connect = link.client().get_async_pubsub();
    let mut pubsub = tokio::time::timeout(super::link::CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| timed_out())??;
    pubsub.subscribe(CHANNEL).await?;
    // The command connection too: both work before the outage is over.
    let mut ping = redis::pipe();
    ping.cmd("PING");
    if link
        .query_anyway::<(String,)>(&ping, super::link::CONNECT_TIMEOUT)
        .await
        .is_none()
    {
        return Err(timed_out());
    }
    let back = link.mark_up();
    if back || !*first {
        // Messages of the outage were lost: compare with the store, and
        // have every other node do the same.
        reconcile(targets.clone()).await;
        targets.publisher.send(Event::Reconcile);
    } else {
        tracing::info!(node = %link.node, "subscribed to the cluster's events");
    }
    *first = false;
    let mut messages = std::pin::pin!(pubsub.on_message());
    let mut tick = tokio::time::interval(PING_EVERY);
    loop {
        tokio::select! {
            msg = messages.next() => {
                let Some(msg) = msg else { return Ok(()) };
                let Ok(text) = msg.get_payload::<String>() else { continue };
                apply(link, targets, &text);
            }
            _ = tick.tick() => {
                // A command connection that failed meanwhile: Redis is
                // reachable (this subscription lives), so try it again.
                if !link.is_up()
                    && link.query_anyway::<(String,)>(&ping, super::link::CONNECT_TIMEOUT).await.is_some()
                    && link.mark_up()
                {
                    reconcile(targets.clone()).await;
                }
            }
        }
    }
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "no answer in time",
    ))
}

/// Applies one message of another node.
fn apply(link: &Arc<Link>, targets: &Targets, text: &str) {
    let Some((from, event)) = decode(text) else {
        tracing::debug!("unreadable cluster message ignored");
        return;
    };
    if from == link.instance {
        return;
    }
    match event {
        Event::Ended(hashes) => {
            targets.miss.remember_unknown(&hashes);
            targets.sessions.drop_ended(&hashes);
        }
        Event::User(id) => {
            let t = targets.clone();
            tokio::task::spawn_blocking(move || match t.sessions.reload_user(&t.store, id) {
                Ok(n) => {
                    tracing::debug!(user_id = id, dropped = n, "user re-read on a cluster event")
                }
                Err(e) => tracing::error!(error = %e, "user not re-read"),
            });
        }
        Event::Ban { until, ip, user } => {
            targets
                .regulation
                .note_ban(&user, &ip, until, crate::clock::now());
        }
        Event::Reconcile => {
            let t = targets.clone();
            tokio::spawn(reconcile(t));
        }
        Event::Alpn { name, digest } => super::alpn::apply(link, &targets.alpn, name, digest),
    }
}

/// Re-reads every user and drops the sessions the store no longer holds.
pub async fn reconcile(t: Targets) {
    let sessions = t.sessions.clone();
    let done = t
        .store
        .call(move |s| {
            sessions.refresh_users(s)?;
            sessions.reconcile(s)
        })
        .await;
    match done {
        Ok(0) => tracing::info!("cluster cache reconciled with the store"),
        Ok(n) => tracing::info!(
            sessions = n,
            "sessions ended elsewhere dropped on reconcile"
        ),
        Err(e) => tracing::error!(error = %e, "cluster cache not reconciled"),
    }
}
