//! Upstream peers, built once per route upstream and cloned per request.

use std::time::Duration;

use pingora::prelude::HttpPeer;

use crate::config::{ProxySettings, Upstream};

/// How long an idle pooled upstream connection is kept.
pub const POOL_IDLE: Duration = Duration::from_secs(60);

/// Builds the peer for one upstream with the route's timeouts. Upstream TLS
/// certificates are not verified, like nginx's default `proxy_ssl_verify off`
/// (home servers mostly use self-signed certificates internally).
pub fn build(upstream: &Upstream, proxy: &ProxySettings) -> HttpPeer {
    let mut peer = HttpPeer::new(upstream.address.as_str(), upstream.tls, upstream.sni.clone());
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
