//! An upstream that switches protocols: it answers `101 Switching
//! Protocols` to every request carrying `Upgrade` (or to every request at
//! all, when told to misbehave) and then records whatever bytes arrive on
//! the raw connection. Tests use it to prove that nothing but a WebSocket
//! handshake ever becomes a tunnel past the gateway's routing and auth.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};

use super::http1::{read_request, Recorded};
use super::runtime::{listen, TaskGuard};

/// What the switching upstream saw.
#[derive(Debug, Default)]
struct Seen {
    requests: Vec<Recorded>,
    tunnel: Vec<u8>,
}

/// The switching upstream; runs until dropped.
#[derive(Debug)]
pub struct Switcher {
    port: u16,
    seen: Arc<Mutex<Seen>>,
    _task: TaskGuard,
}

impl Switcher {
    /// Answers 101 to requests with an `Upgrade` header, 200 to the rest.
    pub fn start() -> Switcher {
        Switcher::spawn(false)
    }

    /// Answers 101 to every request, `Upgrade` or not.
    pub fn always() -> Switcher {
        Switcher::spawn(true)
    }

    fn spawn(always: bool) -> Switcher {
        let (listener, addr) = listen();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        let task = TaskGuard::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let seen = shared.clone();
                tokio::spawn(async move {
                    let (rd, mut wr) = stream.into_split();
                    let mut rd = BufReader::new(rd);
                    while let Some(req) = read_request(&mut rd, &mut wr).await {
                        let upgrade = always || req.header("upgrade").is_some();
                        seen.lock().unwrap().requests.push(req);
                        if upgrade {
                            let head = "HTTP/1.1 101 Switching Protocols\r\n\
                                        Upgrade: h2c\r\nConnection: Upgrade\r\n\r\n";
                            if wr.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            let mut buf = [0u8; 4096];
                            while let Ok(n) = rd.read(&mut buf).await {
                                if n == 0 {
                                    return;
                                }
                                seen.lock().unwrap().tunnel.extend_from_slice(&buf[..n]);
                            }
                            return;
                        }
                        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                        if wr.write_all(ok.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Switcher {
            port: addr.port(),
            seen,
            _task: task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request head received (before any switch).
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().requests.clone()
    }

    /// Raw bytes received after a 101, lossy UTF-8.
    pub fn tunnel(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap().tunnel).into_owned()
    }

    /// Waits until `n` request heads arrived.
    pub async fn wait_for_requests(&self, n: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.seen.lock().unwrap().requests.len() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "wanted {n} requests at the switching upstream within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
