//! Request and response headers (the seed's proxy.conf): the default
//! `set_headers`, nginx variables, `trusted_proxies`, `hide_headers`,
//! Set-Cookie pass-through, HTTP/1.1 and keep-alive to the
//! upstream, and the access log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use crate::support::binary::{client, GatewayBuilder};
use crate::support::conf::route;
use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::{dead_port, EchoServer};

fn app(echo: &EchoServer) -> String {
    route("app", "/app/", &[echo.url()])
}

#[tokio::test]
async fn test_headers_default_set_headers() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    let resp = client().get(gw.url("/app/h")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let r = echo.last();
    assert_eq!(
        r.header_all("host"),
        vec![format!("127.0.0.1:{}", gw.port)],
        "$host:$server_port"
    );
    assert_eq!(r.header("x-real-ip"), Some("127.0.0.1"));
    assert_eq!(r.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(
        r.header("x-forwarded-proto"),
        Some("https"),
        "the seed sets https literally"
    );

    // A named Host: $host is the name without the port, $server_port the listener's.
    client()
        .get(gw.url("/app/h"))
        .header("Host", "media.example.com:9999")
        .send()
        .await
        .unwrap();
    assert_eq!(
        echo.last().header("host"),
        Some(format!("media.example.com:{}", gw.port).as_str())
    );

    // Client-sent copies of the headers the gateway sets are replaced, not kept.
    client()
        .get(gw.url("/app/h"))
        .header("X-Real-IP", "9.9.9.9")
        .header("X-Forwarded-Proto", "http")
        .send()
        .await
        .unwrap();
    let r = echo.last();
    assert_eq!(r.header_all("x-real-ip"), vec!["127.0.0.1"]);
    assert_eq!(r.header_all("x-forwarded-proto"), vec!["https"]);
}

#[tokio::test]
async fn test_headers_host_is_lowercased() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    client()
        .get(gw.url("/app/h"))
        .header("Host", "Media.Example.COM")
        .send()
        .await
        .unwrap();
    assert_eq!(
        echo.last().header("host"),
        Some(format!("media.example.com:{}", gw.port).as_str()),
        "nginx's $host is lowercase"
    );
}

#[tokio::test]
async fn test_headers_host_missing_falls_back_to_listener() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    let resp = raw_request(gw.port, b"GET /app/nohost HTTP/1.0\r\n\r\n").await;
    assert_eq!(status_of(&resp), Some(200), "{resp}");
    assert_eq!(
        echo.last().header_all("host"),
        vec![format!("127.0.0.1:{}", gw.port)],
        "HTTP/1.0 without Host: $host is the listener's address (DESIGN model: TemplatePart::Host)"
    );
}

#[tokio::test]
async fn test_headers_untrusted_forwarded_for_not_believed() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    client()
        .get(gw.url("/app/h"))
        .header("X-Forwarded-For", "6.6.6.6")
        .send()
        .await
        .unwrap();
    let r = echo.last();
    assert_eq!(
        r.header("x-real-ip"),
        Some("127.0.0.1"),
        "untrusted X-Forwarded-For must not set the client address"
    );
    let xff = r.header_all("x-forwarded-for").join(", ");
    assert!(
        xff.ends_with("127.0.0.1"),
        "the real peer is appended last: {xff:?}"
    );
}

#[tokio::test]
async fn test_headers_trusted_proxy_forwarded_for_believed() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo))
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    client()
        .get(gw.url("/app/h"))
        .header("X-Forwarded-For", "6.6.6.6")
        .send()
        .await
        .unwrap();
    let r = echo.last();
    assert_eq!(r.header("x-real-ip"), Some("6.6.6.6"));
    assert_eq!(r.header_all("x-forwarded-for"), vec!["6.6.6.6, 127.0.0.1"]);

    // Several hops: the client is the last address the trusted proxy added.
    client()
        .get(gw.url("/app/h"))
        .header("X-Forwarded-For", "1.1.1.1, 6.6.6.6")
        .send()
        .await
        .unwrap();
    let r = echo.last();
    assert_eq!(r.header("x-real-ip"), Some("6.6.6.6"));
    assert_eq!(
        r.header_all("x-forwarded-for"),
        vec!["1.1.1.1, 6.6.6.6, 127.0.0.1"]
    );

    // Garbage from a trusted proxy does not become the client address.
    client()
        .get(gw.url("/app/h"))
        .header("X-Forwarded-For", "not-an-ip")
        .send()
        .await
        .unwrap();
    assert_eq!(echo.last().header("x-real-ip"), Some("127.0.0.1"));
}

