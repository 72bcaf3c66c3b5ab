//! A deliberately small HTTP/1.1 server core for test upstreams: it reads
//! requests exactly as they arrive on the wire (header case and duplicates
//! kept, Content-Length and chunked bodies), records them, and writes the
//! reply a test-specific responder chooses. Keep-alive is honoured so tests
//! can observe upstream connection reuse.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Largest request head the test servers accept.
const MAX_HEAD: usize = 1024 * 1024;

/// One request as the upstream received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Request method, e.g. `GET`.
    pub method: String,
    /// Request target exactly as sent (path and query).
    pub target: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// Header lines in arrival order, names in the case received.
    pub headers: Vec<(String, String)>,
    /// The body bytes received (possibly partial, see `complete`).
    pub body: Vec<u8>,
    /// `false` when the connection ended before the body was complete.
    pub complete: bool,
}

impl Recorded {
    /// The first value of a header, name matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in arrival order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The path part of the target (before `?`).
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn wants_close(&self) -> bool {
        let conn = self.header_all("connection").join(",").to_ascii_lowercase();
        let has = |t: &str| conn.split(',').any(|x| x.trim() == t);
        has("close") || (self.version == "HTTP/1.0" && !has("keep-alive"))
    }
}

/// A reply chosen by a responder.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Extra headers (Content-Length is added automatically).
    pub headers: Vec<(String, String)>,
    /// Body (not sent for HEAD, 204 and 304).
    pub body: Vec<u8>,
}

/// Chooses the reply for a recorded request.
pub type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// What a server saw, shared between its tasks and the test.
#[derive(Debug, Default)]
pub struct Log {
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    closed: AtomicUsize,
    changed: Notify,
}

impl Log {
    /// Every request recorded so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("request log poisoned").clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Connections that ended (either side closed) so far.
    pub fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` connections ended; panics after `within`.
    pub async fn wait_for_closed(&self, n: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.changed.notified();
            if self.closed() >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "wanted {n} closed upstream connections within {within:?}, got {}",
                    self.closed()
                );
            }
        }
    }

    pub(crate) fn record(&self, r: Recorded) {
        self.requests.lock().expect("request log poisoned").push(r);
        self.changed.notify_waiters();
    }

    pub(crate) fn connected(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Waits until at least `n` requests were recorded; panics after `within`.
    pub async fn wait_for_requests(&self, n: usize, within: Duration) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.changed.notified();
            let seen = self.requests();
            if seen.len() >= n {
                return seen;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("wanted {n} upstream requests within {within:?}, got {seen:#?}");
            }
        }
    }
}

/// Reads one request. `Ok(None)` when the peer closed (or sent garbage)
/// before a full head arrived; a request whose body was cut short comes back
/// with `complete = false`.
pub async fn read_request<R>(r: &mut R, w: &mut (impl AsyncWriteExt + Unpin)) -> Option<Recorded>
where
    R: AsyncBufRead + Unpin,
{
    let mut lines = Vec::new();
    let mut head_len = 0;
    loop {
        let mut line = Vec::new();
        let n = r.read_until(b'\n', &mut line).await.ok()?;
        if n == 0 || !line.ends_with(b"\n") {
            return None;
        }
        head_len += n;
        if head_len > MAX_HEAD {
            return None;
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        if text.is_empty() {
            if lines.is_empty() {
                continue; // tolerate stray CRLF between requests
            }
            break;
        }
        lines.push(text);
    }
    let mut parts = lines[0].splitn(3, ' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    let mut rec = Recorded {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
        body: Vec::new(),
        complete: true,
    };
    if rec
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        let _ = w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
    }
    let chunked = rec
        .header_all("transfer-encoding")
        .iter()
        .any(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        rec.complete = read_chunked(r, &mut rec.body).await.unwrap_or(false);
    } else if let Some(len) = rec
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok())
    {
        let got = r.take(len).read_to_end(&mut rec.body).await;
        rec.complete = got.is_ok() && rec.body.len() as u64 == len;
    }
    Some(rec)
}

/// Reads a chunked body into `body`; `Ok(true)` when the last chunk and the
/// trailer section arrived.
async fn read_chunked<R: AsyncBufRead + Unpin>(
    r: &mut R,
    body: &mut Vec<u8>,
) -> std::io::Result<bool> {
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(false);
        }
        let size_text = line
            .trim()
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let Ok(size) = u64::from_str_radix(&size_text, 16) else {
            return Ok(false);
        };
        if size == 0 {
            loop {
                let mut trailer = String::new();
                if r.read_line(&mut trailer).await? == 0 {
                    return Ok(false);
                }
                if trailer.trim().is_empty() {
                    return Ok(true);
                }
            }
        }
        let before = body.len() as u64;
        (&mut *r).take(size).read_to_end(body).await?;
        if body.len() as u64 - before != size {
            return Ok(false);
        }
        let mut crlf = String::new();
        if r.read_line(&mut crlf).await? == 0 {
            return Ok(false);
        }
    }
}

/// Serializes a reply; `head_only` for HEAD requests.
pub fn encode_reply(reply: &Reply, head_only: bool, close: bool) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Whatever");
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason).into_bytes();
    for (n, v) in &reply.headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    let bodyless = matches!(reply.status, 100..=199 | 204 | 304);
    if !bodyless {
        out.extend_from_slice(format!("Content-Length: {}\r\n", reply.body.len()).as_bytes());
    }
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !bodyless && !head_only {
        out.extend_from_slice(&reply.body);
    }
    out
}

/// Accept loop: every connection is served by `serve_conn` until the loop's
/// task is aborted (which aborts the connection tasks with it).
pub async fn serve(listener: TcpListener, log: Arc<Log>, responder: Responder) {
    let mut conns = JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        log.connected();
        conns.spawn(serve_conn(stream, log.clone(), responder.clone()));
    }
}

async fn serve_conn(stream: TcpStream, log: Arc<Log>, responder: Responder) {
    serve_requests(stream, &log, responder).await;
    log.closed.fetch_add(1, Ordering::SeqCst);
    log.changed.notify_waiters();
}

async fn serve_requests(stream: TcpStream, log: &Log, responder: Responder) {
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    loop {
        let Some(req) = read_request(&mut rd, &mut wr).await else {
            return;
        };
        log.record(req.clone());
        if !req.complete {
            return;
        }
        let reply = responder(&req);
        let close = req.wants_close();
        let bytes = encode_reply(&reply, req.method == "HEAD", close);
        if wr.write_all(&bytes).await.is_err() || close {
            let _ = wr.shutdown().await;
            return;
        }
    }
}
