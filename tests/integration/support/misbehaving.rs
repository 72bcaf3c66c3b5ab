//! Upstreams that misbehave on purpose: one that never answers, one that
//! closes in the middle of its response, one that answers garbage, one whose
//! accept queue is full, one that never reads, and a port with nothing
//! listening.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;

use super::ports;
use super::runtime::{listen, rt, TaskGuard};

/// What `CloseMidResponse` sends before closing: a head announcing 1000 bytes
/// and only 10 of them.
pub const TRUNCATED_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";

/// Reads until the end of a request head (or EOF); the bytes are discarded.
async fn read_head(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Accepts, reads the request, and never answers. Connections stay open
/// until the server is dropped.
#[derive(Debug)]
pub struct StallServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    _task: TaskGuard,
}

impl StallServer {
    /// Starts it on a fresh loopback port.
    pub fn start() -> StallServer {
        let (listener, addr) = listen();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let task = TaskGuard::spawn(async move {
            let mut held = JoinSet::new();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                held.spawn(async move {
                    read_head(&mut stream).await;
                    // Hold the connection open without answering.
                    let mut sink = [0u8; 4096];
                    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                });
            }
        });
        StallServer {
            addr,
            connections,
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

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// What `GarbageServer` answers: not an HTTP response at all.
pub const GARBAGE_RESPONSE: &[u8] = b"THIS IS NOT HTTP\r\n\r\n";

/// A server that reads each request head, writes fixed bytes, then closes.
#[derive(Debug)]
pub struct Canned {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    _task: TaskGuard,
}

impl Canned {
    /// Starts it on a fresh loopback port.
    pub fn start(reply: &'static [u8]) -> Canned {
        let (listener, addr) = listen();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let task = TaskGuard::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                while conns.try_join_next().is_some() {}
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                conns.spawn(async move {
                    read_head(&mut stream).await;
                    let _ = stream.write_all(reply).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Canned {
            addr,
            connections,
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

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Sends [`TRUNCATED_RESPONSE`] (200, 10 of 1000 announced bytes), then closes.
#[derive(Debug)]
pub struct CloseMidResponse;

impl CloseMidResponse {
    /// Starts it on a fresh loopback port.
    pub fn start() -> Canned {
        Canned::start(TRUNCATED_RESPONSE)
    }
}

/// Answers [`GARBAGE_RESPONSE`] (an invalid header, nginx `invalid_header`).
#[derive(Debug)]
pub struct GarbageServer;

impl GarbageServer {
    /// Starts it on a fresh loopback port.
    pub fn start() -> Canned {
        Canned::start(GARBAGE_RESPONSE)
    }
}

/// A listener whose accept queue is full and never drained: the kernel drops
/// further SYNs, so connection attempts hang (for connect timeouts).
#[derive(Debug)]
pub struct Blackhole {
    addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _fillers: Vec<std::net::TcpStream>,
}

impl Blackhole {
    /// Binds with a backlog of 0 and fills the queue with idle connections.
    pub fn start() -> Blackhole {
        let _guard = rt().enter();
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind");
        let listener = socket.listen(0).expect("listen");
        let addr = listener.local_addr().expect("local_addr");
        ports::reserve(addr.port());
        let mut fillers = Vec::new();
        for _ in 0..16 {
            // The first connection must get in; later ones stop when the queue is full.
            let wait = Duration::from_millis(if fillers.is_empty() { 5000 } else { 300 });
            match std::net::TcpStream::connect_timeout(&addr, wait) {
                Ok(s) => fillers.push(s),
                Err(_) if !fillers.is_empty() => {
                    return Blackhole {
                        addr,
                        _listener: listener,
                        _fillers: fillers,
                    }
                }
                Err(e) => panic!("the first connection to {addr} failed: {e}"),
            }
        }
        panic!("the accept queue of {addr} never filled up");
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }
}

/// Accepts connections and never reads from them (for send timeouts).
#[derive(Debug)]
pub struct NonReader {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    _task: TaskGuard,
}

impl NonReader {
    /// Starts it on a fresh loopback port.
    pub fn start() -> NonReader {
        let (listener, addr) = listen();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let task = TaskGuard::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        NonReader {
            addr,
            connections,
            _task: task,
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A loopback port with nothing listening (connections are refused).
pub fn dead_port() -> u16 {
    ports::free_port()
}
