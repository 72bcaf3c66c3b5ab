//! TLS listeners (README "How a request is decided"): the certificate is chosen by SNI from
//! `certs_dir` (`default.crt` otherwise), HTTP/2 is offered by ALPN and
//! HTTP/1.1 always works, and `$scheme` reaches the upstream as `https`;
//! `redirect_scheme` follows the request's scheme, which a trusted proxy's
//! X-Forwarded-Proto may set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::support::binary::{client, Gateway, GatewayBuilder};
use crate::support::conf::route;
use crate::support::tls::{dns_name, tls_connect};
use crate::support::upstream::EchoServer;

/// The DER of `certs/<name>.crt`.
fn cert_der(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("certs")
        .join(format!("{name}.crt"));
    CertificateDer::from_pem_file(&path)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// Handshakes with `server_name` (an IP address sends no SNI) and returns the
/// leaf certificate the gateway presented.
async fn presented_cert(port: u16, server_name: ServerName<'static>) -> Vec<u8> {
    let tls = tls_connect(port, server_name, &[]).await;
    let chain = tls
        .get_ref()
        .1
        .peer_certificates()
        .expect("no certificate presented");
    chain[0].as_ref().to_vec()
}

fn gateway(echo: &EchoServer) -> Gateway {
    GatewayBuilder::new(&format!(
        "[proxy]\nset_headers = {{ \"Host\" = \"$host:$server_port\", \"X-Forwarded-Proto\" = \"$scheme\", \
         \"X-Scheme\" = \"$scheme\" }}\n\n{}",
        app(echo)
    ))
    .tls(true)
    .start()
}

fn app(echo: &EchoServer) -> String {
    route("app", "/app/", &[echo.url()])
}

/// A TLS gateway with two worker threads, for connections and streams spread over both.
fn two_worker_gateway(echo: &EchoServer) -> Gateway {
    GatewayBuilder::new(&app(echo))
        .server_extra("threads = 2")
        .tls(true)
        .start()
}

/// A reqwest client that trusts anything and resolves `host` to the gateway.
fn tls_client(host: &str, port: u16, http1_only: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .resolve(host, SocketAddr::from(([127, 0, 0, 1], port)))
        .timeout(Duration::from_secs(10));
    if http1_only {
        b = b.http1_only();
    }
    b.build().unwrap()
}

#[tokio::test]
async fn test_tls_sni_picks_certificate() {
    let echo = EchoServer::start();
    let gw = gateway(&echo);
    let port = gw.tls_port.unwrap();
    let (a, b, default) = (cert_der("a.test"), cert_der("b.test"), cert_der("default"));
    assert_ne!(a, b);

    let name = dns_name;
    assert!(
        presented_cert(port, name("a.test")).await == a,
        "SNI a.test must get a.test.crt"
    );
    assert!(
        presented_cert(port, name("b.test")).await == b,
        "SNI b.test must get b.test.crt"
    );
    assert!(
        presented_cert(port, name("unknown.test")).await == default,
        "unknown SNI → default.crt"
    );
    assert!(presented_cert(port, name("localhost")).await == default);
    let no_sni = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    assert!(
        presented_cert(port, no_sni).await == default,
        "no SNI → default.crt"
    );
}

#[tokio::test]
async fn test_tls_http2_by_alpn() {
    let echo = EchoServer::start();
    let gw = gateway(&echo);
    let port = gw.tls_port.unwrap();
    let resp = tls_client("a.test", port, false)
        .get(format!("https://a.test:{port}/app/h2?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let r = echo.last();
    assert_eq!(r.target, "/app/h2?x=1");
    assert_eq!(
        r.version, "HTTP/1.1",
        "HTTP/2 downstream, HTTP/1.1 upstream"
    );
    assert_eq!(
        r.header("host"),
        Some(format!("a.test:{port}").as_str()),
        ":authority gives $host"
    );
    assert_eq!(r.header("x-scheme"), Some("https"));
    assert_eq!(r.header("x-forwarded-proto"), Some("https"));

    // A body over HTTP/2 arrives intact.
    let resp = tls_client("b.test", port, false)
        .post(format!("https://b.test:{port}/app/post"))
        .body(vec![b'z'; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(echo.last().body.len(), 100_000);

    // client_max_body_size applies to HTTP/2 streams as well.
    let before = echo.requests().len();
    let resp = tls_client("a.test", port, false)
        .post(format!("https://a.test:{port}/app/too-big"))
        .body(vec![b'z'; 10 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert!(
        echo.requests()[before..].iter().all(|r| !r.complete),
        "the upstream got the whole oversized body"
    );
}

/// Many streams at once on one HTTP/2 connection, with two worker threads: each stream is
/// served beside its connection (vendored Pingora, change 9), and every one gets its own
/// answer and reaches the upstream once.
#[tokio::test]
async fn test_tls_http2_concurrent_streams_on_one_connection() {
    let echo = EchoServer::start();
    let gw = two_worker_gateway(&echo);
    let port = gw.tls_port.unwrap();
    let client = tls_client("a.test", port, false);
    // One request first, so that the 40 below share its connection instead of racing to open
    // their own.
    let resp = client
        .get(format!("https://a.test:{port}/app/first"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let answers = futures_util::future::join_all((0..40).map(|i| {
        let client = client.clone();
        async move {
            let resp = client
                .get(format!("https://a.test:{port}/app/stream/{i}"))
                .send()
                .await
                .unwrap();
            (
                resp.status(),
                resp.version(),
                resp.text().await.unwrap_or_default(),
            )
        }
    }))
    .await;
    for (i, (status, version, body)) in answers.iter().enumerate() {
        assert_eq!(*status, 200, "stream {i}");
        assert_eq!(*version, reqwest::Version::HTTP_2, "stream {i}");
        assert!(
            body.contains(&format!("/app/stream/{i}")),
            "stream {i} got its own answer: {body}"
        );
    }
    let mut seen: Vec<String> = echo
        .requests()
        .iter()
        .map(|r| r.target.clone())
        .filter(|t| t.starts_with("/app/stream/"))
        .collect();
    seen.sort();
    let mut want: Vec<String> = (0..40).map(|i| format!("/app/stream/{i}")).collect();
    want.sort();
    assert_eq!(seen, want, "each stream reached the upstream once");
}

/// Several TLS connections at once on a two-thread gateway: each is handed to one of the
/// workers, which runs its handshake and serves it (vendor/README.md, change 10), over
/// HTTP/1.1 keep-alive and over HTTP/2.
#[tokio::test]
async fn test_tls_connections_on_two_workers() {
    let echo = EchoServer::start();
    let gw = two_worker_gateway(&echo);
    let port = gw.tls_port.unwrap();
    let runs = futures_util::future::join_all((0..12).map(|i| async move {
        // One client per task: its own connection.
        let client = tls_client("a.test", port, i % 2 == 0);
        for round in 0..5 {
            let resp = client
                .get(format!("https://a.test:{port}/app/tls/{i}/{round}"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "connection {i}, round {round}");
            let want = if i % 2 == 0 {
                reqwest::Version::HTTP_11
            } else {
                reqwest::Version::HTTP_2
            };
            assert_eq!(resp.version(), want, "connection {i}");
            let body = resp.text().await.unwrap();
            assert!(
                body.contains(&format!("/app/tls/{i}/{round}")),
                "connection {i}, round {round} got its own answer: {body}"
            );
        }
    }))
    .await;
    assert_eq!(runs.len(), 12);
    let seen = echo
        .requests()
        .iter()
        .filter(|r| r.target.starts_with("/app/tls/"))
        .count();
    assert_eq!(seen, 60, "every request reached the upstream once");
}

#[tokio::test]
async fn test_tls_alpn_offers_h2_and_http11() {
    let echo = EchoServer::start();
    let gw = gateway(&echo);
    let port = gw.tls_port.unwrap();
    let tls = tls_connect(port, dns_name("a.test"), &[b"h2", b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let tls = tls_connect(port, dns_name("a.test"), &[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn test_tls_http11_and_scheme() {
    let echo = EchoServer::start();
    let gw = gateway(&echo);
    let port = gw.tls_port.unwrap();
    let resp = tls_client("a.test", port, true)
        .get(format!("https://a.test:{port}/app/h1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    let r = echo.last();
    assert_eq!(r.header("x-scheme"), Some("https"));
    assert_eq!(r.header("x-forwarded-proto"), Some("https"));
    assert_eq!(r.header("host"), Some(format!("a.test:{port}").as_str()));

    // The plain listener of the same gateway says http.
    let resp = client().get(gw.url("/app/plain")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let r = echo.last();
    assert_eq!(r.header("x-scheme"), Some("http"));
    assert_eq!(r.header("x-forwarded-proto"), Some("http"));
    assert_eq!(
        r.header("host"),
        Some(format!("127.0.0.1:{}", gw.port).as_str())
    );
}

#[tokio::test]
async fn test_tls_redirect_scheme() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&app(&echo)).tls(true).start();
    let tls_port = gw.tls_port.unwrap();
    let want_http = format!("http://127.0.0.1:{}/somewhere", echo.port());

    let resp = client().get(gw.url("/app/redirect")).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        want_http.as_str(),
        "an HTTP client sees it unchanged"
    );

    let https = tls_client("localhost", tls_port, false);
    let resp = https
        .get(format!("https://localhost:{tls_port}/app/redirect"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!("https://127.0.0.1:{}/somewhere", echo.port()).as_str(),
        "proxy_redirect http:// $scheme://"
    );

    let gw = GatewayBuilder::new(&format!("{}redirect_scheme = false\n", app(&echo)))
        .tls(true)
        .start();
    let tls_port = gw.tls_port.unwrap();
    let https = tls_client("localhost", tls_port, false);
    let resp = https
        .get(format!("https://localhost:{tls_port}/app/redirect"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["location"],
        want_http.as_str(),
        "redirect_scheme = false"
    );
}

#[tokio::test]
async fn test_tls_forwarded_proto_believed_only_from_trusted_proxy() {
    // docs/configuration.md: trusted_proxies are the CIDRs whose X-Forwarded-For *and*
    // X-Forwarded-Proto are believed: behind a TLS-terminating proxy, $scheme
    // is https, so `redirect_scheme` and `$scheme` say https.
    let echo = EchoServer::start();
    let rest = format!(
        "{}set_headers = {{ \"Host\" = \"$host:$server_port\", \"X-Scheme\" = \"$scheme\" }}\n",
        app(&echo)
    );
    let untrusted = GatewayBuilder::new(&rest).start();
    let trusted = GatewayBuilder::new(&rest)
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    let http_location = format!("http://127.0.0.1:{}/somewhere", echo.port());
    for (gw, want) in [(&untrusted, "http"), (&trusted, "https")] {
        let resp = client()
            .get(gw.url("/app/redirect"))
            .header("X-Forwarded-Proto", "https")
            .send()
            .await
            .unwrap();
        assert_eq!(echo.last().header("x-scheme"), Some(want), "$scheme");
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let want_location = http_location.replacen("http", want, 1);
        assert_eq!(location, want_location, "redirect_scheme");
    }
}
