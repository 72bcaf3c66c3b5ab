//! Upstream failover (README "How a request is decided", nginx `proxy_next_upstream`): refused
//! connections, 500/502/503 and invalid responses move on to the next
//! upstream; all failed → 502, timed out → 504; a POST is retried only when
//! the connection failed, never after the upstream read it; nothing is
//! retried once bytes reached the client. Also the three upstream timeouts
//! and `client_send_timeout`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::binary::{client, Gateway, GatewayBuilder};
use crate::support::conf::route;
use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::{
    dead_port, Blackhole, CloseMidResponse, EchoServer, GarbageServer, NonReader, StallServer,
    StatusServer, HUGE_BODY,
};

fn dead() -> String {
    format!("http://127.0.0.1:{}", dead_port())
}

fn gateway(upstreams: &[String], extra: &str) -> Gateway {
    GatewayBuilder::new(&format!("{}{extra}", route("app", "/app/", upstreams))).start()
}

#[tokio::test]
async fn test_failover_refused_connection_goes_to_next() {
    let echo = EchoServer::start();
    let gw = gateway(&[dead(), echo.url()], "");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(echo.requests().len(), 1);
    assert_eq!(echo.last().target, "/app/x");
}

#[tokio::test]
async fn test_failover_on_502_for_get() {
    let bad = StatusServer::start(502);
    let echo = EchoServer::start();
    let gw = gateway(&[bad.url(), echo.url()], "");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(bad.hits(), 1, "the 502 upstream was tried first, once");
    assert_eq!(echo.requests().len(), 1);
}

#[tokio::test]
async fn test_failover_on_500_503_and_invalid_header() {
    let s500 = StatusServer::start(500);
    let s503 = StatusServer::start(503);
    let garbage = GarbageServer::start();
    let echo = EchoServer::start();
    let gw = gateway(&[s500.url(), s503.url(), garbage.url(), echo.url()], "");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!((s500.hits(), s503.hits(), garbage.connections()), (1, 1, 1));
    assert_eq!(echo.requests().len(), 1);
}

