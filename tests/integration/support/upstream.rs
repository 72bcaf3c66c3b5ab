//! Real upstreams on 127.0.0.1:0 that record what they received.
//!
//! - [`EchoServer`]: answers 200 with a JSON description of the request, or a
//!   special reply chosen by the path (`/status/<code>`, `/redirect`, `/xfo`,
//!   `/cookie`, `/big` (1 MiB), `/huge` (32 MiB)).
//! - [`StatusServer`]: reads each request fully, answers a fixed status.
//! - [`StallServer`], [`CloseMidResponse`], [`GarbageServer`], [`dead_port`]:
//!   misbehaving peers.
//! - [`WsEchoServer`]: a WebSocket echo server.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::http1::{serve, Log, Responder};
pub use super::http1::{Recorded, Reply};
#[allow(unused_imports)] // part of the API even where no test names it
pub use super::misbehaving::{
    dead_port, Blackhole, Canned, CloseMidResponse, GarbageServer, NonReader, StallServer,
};
use super::runtime::{listen, TaskGuard};
#[allow(unused_imports)]
pub use super::ws::{WsEchoServer, WsRecorded};

/// Size of the `/big` reply body.
pub const BIG_BODY: usize = 1024 * 1024;

/// Size of the `/huge` reply body: more than loopback socket buffers hold, so
/// a client that stops reading makes the sender block.
pub const HUGE_BODY: usize = 32 * 1024 * 1024;

/// An HTTP server that records every request and runs until dropped.
#[derive(Debug)]
pub struct Recording {
    addr: SocketAddr,
    log: Arc<Log>,
    _task: TaskGuard,
}

impl Recording {
    fn start(responder: impl Fn(&Recorded, u16) -> Reply + Send + Sync + 'static) -> Recording {
        let (listener, addr) = listen();
        let port = addr.port();
        let responder: Responder = Arc::new(move |r: &Recorded| responder(r, port));
        let log = Arc::new(Log::default());
        let task = TaskGuard::spawn(serve(listener, log.clone(), responder));
        Recording {
            addr,
            log,
            _task: task,
        }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Every request received so far (including ones cut short).
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.requests()
    }

    /// The last request received; panics when there was none.
    pub fn last(&self) -> Recorded {
        self.requests()
            .pop()
            .expect("the upstream received no request")
    }

    /// Number of TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.log.connections()
    }

    /// Connections that ended so far (either side closed).
    pub fn closed(&self) -> usize {
        self.log.closed()
    }

    /// Waits until `n` connections ended, panicking after `within`.
    pub async fn wait_for_closed(&self, n: usize, within: Duration) {
        self.log.wait_for_closed(n, within).await
    }

    /// Waits until `n` requests were recorded, panicking after `within`.
    pub async fn wait_for_requests(&self, n: usize, within: Duration) -> Vec<Recorded> {
        self.log.wait_for_requests(n, within).await
    }
}

/// The echo upstream (see the module doc for its special paths). Derefs to
/// [`Recording`] for the accessors.
#[derive(Debug)]
pub struct EchoServer(Recording);

impl EchoServer {
    /// Starts an echo server on a fresh loopback port.
    pub fn start() -> EchoServer {
        EchoServer(Recording::start(echo_reply))
    }
}

impl Deref for EchoServer {
    type Target = Recording;
    fn deref(&self) -> &Recording {
        &self.0
    }
}

fn echo_reply(r: &Recorded, port: u16) -> Reply {
    let path = r.path();
    let mut reply = Reply {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Vec::new(),
    };
    if let Some(code) = path
        .split_once("/status/")
        .and_then(|(_, rest)| rest.get(..3))
        .and_then(|c| c.parse::<u16>().ok())
    {
        reply.status = code;
    }
    if path.contains("/redirect") {
        reply.status = 302;
        reply.headers.push((
            "Location".into(),
            format!("http://127.0.0.1:{port}/somewhere"),
        ));
    }
    if path.contains("/xfo") {
        reply
            .headers
            .push(("X-Frame-Options".into(), "DENY".into()));
        reply.headers.push(("X-Other".into(), "kept".into()));
    }
    if path.contains("/cookie") {
        reply
            .headers
            .push(("Set-Cookie".into(), "a=1; Path=/x; HttpOnly".into()));
        reply.headers.push(("Set-Cookie".into(), "b=2".into()));
    }
    let size = if path.contains("/huge") {
        Some(HUGE_BODY)
    } else if path.contains("/big") {
        Some(BIG_BODY)
    } else {
        None
    };
    if let Some(size) = size {
        reply.headers[0].1 = "application/octet-stream".into();
        reply.body = vec![b'x'; size];
        return reply;
    }
    let headers: Vec<[&str; 2]> = r
        .headers
        .iter()
        .map(|(n, v)| [n.as_str(), v.as_str()])
        .collect();
    reply.body = json!({
        "method": r.method,
        "target": r.target,
        "headers": headers,
        "body_len": r.body.len(),
    })
    .to_string()
    .into_bytes();
    reply
}

/// A server that reads every request in full and answers a fixed status.
/// Derefs to [`Recording`].
#[derive(Debug)]
pub struct StatusServer(Recording);

impl StatusServer {
    /// Starts it; every request gets `code` with a short text body.
    pub fn start(code: u16) -> StatusServer {
        StatusServer(Recording::start(move |_, _| Reply {
            status: code,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("status {code}\n").into_bytes(),
        }))
    }

    /// How many requests it answered.
    pub fn hits(&self) -> usize {
        self.requests().len()
    }
}

impl Deref for StatusServer {
    type Target = Recording;
    fn deref(&self) -> &Recording {
        &self.0
    }
}
