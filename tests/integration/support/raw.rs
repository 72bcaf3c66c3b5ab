//! A raw-bytes HTTP client for requests no well-behaved client would send
//! (bad request lines, invalid header bytes, huge headers).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long `raw_request` waits for the gateway to answer and close.
pub const RAW_DEADLINE: Duration = Duration::from_secs(10);

/// Writes `bytes` to 127.0.0.1:`port` and returns what came back (lossy
/// UTF-8), reading until the peer closes, a complete response has arrived
/// (per Content-Length or chunked framing), or [`RAW_DEADLINE`] passes.
/// A write error (the gateway may close while a huge header is still being
/// sent) is not fatal: whatever was answered is returned.
pub async fn raw_request(port: u16, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the gateway");
    let deadline = tokio::time::Instant::now() + RAW_DEADLINE;
    let (mut rd, mut wr) = stream.split();
    let mut out = Vec::new();
    // The write never "finishes" the exchange: reading decides when we are
    // done, and an unfinished write (the gateway stopped reading) is dropped.
    let write = async {
        let _ = wr.write_all(bytes).await;
        std::future::pending::<()>().await;
    };
    let read = async {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match tokio::time::timeout_at(deadline, rd.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {
                    out.extend_from_slice(&buf[..n]);
                    if response_complete(&out) {
                        return;
                    }
                }
                _ => return,
            }
        }
    };
    tokio::select! {
        () = write => {}
        () = read => {}
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One exchange on a connection the test keeps: writes `bytes`, then reads
/// until one complete response arrived, the peer closed, or
/// [`RAW_DEADLINE`] passed. Returns what was read (lossy UTF-8) and whether
/// the connection is still open.
pub async fn exchange(stream: &mut TcpStream, bytes: &[u8]) -> (String, bool) {
    let deadline = tokio::time::Instant::now() + RAW_DEADLINE;
    if stream.write_all(bytes).await.is_err() {
        return (String::new(), false);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                out.extend_from_slice(&buf[..n]);
                if response_complete(&out) {
                    return (String::from_utf8_lossy(&out).into_owned(), true);
                }
            }
            Ok(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), true),
        }
    }
}

/// The status code of a raw response, if it starts with a status line.
pub fn status_of(response: &str) -> Option<u16> {
    let line = response.lines().next()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

/// Whether `buf` holds one complete response (head plus framed body).
fn response_complete(buf: &[u8]) -> bool {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let status = status_of(&head).unwrap_or(0);
    let head = head.to_ascii_lowercase();
    let body = &buf[end + 4..];
    if matches!(status, 100..=199 | 204 | 304) {
        return true;
    }
    for line in head.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.trim() {
            "content-length" => {
                return value.trim().parse::<usize>().is_ok_and(|n| body.len() >= n)
            }
            "transfer-encoding" if value.contains("chunked") => {
                return body.ends_with(b"0\r\n\r\n");
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_response_complete_framing() {
        assert!(response_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        ));
        assert!(!response_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok"
        ));
        assert!(response_complete(b"HTTP/1.1 204 No Content\r\n\r\n"));
        assert!(response_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        ));
        assert!(!response_complete(b"HTTP/1.1 400 Bad"));
        assert_eq!(status_of("HTTP/1.1 400 Bad Request\r\n"), Some(400));
        assert_eq!(status_of("garbage"), None);
    }
}
