//! WebSocket upgrades through the proxy (Plex's `/:/websockets/notifications`),
//! with the `proxy_pass` URI rule applied to the upgrade request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::support::binary::GatewayBuilder;
use crate::support::conf::route;
use crate::support::tls::{dns_name, tls_connect};
use crate::support::upstream::WsEchoServer;

const WITHIN: Duration = Duration::from_secs(10);

async fn next_data(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Message {
    loop {
        let msg = tokio::time::timeout(WITHIN, ws.next())
            .await
            .expect("no echo within the deadline")
            .expect("the WebSocket ended")
            .expect("WebSocket error");
        if matches!(msg, Message::Text(_) | Message::Binary(_)) {
            return msg;
        }
    }
}

#[tokio::test]
async fn test_websocket_plex_notifications_echo() {
    let ws_up = WsEchoServer::start();
    let gw = GatewayBuilder::new(&route("plex", "/plex/", &[format!("{}/", ws_up.url())])).start();
    let url = format!(
        "ws://127.0.0.1:{}/plex/:/websockets/notifications?filters=playing",
        gw.port
    );
    let (mut ws, resp) =
        tokio::time::timeout(WITHIN, tokio_tungstenite::connect_async(url.as_str()))
            .await
            .expect("handshake timed out")
            .expect("WebSocket handshake through the gateway");
    assert_eq!(resp.status(), 101);

    let seen = ws_up.wait_for_upgrades(1, WITHIN).await;
    assert_eq!(
        seen[0].target,
        "/:/websockets/notifications?filters=playing"
    );
    assert_eq!(
        seen[0]
            .header("upgrade")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("websocket")
    );
    assert_eq!(
        seen[0].header("x-forwarded-proto"),
        Some("https"),
        "set_headers apply to upgrades too"
    );

    ws.send(Message::Text("hello plex".into())).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::Text("hello plex".into()));
    ws.send(Message::Binary(vec![0, 1, 2, 255])).await.unwrap();
    assert_eq!(
        next_data(&mut ws).await,
        Message::Binary(vec![0, 1, 2, 255])
    );
    // Many messages in a row keep their order.
    for i in 0..20 {
        ws.send(Message::Text(format!("m{i}"))).await.unwrap();
    }
    for i in 0..20 {
        assert_eq!(next_data(&mut ws).await, Message::Text(format!("m{i}")));
    }
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn test_websocket_disabled_refuses_upgrade() {
    let ws_up = WsEchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}websocket = false\n",
        route("plex", "/plex/", &[format!("{}/", ws_up.url())])
    ))
    .start();
    let url = format!("ws://127.0.0.1:{}/plex/:/websockets/notifications", gw.port);
    let result = tokio::time::timeout(WITHIN, tokio_tungstenite::connect_async(url.as_str()))
        .await
        .expect("handshake attempt timed out");
    assert!(result.is_err(), "websocket = false must not upgrade");
    assert!(
        ws_up.upgrades().is_empty(),
        "the upstream must not have upgraded"
    );
}

#[tokio::test]
async fn test_websocket_over_tls() {
    let ws_up = WsEchoServer::start();
    let gw = GatewayBuilder::new(&route("plex", "/plex/", &[format!("{}/", ws_up.url())]))
        .tls(true)
        .start();
    let port = gw.tls_port.unwrap();
    let tls = tls_connect(port, dns_name("a.test"), &[b"http/1.1"]).await;
    let url = format!("wss://a.test:{port}/plex/:/websockets/notifications");
    let (mut ws, resp) =
        tokio::time::timeout(WITHIN, tokio_tungstenite::client_async(url.as_str(), tls))
            .await
            .expect("handshake timed out")
            .expect("WebSocket handshake over TLS");
    assert_eq!(resp.status(), 101);
    let seen = ws_up.wait_for_upgrades(1, WITHIN).await;
    assert_eq!(seen[0].target, "/:/websockets/notifications");
    assert_eq!(
        seen[0].header("host"),
        Some(format!("a.test:{port}").as_str())
    );
    ws.send(Message::Text("over tls".into())).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::Text("over tls".into()));
    ws.close(None).await.unwrap();
}
