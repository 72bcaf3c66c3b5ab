//! Only a WebSocket handshake becomes a tunnel. An `Upgrade: h2c` (or any
//! other token) on a public route must not reach the upstream, and a 101
//! to a request that asked for no WebSocket is refused, so that no later
//! bytes on the connection can reach an admin-only path unchecked.

use std::time::Duration;

use tokio::net::TcpStream;

use crate::support::accounts::builder;
use crate::support::raw::{exchange, status_of};
use crate::support::tunnel::Switcher;

const WITHIN: Duration = Duration::from_secs(10);

/// `/h2c/` public and `/h2c/admin/` admin-only, one upstream.
fn routes(upstream: &str) -> String {
    format!(
        "[[route]]\nname = \"public\"\npath = \"/h2c/\"\nupstream = [\"{upstream}\"]\nauth = \"none\"\n\n\
         [[route]]\nname = \"admin\"\npath = \"/h2c/admin/\"\nupstream = [\"{upstream}\"]\nauth = \"admin\"\n"
    )
}

const H2C: &[u8] = b"GET /h2c/x HTTP/1.1\r\nHost: gw.test\r\nUpgrade: h2c\r\n\
    Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
const ADMIN: &[u8] = b"GET /h2c/admin/secret HTTP/1.1\r\nHost: gw.test\r\n\r\n";

#[tokio::test]
async fn test_upgrade_other_than_websocket_never_reaches_upstream() {
    let up = Switcher::start();
    let gw = builder(&routes(&up.url())).start();
    for token in ["h2c", "foo/1", "WebSocket, h2c"] {
        let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
        let req =
            String::from_utf8_lossy(H2C).replace("Upgrade: h2c", &format!("Upgrade: {token}"));
        let (first, open) = exchange(&mut conn, req.as_bytes()).await;
        assert_eq!(status_of(&first), Some(200), "{token}: {first}");
        assert!(open, "{token}: the connection stays usable");
        let (second, _) = exchange(&mut conn, ADMIN).await;
        assert_eq!(status_of(&second), Some(401), "{token}: {second}");
    }
    up.wait_for_requests(3, WITHIN).await;
    for r in up.requests() {
        assert_eq!(r.header("upgrade"), None, "{r:?}");
        assert_eq!(r.path(), "/h2c/x", "only the public request went upstream");
    }
    assert!(!up.tunnel().contains("/h2c/admin"), "{}", up.tunnel());
}

#[tokio::test]
async fn test_switching_protocols_without_websocket_is_refused() {
    let up = Switcher::always();
    let gw = builder(&routes(&up.url())).start();
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    let (first, _) = exchange(&mut conn, b"GET /h2c/x HTTP/1.1\r\nHost: gw.test\r\n\r\n").await;
    assert_eq!(status_of(&first), Some(502), "{first}");
    // Whatever follows on this connection is never tunnelled.
    let (second, _) = exchange(&mut conn, ADMIN).await;
    assert!(matches!(status_of(&second), None | Some(401)), "{second}");
    assert!(!up.tunnel().contains("/h2c/admin"), "{}", up.tunnel());
    let log = gw.log();
    assert!(log.contains("101 Switching Protocols"), "{log}");
}