#[tokio::test]
async fn test_headers_custom_set_headers_and_variables() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}set_headers = {{ \"Host\" = \"$host:$server_port\", \"X-UA\" = \"$http_user_agent\", \
         \"X-Cookie\" = \"$cookie_name\", \"X-Scheme\" = \"$scheme\", \
         \"X-Mixed\" = \"$scheme://$host:$server_port\", \"X-Secret\" = \"\" }}\n",
        app(&echo)
    ))
    .start();
    client()
        .get(gw.url("/app/vars"))
        .header("User-Agent", "test-agent/1.0")
        .header("Cookie", "other=x; name=v1; last=y")
        .header("X-Secret", "client-sent")
        .send()
        .await
        .unwrap();
    let r = echo.last();
    assert_eq!(r.header("x-ua"), Some("test-agent/1.0"));
    assert_eq!(r.header("x-cookie"), Some("v1"));
    assert_eq!(r.header("x-scheme"), Some("http"));
    assert_eq!(
        r.header("x-mixed"),
        Some(format!("http://127.0.0.1:{}", gw.port).as_str())
    );
    assert_eq!(
        r.header("x-secret"),
        None,
        "an empty set_headers value removes the header"
    );

    // A variable with no value (no User-Agent, no such cookie) yields an empty
    // value, and nginx does not pass a header whose value is empty.
    client().get(gw.url("/app/vars")).send().await.unwrap();
    let r = echo.last();
    assert_eq!(r.header("x-ua"), None);
    assert_eq!(r.header("x-cookie"), None);
    assert_eq!(r.header("x-scheme"), Some("http"));
}

#[tokio::test]
async fn test_headers_hide_headers() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    let resp = client().get(gw.url("/app/xfo")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().get("x-frame-options").is_none(),
        "hidden by default (seed)"
    );
    assert_eq!(resp.headers()["x-other"], "kept");

    // An explicit empty list keeps it.
    let gw = GatewayBuilder::new(&format!("{}hide_headers = []\n", app(&echo))).start();
    let resp = client().get(gw.url("/app/xfo")).send().await.unwrap();
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn test_headers_set_cookie_passed_untouched() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    let resp = client().get(gw.url("/app/cookie")).send().await.unwrap();
    let cookies: Vec<&str> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, vec!["a=1; Path=/x; HttpOnly", "b=2"]);
}

#[tokio::test]
async fn test_headers_upstream_gets_http11_from_http10_client() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    let resp = raw_request(gw.port, b"GET /app/v HTTP/1.0\r\nHost: x\r\n\r\n").await;
    assert_eq!(status_of(&resp), Some(200), "{resp}");
    let r = echo.last();
    assert_eq!(r.version, "HTTP/1.1", "proxy_http_version 1.1");
    assert_eq!(r.target, "/app/v");
}

#[tokio::test]
async fn test_headers_hop_by_hop_request_fields_not_forwarded() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    let hop = [
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Connection", "keep-alive"),
        ("Proxy-Authorization", "Basic Zm9vOmJhcg=="),
        ("TE", "trailers"),
        ("Trailer", "Expires"),
        ("HTTP2-Settings", "AAMAAABkAAQAAP__"),
        ("Upgrade", "h2c"),
    ];
    // Each field alone, then all of them together.
    let mut cases: Vec<Vec<(&str, &str)>> = hop.iter().map(|h| vec![*h]).collect();
    cases.push(hop.to_vec());
    for fields in cases {
        let mut req = String::from("GET /app/hop HTTP/1.1\r\nHost: x\r\nX-Kept: 1\r\n");
        for (name, value) in &fields {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("Connection: close\r\n\r\n");
        let resp = raw_request(gw.port, req.as_bytes()).await;
        assert_eq!(status_of(&resp), Some(200), "{fields:?}: {resp}");
        let r = echo.last();
        assert_eq!(r.header("x-kept"), Some("1"));
        for (name, _) in &fields {
            assert_eq!(r.header(name), None, "{name} reached the upstream");
        }
        let conn = r.header("connection").unwrap_or("").to_ascii_lowercase();
        assert!(
            !conn.contains("close"),
            "the client's Connection was forwarded: {conn:?}"
        );
    }
}

#[tokio::test]
async fn test_headers_upstream_keepalive_reuses_connection() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).start();
    let c = client();
    for i in 0..3 {
        let resp = c.get(gw.url(&format!("/app/k{i}"))).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
    }
    assert_eq!(echo.requests().len(), 3);
    assert_eq!(
        echo.connections(),
        1,
        "sequential requests share one upstream connection"
    );
    for r in echo.requests() {
        let conn = r.header("connection").unwrap_or("").to_ascii_lowercase();
        assert!(
            !conn.contains("close"),
            "Connection \"\" (keep-alive) expected, got {conn:?}"
        );
    }
}

