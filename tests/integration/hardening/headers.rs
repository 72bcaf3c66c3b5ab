//! Client headers that frameworks read as a path or method (IIS URL
//! Rewrite, Symfony, Laminas) never reach the upstream, and a
//! `Content-Length` list is refused rather than forwarded.

use crate::support::binary::{client, GatewayBuilder};
use crate::support::conf::route;
use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::EchoServer;

const OVERRIDES: [&str; 7] = [
    "X-Original-URL",
    "X-Rewrite-URL",
    "X-Override-URL",
    "X-Original-URI",
    "X-HTTP-Method-Override",
    "X-Method-Override",
    "X_Original_URL",
];

#[tokio::test]
async fn test_path_override_headers_stripped_unless_route_sets_them() {
    let echo = EchoServer::start();
    let mut conf = route("app", "/app/", &[echo.url()]);
    conf += &route("own", "/own/", &[echo.url()]);
    conf += "set_headers = { \"X-Original-URI\" = \"$request_uri\" }\n";
    let gw = GatewayBuilder::new(&conf).start();

    let mut req = client().get(gw.url("/app/x"));
    for name in OVERRIDES {
        req = req.header(name, "/app/admin/delete");
    }
    assert_eq!(req.send().await.unwrap().status(), 200);
    let got = echo.last();
    for name in OVERRIDES {
        assert_eq!(got.header(name), None, "{name} reached the upstream");
        assert_eq!(got.header(&name.replace('_', "-")), None, "{name}");
    }

    // A route that sets one itself still sends its own value.
    let resp = client()
        .get(gw.url("/own/y?q=1"))
        .header("X-Original-URI", "/own/admin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(echo.last().header_all("x-original-uri"), vec!["/own/y?q=1"]);
}

#[tokio::test]
async fn test_content_length_list_refused() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route("app", "/app/", &[echo.url()])).start();
    for framing in [
        "Content-Length: 5, 5\r\n",
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 5,5\r\n",
    ] {
        let req = format!("POST /app/x HTTP/1.1\r\nHost: gw.test\r\n{framing}\r\nhello");
        let resp = raw_request(gw.port, req.as_bytes()).await;
        assert_eq!(status_of(&resp), Some(400), "{framing:?}: {resp}");
    }
    // A plain length still works, and nothing refused reached the upstream.
    let ok = "POST /app/x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\n\r\nhello";
    assert_eq!(
        status_of(&raw_request(gw.port, ok.as_bytes()).await),
        Some(200)
    );
    let seen = echo.requests();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].header_all("content-length"), vec!["5"]);
}
