//! Tests of the test servers themselves, talking to them directly (no
//! gateway), so that a failing proxy test can be trusted to be about the proxy.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

use super::binary::client;
use super::raw::{raw_request, status_of};
use super::upstream::{
    dead_port, Blackhole, CloseMidResponse, EchoServer, GarbageServer, NonReader, StallServer,
    StatusServer, WsEchoServer, BIG_BODY, HUGE_BODY,
};

const WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn test_echo_records_exact_headers_and_keeps_alive() {
    let echo = EchoServer::start();
    let c = client();
    for _ in 0..2 {
        let resp = c
            .post(format!("{}/a/b?x=1", echo.url()))
            .header("X-Mixed-Case", "one")
            .header("x-dup", "1")
            .header("x-dup", "2")
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["method"], "POST");
        assert_eq!(v["target"], "/a/b?x=1");
        assert_eq!(v["body_len"], 5);
    }
    let r = echo.last();
    assert_eq!(
        (r.method.as_str(), r.target.as_str(), r.version.as_str()),
        ("POST", "/a/b?x=1", "HTTP/1.1")
    );
    assert_eq!(r.body, b"hello");
    assert!(r.complete);
    assert_eq!(r.header_all("X-DUP"), vec!["1", "2"]);
    assert!(r
        .headers
        .iter()
        .any(|(n, _)| n == "x-mixed-case" || n == "X-Mixed-Case"));
    assert_eq!(echo.connections(), 1, "keep-alive");
}

#[tokio::test]
async fn test_echo_chunked_and_incomplete_bodies() {
    let echo = EchoServer::start();
    let resp = raw_request(
        echo.port(),
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&resp), Some(200), "{resp}");
    assert_eq!(echo.last().body, b"abcde");
    assert!(echo.last().complete);

    {
        let mut tcp = tokio::net::TcpStream::connect(echo.addr()).await.unwrap();
        tcp.write_all(b"POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
    } // dropped: the client went away mid-body
    let seen = echo.wait_for_requests(2, WITHIN).await;
    assert_eq!(seen[1].target, "/cut");
    assert!(!seen[1].complete);
    assert_eq!(seen[1].body, b"0123456789");
}

#[tokio::test]
async fn test_echo_special_paths() {
    let echo = EchoServer::start();
    let c = client();
    let resp = c
        .get(format!("{}/p/status/418", echo.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 418);
    let resp = c
        .get(format!("{}/p/redirect", echo.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!("http://127.0.0.1:{}/somewhere", echo.port()).as_str()
    );
    let resp = c.get(format!("{}/p/xfo", echo.url())).send().await.unwrap();
    assert_eq!(
        (
            resp.headers()["x-frame-options"].as_bytes(),
            resp.headers()["x-other"].as_bytes()
        ),
        (&b"DENY"[..], &b"kept"[..])
    );
    let resp = c
        .get(format!("{}/p/cookie", echo.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
    let resp = c.get(format!("{}/p/big", echo.url())).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), BIG_BODY);
    let resp = c
        .get(format!("{}/p/huge", echo.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), HUGE_BODY);
    assert_eq!(echo.closed(), 0, "keep-alive: still open");
}

#[tokio::test]
async fn test_misbehaving_servers() {
    let c = client();
    let s = StatusServer::start(503);
    assert_eq!(c.get(s.url()).send().await.unwrap().status(), 503);
    assert_eq!(s.hits(), 1);

    let stall = StallServer::start();
    let quick = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert!(quick.get(stall.url()).send().await.is_err());
    assert_eq!(stall.connections(), 1);

    let cut = CloseMidResponse::start();
    let resp = c.get(cut.url()).send().await.unwrap();
    assert!(resp.bytes().await.is_err(), "the body is cut short");

    let garbage = GarbageServer::start();
    assert!(c.get(garbage.url()).send().await.is_err());

    let err = c
        .get(format!("http://127.0.0.1:{}/", dead_port()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");

    let hole = Blackhole::start();
    let attempt = tokio::time::timeout(
        Duration::from_millis(500),
        tokio::net::TcpStream::connect(("127.0.0.1", hole.port())),
    )
    .await;
    assert!(attempt.is_err(), "a connection to the blackhole must hang");

    let deaf = NonReader::start();
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", deaf.port()))
        .await
        .unwrap();
    let chunk = vec![0u8; 1024 * 1024];
    let mut sent = 0;
    let stuck = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            tcp.write_all(&chunk).await.unwrap();
            sent += chunk.len();
        }
    })
    .await;
    assert!(
        stuck.is_err() && sent < 64 * 1024 * 1024,
        "writes to a non-reader must block"
    );
    assert_eq!(deaf.connections(), 1);
}

#[tokio::test]
async fn test_ws_echo_direct() {
    let ws_up = WsEchoServer::start();
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/:/x?y=1", ws_up.port()))
            .await
            .unwrap();
    ws.send(Message::Text("hi".into())).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("hi".into())
    );
    assert_eq!(
        ws_up.wait_for_upgrades(1, WITHIN).await[0].target,
        "/:/x?y=1"
    );
}
