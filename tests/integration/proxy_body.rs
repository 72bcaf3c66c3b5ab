//! `client_max_body_size` (README "How a request is decided"): 10 MiB passes; one byte more is
//! refused with 413, by Content-Length before the upstream is contacted, and
//! while streaming a chunked body, so that the upstream never sees a
//! complete body. Per-route overrides.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::binary::{client, Gateway, GatewayBuilder};
use crate::support::conf::route;
use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::{EchoServer, Recorded, BIG_BODY};

const TEN_MIB: usize = 10 * 1024 * 1024;

fn gateway(echo: &EchoServer, extra: &str) -> crate::support::binary::Gateway {
    GatewayBuilder::new(&format!("{}{extra}", route("app", "/app/", &[echo.url()]))).start()
}

/// A chunked request with `total` body bytes in 64 KiB chunks.
fn chunked_request(path: &str, total: usize) -> Vec<u8> {
    let mut out = format!("POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .into_bytes();
    let mut left = total;
    while left > 0 {
        let n = left.min(64 * 1024);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b'c', n));
        out.extend_from_slice(b"\r\n");
        left -= n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// Requests for `path` that the upstream received with a complete body.
fn complete_for(echo: &EchoServer, path: &str) -> Vec<Recorded> {
    echo.requests()
        .into_iter()
        .filter(|r| r.path() == path && r.complete)
        .collect()
}

/// After a refused upload: waits for the gateway to finish the request
/// (its `n`th access line with `needle`, e.g. `"POST /app/upload" 413`).
/// When that line names an upstream (`upstream=-` means none was
/// contacted), the gateway sent it the request head before aborting, so the
/// attempt is waited for until the upstream recorded it (complete or cut
/// short) — events, not a fixed wait.
async fn settle(gw: &Gateway, echo: &EchoServer, needle: &str, n: usize, before: (usize, usize)) {
    let lines = gw.wait_log_lines(needle, n, Duration::from_secs(10)).await;
    let line = &lines[n - 1];
    if line.contains("upstream=-") {
        return;
    }
    echo.wait_for_requests(before.1 + 1, Duration::from_secs(10))
        .await;
}

fn counts(echo: &EchoServer) -> (usize, usize) {
    (echo.connections(), echo.requests().len())
}

#[tokio::test]
async fn test_body_ten_mib_passes() {
    let echo = EchoServer::start();
    let gw = gateway(&echo, "");
    let body: Vec<u8> = (0..TEN_MIB).map(|i| (i % 251) as u8).collect();
    let resp = client()
        .post(gw.url("/app/upload"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = echo.last();
    assert!(r.complete);
    assert_eq!(r.body.len(), TEN_MIB);
    assert!(r.body == body, "the upstream got different bytes");
}

#[tokio::test]
async fn test_body_ten_mib_chunked_passes() {
    let echo = EchoServer::start();
    let gw = gateway(&echo, "");
    let resp = raw_request(gw.port, &chunked_request("/app/upload", TEN_MIB)).await;
    assert_eq!(
        status_of(&resp),
        Some(200),
        "{}",
        &resp[..resp.len().min(300)]
    );
    let got = complete_for(&echo, "/app/upload");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body.len(), TEN_MIB);
}

#[tokio::test]
async fn test_body_content_length_over_limit_is_413_before_upstream() {
    let echo = EchoServer::start();
    let gw = gateway(&echo, "");
    // Only the head: the decision must come from Content-Length alone.
    let head = format!(
        "POST /app/upload HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        TEN_MIB + 1
    );
    let resp = raw_request(gw.port, head.as_bytes()).await;
    assert_eq!(status_of(&resp), Some(413), "{resp}");
    assert_eq!(echo.connections(), 0, "the upstream must not be contacted");
    assert!(echo.requests().is_empty());

    // A real client that sends the whole body gets the 413 too.
    let resp = client()
        .post(gw.url("/app/upload"))
        .body(vec![b'x'; TEN_MIB + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(echo.connections(), 0);

    // And the gateway keeps serving.
    let resp = client().get(gw.url("/app/after")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn test_body_chunked_over_limit_is_413_and_upstream_never_completes() {
    let echo = EchoServer::start();
    let gw = gateway(&echo, "");
    let resp = raw_request(gw.port, &chunked_request("/app/upload", TEN_MIB + 1)).await;
    assert_eq!(
        status_of(&resp),
        Some(413),
        "{}",
        &resp[..resp.len().min(300)]
    );
    settle(&gw, &echo, "\"POST /app/upload\" 413", 1, (0, 0)).await;
    let complete = complete_for(&echo, "/app/upload");
    assert!(
        complete.is_empty(),
        "the upstream saw a complete body of {} bytes",
        complete[0].body.len()
    );
    let resp = client().get(gw.url("/app/after")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn test_body_per_route_limit_override() {
    let echo = EchoServer::start();
    let other = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}client_max_body_size = \"1k\"\n{}",
        route("small", "/small/", &[echo.url()]),
        route("big", "/big/", &[other.url()]),
    ))
    .start();
    let c = client();
    let resp = c
        .post(gw.url("/small/u"))
        .body(vec![b'a'; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(echo.last().body.len(), 1024);

    let head = "POST /small/u HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n";
    let resp = raw_request(gw.port, head.as_bytes()).await;
    assert_eq!(status_of(&resp), Some(413), "{resp}");
    assert_eq!(echo.requests().len(), 1);

    let before = counts(&echo);
    let resp = raw_request(gw.port, &chunked_request("/small/u", 1025)).await;
    assert_eq!(status_of(&resp), Some(413), "{resp}");
    settle(&gw, &echo, "\"POST /small/u\" 413", 2, before).await;
    assert_eq!(
        complete_for(&echo, "/small/u").len(),
        1,
        "only the first, 1 KiB upload completed"
    );

    // The other route keeps the 10m default.
    let resp = c
        .post(gw.url("/big/u"))
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(other.last().body.len(), 4096);
}

#[tokio::test]
async fn test_body_large_response_passes_intact() {
    let echo = EchoServer::start();
    let gw = gateway(&echo, "");
    let resp = client().get(gw.url("/app/big")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), BIG_BODY);
    assert!(body.iter().all(|&b| b == b'x'));
}

#[tokio::test]
async fn test_body_expect_100_continue() {
    let echo = EchoServer::start();
    let gw = gateway(&echo, "");
    // curl sends `Expect: 100-continue` for bodies over 1 KiB and waits for it.
    let mut tcp = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    tcp.write_all(b"POST /app/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\nExpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("no 100 Continue within 5 s")
        .unwrap();
    let got = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(
        got.starts_with("HTTP/1.1 100"),
        "want 100 Continue, got {got:?}"
    );
    tcp.write_all(&[b'e'; 2048]).await.unwrap();
    let r = echo.wait_for_requests(1, Duration::from_secs(10)).await;
    assert_eq!(r[0].body.len(), 2048);
    assert!(r[0].complete);

    // Over the limit: 413 at once, without waiting for a body.
    let head = format!(
        "POST /app/expect HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        TEN_MIB + 1
    );
    let resp = raw_request(gw.port, head.as_bytes()).await;
    assert_eq!(status_of(&resp), Some(413), "{resp}");
}
