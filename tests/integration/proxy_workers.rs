//! A gateway with two worker threads (`threads = 2`): the listener accepts on one worker and
//! hands each connection to one of the two, which serves it from then on; a connection handed
//! to the other worker has its socket moved to that worker's I/O driver before its first read
//! (vendor/README.md, change 10). Whichever worker got it, every connection must keep working:
//! keep-alive requests that arrive after it went idle, and request bodies that arrive after
//! their head.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::binary::GatewayBuilder;
use crate::support::conf::route;
use crate::support::raw::{exchange, status_of};
use crate::support::upstream::EchoServer;

const CONNECTIONS: usize = 16;
const ROUNDS: usize = 4;

#[tokio::test]
async fn test_workers_serve_every_connection_across_keepalive_and_bodies() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route("app", "/app/", &[echo.url()]))
        .server_extra("threads = 2")
        .start();
    let mut conns = Vec::new();
    for _ in 0..CONNECTIONS {
        conns.push(TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap());
    }
    // Round by round over all connections: each request is sent only after the previous one
    // on its connection was answered, so the gateway waits on an idle socket every time.
    for round in 0..ROUNDS {
        for (i, conn) in conns.iter_mut().enumerate() {
            let body = format!("body of {i}/{round}");
            let head = format!(
                "POST /app/c{i}/r{round} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            conn.write_all(head.as_bytes()).await.unwrap();
            conn.flush().await.unwrap();
            let (resp, open) = exchange(conn, body.as_bytes()).await;
            assert_eq!(
                status_of(&resp),
                Some(200),
                "connection {i}, round {round}: {resp}"
            );
            assert!(
                resp.contains(&format!("/app/c{i}/r{round}")),
                "connection {i}, round {round} got its own answer: {resp}"
            );
            assert!(open, "connection {i} stays open after round {round}");
        }
    }
    let got = echo
        .wait_for_requests(CONNECTIONS * ROUNDS, Duration::from_secs(10))
        .await;
    for i in 0..CONNECTIONS {
        for round in 0..ROUNDS {
            let target = format!("/app/c{i}/r{round}");
            let seen: Vec<_> = got.iter().filter(|r| r.target == target).collect();
            assert_eq!(seen.len(), 1, "{target} reached the upstream once");
            assert_eq!(seen[0].body, format!("body of {i}/{round}").into_bytes());
            assert!(
                seen[0].complete,
                "{target}: the whole body reached the upstream"
            );
        }
    }
}