#[tokio::test]
async fn test_failover_all_dead_is_502() {
    let gw = gateway(&[dead(), dead()], "");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    // Every upstream answering 502: the client gets 502, each was tried once.
    let (a, b) = (StatusServer::start(502), StatusServer::start(502));
    let gw2 = gateway(&[a.url(), b.url()], "");
    let resp = client().get(gw2.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!((a.hits(), b.hits()), (1, 1));
    // The gateway keeps serving (its own endpoints, at least).
    let resp = client()
        .get(gw.url("/gatehouse/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn test_failover_stalled_upstream_read_timeout_is_504() {
    let stall = StallServer::start();
    let gw = gateway(&[stall.url()], "read_timeout = \"1s\"\n");
    let started = Instant::now();
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 504);
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "read_timeout = 1s was not applied"
    );
    assert_eq!(stall.connections(), 1);
}

#[tokio::test]
async fn test_failover_timeout_goes_to_next_for_get() {
    let stall = StallServer::start();
    let echo = EchoServer::start();
    let gw = gateway(&[stall.url(), echo.url()], "read_timeout = \"1s\"\n");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(stall.connections(), 1);
    assert_eq!(echo.requests().len(), 1);
}

#[tokio::test]
async fn test_failover_post_not_retried_after_upstream_read_it() {
    let bad = StatusServer::start(502);
    let echo = EchoServer::start();
    let gw = gateway(&[bad.url(), echo.url()], "");
    let resp = client()
        .post(gw.url("/app/form"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        502,
        "a non-idempotent request is not passed to the next upstream"
    );
    assert_eq!(bad.hits(), 1);
    assert_eq!(bad.last().body, b"payload");
    assert!(
        echo.requests().is_empty(),
        "the POST must not reach the second upstream"
    );
}

#[tokio::test]
async fn test_failover_post_retried_on_connect_failure() {
    let echo = EchoServer::start();
    let gw = gateway(&[dead(), echo.url()], "");
    let resp = client()
        .post(gw.url("/app/form"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = echo.last();
    assert_eq!(
        (r.method.as_str(), r.body.as_slice()),
        ("POST", b"payload".as_slice())
    );
}

#[tokio::test]
async fn test_failover_next_upstream_error_only_passes_502() {
    let bad = StatusServer::start(502);
    let echo = EchoServer::start();
    let gw = gateway(&[bad.url(), echo.url()], "next_upstream = [\"error\"]\n");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(
        resp.text().await.unwrap(),
        "status 502\n",
        "the upstream's own 502 is passed on"
    );
    assert_eq!(bad.hits(), 1);
    assert!(echo.requests().is_empty());

    // `error` still covers a refused connection.
    let echo2 = EchoServer::start();
    let gw = gateway(&[dead(), echo2.url()], "next_upstream = [\"error\"]\n");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn test_failover_next_upstream_tries_limits_attempts() {
    let echo = EchoServer::start();
    let gw = gateway(&[dead(), echo.url()], "next_upstream_tries = 1\n");
    let resp = client().get(gw.url("/app/x")).send().await.unwrap();
    assert_eq!(resp.status(), 502, "one try only");
    assert!(echo.requests().is_empty());
}

#[tokio::test]
async fn test_failover_close_mid_response_not_retried_and_gateway_survives() {
    let cut = CloseMidResponse::start();
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{}",
        route("cut", "/cut/", &[cut.url(), echo.url()]),
        route("app", "/app/", &[echo.url()]),
    ))
    .start();
    let c = client();
    for _ in 0..2 {
        match c.get(gw.url("/cut/x")).send().await {
            Err(_) => {}
            Ok(resp) if resp.status() == 502 => {}
            Ok(resp) => {
                assert_eq!(resp.status(), 200);
                let body = resp.bytes().await;
                assert!(
                    body.as_ref().map_or(true, |b| b.len() < 1000),
                    "a truncated upstream body must not look complete: {body:?}"
                );
            }
        }
    }
    assert_eq!(cut.connections(), 2);
    assert!(
        echo.requests().is_empty(),
        "no retry once the response started"
    );
    let resp = c.get(gw.url("/app/after")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(echo.requests().len(), 1);
}

#[tokio::test]
async fn test_failover_connect_timeout_is_504_and_tries_next() {
    let hole = Blackhole::start();
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}connect_timeout = \"1s\"\n{}connect_timeout = \"1s\"\n",
        route("hole", "/hole/", &[hole.url()]),
        route("app", "/app/", &[hole.url(), echo.url()]),
    ))
    .start();
    let started = Instant::now();
    let resp = client().get(gw.url("/hole/x")).send().await.unwrap();
    assert_eq!(resp.status(), 504, "connect timed out");
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "connect_timeout = 1s was not applied"
    );
    // Nothing was sent, so even a POST may go to the next upstream.
    let resp = client()
        .post(gw.url("/app/form"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(echo.last().body, b"payload");
}

/// `send_timeout` ends an upload the upstream stopped reading. Pingora then
/// still waits (up to `read_timeout`) for an answer the upstream may have
/// sent — an upstream refusing a body usually answers — before the 504; the
/// README documents this difference from nginx, which answers at once.
#[tokio::test]
async fn test_failover_send_timeout_is_504() {
    let deaf = NonReader::start();
    let gw = gateway(
        &[deaf.url()],
        "send_timeout = \"1s\"\nread_timeout = \"2s\"\n",
    );
    let size = 10 * 1024 * 1024;
    let mut req =
        format!("POST /app/up HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n").into_bytes();
    req.extend(std::iter::repeat_n(b'u', size));
    let started = Instant::now();
    let resp = raw_request(gw.port, &req).await;
    let took = started.elapsed();
    assert_eq!(
        status_of(&resp),
        Some(504),
        "proxy_send_timeout expired (after {took:?}): {resp}\nlog:\n{}",
        gw.log()
    );
    assert!(took < Duration::from_secs(9), "504 took {took:?}");
    assert!(
        gw.log().contains("WriteTimedout"),
        "the upload ended on send_timeout"
    );
    assert_eq!(deaf.connections(), 1);
}

#[tokio::test]
async fn test_client_send_timeout_drops_a_client_that_stops_reading() {
    let echo = EchoServer::start();
    let gw = gateway(&[echo.url()], "client_send_timeout = \"1s\"\n");
    let mut tcp = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    tcp.write_all(b"GET /app/huge HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 1024];
    let n = tcp.read(&mut head).await.unwrap();
    assert!(
        head[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&head[..n])
    );
    // Stop reading. The gateway must give up on this client, and so on the
    // upstream response it was relaying.
    echo.wait_for_closed(1, Duration::from_secs(20)).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut rest)).await;
    assert!(
        n + rest.len() < HUGE_BODY,
        "the whole body was delivered; nothing timed out"
    );
}
