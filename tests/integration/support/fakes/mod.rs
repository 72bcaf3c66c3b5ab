//! Fakes of plex.tv, Ombi and Tautulli that follow `docs/upstreams.md`
//! (paths, bodies, status codes, JSON/XML shapes, Tautulli ≥ 2.17.1's CSRF
//! rule), record every request, and can be told to fail.
//!
//! This file holds the shared core: a small HTTP/1.1 server on 127.0.0.1:0
//! (one request per connection, `Connection: close`), run on the shared
//! background runtime so it serves from `#[test]` and `#[tokio::test]` alike.
//! [`Mode`] is applied here for `Slow` (answer after a delay) and `Down`
//! (connections are accepted and reset without an answer, nothing recorded);
//! each fake decides what `Unauthorized`, `Forbidden` and `RateLimited` mean
//! for its endpoints.

pub mod ombi;
pub mod plex_tv;
pub mod tautulli;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::runtime::{listen, TaskGuard};

/// How a fake behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Follow the contract.
    #[default]
    Ok,
    /// Refuse every credential / token (401 with the service's body).
    Unauthorized,
    /// 403 on sign-in endpoints (Tautulli's CSRF refusal body).
    Forbidden,
    /// 429 with `Retry-After` on sign-in endpoints.
    RateLimited,
    /// Answer normally after this delay.
    Slow(Duration),
    /// Accept connections and close them at once (no HTTP answer).
    Down,
}

/// One request as a fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    /// Header lines in arrival order (names as sent).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// Path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// First value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter (decoded).
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A field of an `application/x-www-form-urlencoded` body (decoded).
    pub fn form(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of cookie `name` in the `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.header("cookie")?.split(';').find_map(|p| {
            let (n, v) = p.trim().split_once('=')?;
            (n == name).then(|| v.to_string())
        })
    }
}

/// A reply a fake sends.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A reply with `content_type` and `body`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A JSON reply.
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply::new(status, "application/json; charset=utf-8", v.to_string())
    }

    /// An XML reply.
    pub fn xml(status: u16, body: impl Into<String>) -> Reply {
        Reply::new(status, "text/xml;charset=utf-8", body.into())
    }

    /// An HTML reply.
    pub fn html(status: u16, body: impl Into<String>) -> Reply {
        Reply::new(status, "text/html;charset=utf-8", body.into())
    }

    /// A reply with no body (and no Content-Type).
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// What a fake answers: the request and the current mode (`Slow` is passed
/// as `Ok`, `Down` never reaches it).
pub type Handler = Arc<dyn Fn(&Recorded, Mode) -> Reply + Send + Sync>;

/// The running server core shared by the fakes.
pub struct FakeServer {
    addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    log: Arc<Mutex<Vec<Recorded>>>,
    _task: TaskGuard,
}

impl FakeServer {
    /// Starts serving `handler` on 127.0.0.1:0.
    pub fn start(handler: Handler) -> FakeServer {
        let (listener, addr) = listen();
        let mode = Arc::new(Mutex::new(Mode::Ok));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (m, l) = (mode.clone(), log.clone());
        let task = TaskGuard::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let (m, l, h) = (m.clone(), l.clone(), handler.clone());
                conns.spawn(serve_conn(stream, m, l, h));
                while conns.try_join_next().is_some() {}
            }
        });
        FakeServer {
            addr,
            mode,
            log,
            _task: task,
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Changes how the fake behaves from the next connection on.
    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose path is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path() == path)
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.log.lock().unwrap().clear();
    }
}

async fn serve_conn(
    mut stream: TcpStream,
    mode: Arc<Mutex<Mode>>,
    log: Arc<Mutex<Vec<Recorded>>>,
    handler: Handler,
) {
    let current = *mode.lock().unwrap();
    if current == Mode::Down {
        // Closing with the request unread makes the kernel reset the connection.
        drop(stream);
        return;
    }
    let Some(req) = read_request(&mut stream).await else {
        return;
    };
    log.lock().unwrap().push(req.clone());
    let effective = match current {
        Mode::Slow(d) => {
            tokio::time::sleep(d).await;
            Mode::Ok
        }
        m => m,
    };
    let reply = handler(&req, effective);
    let _ = stream
        .write_all(&encode(&reply, req.method == "HEAD"))
        .await;
    let _ = stream.shutdown().await;
}

/// Reads one request (head up to 64 KiB, `Content-Length` body up to 1 MiB).
async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
        .min(1024 * 1024);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

fn encode(reply: &Reply, head_only: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status)).into_bytes();
    for (n, v) in &reply.headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            reply.body.len()
        )
        .as_bytes(),
    );
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        _ => "Status",
    }
}

/// A random lowercase hex string of `n` characters.
pub fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect()
}
