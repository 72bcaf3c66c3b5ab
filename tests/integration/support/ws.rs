//! A WebSocket echo upstream that records the upgrade request it received.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

use super::runtime::{listen, TaskGuard};

/// The upgrade request as the upstream saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsRecorded {
    /// Path and query of the upgrade request.
    pub target: String,
    /// Headers (names lowercase, as `http::HeaderMap` stores them).
    pub headers: Vec<(String, String)>,
}

impl WsRecorded {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct Shared {
    upgrades: Mutex<Vec<WsRecorded>>,
    changed: Notify,
}

/// Accepts WebSocket upgrades and echoes text and binary messages back.
#[derive(Debug)]
pub struct WsEchoServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _task: TaskGuard,
}

impl WsEchoServer {
    /// Starts it on a fresh loopback port.
    pub fn start() -> WsEchoServer {
        let (listener, addr) = listen();
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        let task = TaskGuard::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                while conns.try_join_next().is_some() {}
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                conns.spawn(async move {
                    // The callback type is tungstenite's; its error type is large.
                    #[allow(clippy::result_large_err)]
                    let record = |req: &Request, resp: Response| {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(n, v)| {
                                (
                                    n.to_string(),
                                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                )
                            })
                            .collect();
                        let target = req
                            .uri()
                            .path_and_query()
                            .map_or("/".into(), |p| p.to_string());
                        state
                            .upgrades
                            .lock()
                            .expect("upgrade log poisoned")
                            .push(WsRecorded { target, headers });
                        state.changed.notify_waiters();
                        Ok(resp)
                    };
                    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, record).await
                    else {
                        return;
                    };
                    while let Some(Ok(msg)) = ws.next().await {
                        let echo = match msg {
                            Message::Text(_) | Message::Binary(_) => msg,
                            Message::Close(_) => break,
                            _ => continue,
                        };
                        if ws.send(echo).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        WsEchoServer {
            addr,
            shared,
            _task: task,
        }
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Every upgrade request accepted so far.
    pub fn upgrades(&self) -> Vec<WsRecorded> {
        self.shared
            .upgrades
            .lock()
            .expect("upgrade log poisoned")
            .clone()
    }

    /// Waits until `n` upgrades were seen; panics after `within`.
    pub async fn wait_for_upgrades(&self, n: usize, within: Duration) -> Vec<WsRecorded> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.shared.changed.notified();
            let seen = self.upgrades();
            if seen.len() >= n {
                return seen;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("wanted {n} WebSocket upgrades within {within:?}, got {seen:#?}");
            }
        }
    }
}
