//! Upstream peers, built once per route upstream and cloned per request.
//! An upstream given by IP address is resolved once; one given by host name
//! (e.g. a container name) is resolved at each connection, so a host that
//! is not resolvable yet neither stops the gateway from starting nor stays
//! cached after it changes address.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pingora::prelude::*;
use pingora::{Error, ErrorType};

use crate::config::{ProxySettings, Upstream};

/// How long an idle pooled upstream connection is kept.
pub const POOL_IDLE: Duration = Duration::from_secs(60);

static NEXT_WORKER: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This worker thread's pool group (see [`PeerSlot::peer`]).
    static WORKER: u64 = NEXT_WORKER.fetch_add(1, Ordering::Relaxed);
}

/// A prebuilt peer, or what is needed to build one after a DNS look-up.
#[derive(Debug, Clone)]
pub enum PeerSlot {
    /// Address known at start.
    Fixed(Box<HttpPeer>),
    /// `host:port` to resolve per connection.
    Resolve {
        address: String,
        upstream: Box<Upstream>,
        proxy: Box<ProxySettings>,
    },
}

impl PeerSlot {
    /// Builds the slot for one upstream of a route.
    pub fn new(upstream: &Upstream, proxy: &ProxySettings) -> PeerSlot {
        match upstream.address.parse::<SocketAddr>() {
            Ok(addr) => PeerSlot::Fixed(Box::new(build(upstream, proxy, addr))),
            Err(_) => PeerSlot::Resolve {
                address: upstream.address.clone(),
                upstream: Box::new(upstream.clone()),
                proxy: Box::new(proxy.clone()),
            },
        }
    }

    /// The peer to connect to now. A failed look-up is a connect error, so
    /// `next_upstream` moves on to the next upstream.
    ///
    /// Pooled keep-alive connections are kept per worker thread (the peer's
    /// `group_key`): each worker is its own single-threaded runtime, and a
    /// connection pooled by one worker but reused by another costs a
    /// cross-thread wake-up of the pool's idle watcher on every request
    /// (benches/README.md).
    pub async fn peer(&self) -> Result<Box<HttpPeer>> {
        let mut peer = self.resolve().await?;
        peer.group_key = WORKER.try_with(|w| *w).unwrap_or(0);
        Ok(peer)
    }

    async fn resolve(&self) -> Result<Box<HttpPeer>> {
        match self {
            PeerSlot::Fixed(p) => Ok(p.clone()),
            PeerSlot::Resolve {
                address,
                upstream,
                proxy,
            } => {
                let addr = tokio::net::lookup_host(address.as_str())
                    .await
                    .ok()
                    .and_then(|mut addrs| addrs.next());
                match addr {
                    Some(addr) => Ok(Box::new(build(upstream, proxy, addr))),
                    None => Err(Error::explain(
                        ErrorType::ConnectError,
                        format!("cannot resolve upstream {address}"),
                    )
                    .into_up()),
                }
            }
        }
    }
}

/// Builds the peer for one upstream with the route's timeouts. Upstream TLS
/// certificates are not verified, like nginx's default `proxy_ssl_verify off`
/// (home servers mostly use self-signed certificates internally).
pub fn build(upstream: &Upstream, proxy: &ProxySettings, addr: SocketAddr) -> HttpPeer {
    let mut peer = HttpPeer::new(addr, upstream.tls, upstream.sni.clone());
    let o = &mut peer.options;
    o.connection_timeout = Some(proxy.connect_timeout);
    o.total_connection_timeout = Some(proxy.connect_timeout);
    o.read_timeout = Some(proxy.read_timeout);
    o.write_timeout = Some(proxy.send_timeout);
    o.idle_timeout = Some(POOL_IDLE);
    o.verify_cert = false;
    o.verify_hostname = false;
    peer
}
