//! Idle client connections close: `[server] keepalive_timeout` (nginx's
//! 75 s by default, `0s` = close after each response) and
//! `keepalive_requests` (nginx's 1000).

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::support::binary::GatewayBuilder;
use crate::support::conf::route;
use crate::support::raw::{exchange, status_of};
use crate::support::upstream::EchoServer;

const GET: &[u8] = b"GET /app/x HTTP/1.1\r\nHost: gw.test\r\n\r\n";

/// Waits until the peer closes `conn`; panics after `within`.
async fn closed_within(conn: &mut TcpStream, within: Duration) {
    let mut buf = [0u8; 1024];
    match tokio::time::timeout(within, conn.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!("unexpected {n} bytes on an idle connection"),
        Err(_) => panic!("the idle connection was still open after {within:?}"),
    }
}

#[tokio::test]
async fn test_idle_connection_closed_after_keepalive_timeout() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route("app", "/app/", &[echo.url()]))
        .server_extra("keepalive_timeout = \"1s\"")
        .start();
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    let (resp, open) = exchange(&mut conn, GET).await;
    assert_eq!(status_of(&resp), Some(200), "{resp}");
    assert!(open);
    closed_within(&mut conn, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn test_keepalive_timeout_zero_closes_after_each_response() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route("app", "/app/", &[echo.url()]))
        .server_extra("keepalive_timeout = \"0s\"")
        .start();
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    let (resp, _) = exchange(&mut conn, GET).await;
    assert_eq!(status_of(&resp), Some(200), "{resp}");
    assert!(
        resp.to_ascii_lowercase().contains("connection: close"),
        "{resp}"
    );
    closed_within(&mut conn, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn test_keepalive_requests_limit_closes_after_the_last() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route("app", "/app/", &[echo.url()]))
        .server_extra("keepalive_requests = 3")
        .start();
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    for i in 1..=3 {
        let (resp, _) = exchange(&mut conn, GET).await;
        assert_eq!(status_of(&resp), Some(200), "request {i}: {resp}");
        let close = resp.to_ascii_lowercase().contains("connection: close");
        assert_eq!(close, i == 3, "request {i}: {resp}");
    }
    closed_within(&mut conn, Duration::from_secs(10)).await;
}