#[tokio::test]
async fn test_headers_keepalive_false_opens_new_connections() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&format!("{}keepalive = false\n", app(&echo))).start();
    let c = client();
    for i in 0..2 {
        let resp = c.get(gw.url(&format!("/app/k{i}"))).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
    }
    assert_eq!(echo.requests().len(), 2);
    assert_eq!(
        echo.connections(),
        2,
        "keepalive = false: no upstream connection reuse"
    );
}

#[tokio::test]
async fn test_headers_access_log_line_without_secrets() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route("logroute", "/app/", &[echo.url()])).start();
    let resp = client()
        .post(gw.url("/app/logged?q=1"))
        .header(
            "Cookie",
            "gatehouse_session=SECRETCOOKIE123; other=SECRETOTHER789",
        )
        .header("Authorization", "Bearer SECRETAUTH456")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let log = gw.wait_log("logroute", Duration::from_secs(10)).await;
    let line = log
        .lines()
        .find(|l| l.contains("/app/logged") && l.contains("logroute"))
        .unwrap()
        .to_string();
    for want in ["POST", "200", "logroute", "127.0.0.1"] {
        assert!(
            line.contains(want),
            "access log line lacks {want:?}: {line}"
        );
    }
    assert!(
        line.contains(&echo.port().to_string()),
        "upstream missing: {line}"
    );
    for secret in ["SECRETCOOKIE123", "SECRETOTHER789", "SECRETAUTH456"] {
        assert!(!log.contains(secret), "the log leaks {secret}:\n{log}");
    }
}

#[tokio::test]
async fn test_headers_access_log_for_gateway_answers() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{}",
        route("logroute", "/app/", &[echo.url()]),
        route(
            "deadroute",
            "/dead/",
            &[format!("http://127.0.0.1:{}", dead_port())]
        ),
    ))
    .start();
    let c = client();
    assert_eq!(
        c.get(gw.url("/nowhere-404")).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        c.get(gw.url("/dead/x-502")).send().await.unwrap().status(),
        502
    );
    let log = gw.wait_log("deadroute", Duration::from_secs(10)).await;
    let has = |parts: &[&str]| log.lines().any(|l| parts.iter().all(|p| l.contains(p)));
    assert!(
        has(&["/nowhere-404", "404"]),
        "no access line for the 404:\n{log}"
    );
    assert!(
        has(&["/dead/x-502", "502", "deadroute"]),
        "no access line for the 502:\n{log}"
    );
}

#[tokio::test]
async fn test_headers_log_never_holds_plex_tokens() {
    // Plex clients put the token in the query and in a header; neither may
    // reach the log — not in the access line, not in an error line.
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{}",
        route("plex", "/plex/", &[format!("{}/", echo.url())]),
        route(
            "deadroute",
            "/dead/",
            &[format!("http://127.0.0.1:{}", dead_port())]
        ),
    ))
    .start();
    let c = client();
    let ok = c
        .get(gw.url("/plex/library/sections?X-Plex-Token=SECRETQUERYTOKEN1"))
        .header("X-Plex-Token", "SECRETHEADERTOKEN2")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        echo.last().target,
        "/library/sections?X-Plex-Token=SECRETQUERYTOKEN1"
    );
    let failed = c
        .get(gw.url("/dead/x?X-Plex-Token=SECRETQUERYTOKEN3"))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 502);
    let log = gw.wait_log("deadroute", Duration::from_secs(10)).await;
    for secret in [
        "SECRETQUERYTOKEN1",
        "SECRETHEADERTOKEN2",
        "SECRETQUERYTOKEN3",
    ] {
        assert!(!log.contains(secret), "the log leaks {secret}:\n{log}");
    }
}

#[tokio::test]
async fn test_headers_dual_stack_listener_trusts_mapped_ipv4_proxy() {
    // On `[::]`, a peer reached over 127.0.0.1 is `::ffff:127.0.0.1`: both
    // the client address and `$proxy_add_x_forwarded_for` must see the
    // trusted IPv4 proxy.
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo))
        .listen_host("[::]")
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    let resp = client()
        .get(gw.url("/app/xff"))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = echo.last();
    assert_eq!(r.header("x-real-ip"), Some("203.0.113.9"));
    assert_eq!(r.header("x-forwarded-for"), Some("203.0.113.9, 127.0.0.1"));
}
