//! `[server] redirect_https` (308 to https, except ACME challenges and
//! health), `[server] hsts` (HTTPS responses only), and the HTTP-01 path
//! refusing tokens that are not base64url (`../` and friends).

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::binary::{client, GatewayBuilder};
use crate::support::conf::route;
use crate::support::ports::free_port;
use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::EchoServer;

fn tls_client(host: &str, port: u16) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .resolve(host, SocketAddr::from(([127, 0, 0, 1], port)))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn test_redirect_https_and_hsts() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route("app", "/app/", &[echo.url()]))
        .tls(true)
        .server_extra("redirect_https = true\nhsts = \"365d\"")
        .start();
    let tls = gw.tls_port.unwrap();

    let resp = client()
        .get(gw.url("/app/x?y=1&z"))
        .header("Host", format!("a.test:{}", gw.port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(
        resp.headers()["location"],
        format!("https://a.test:{tls}/app/x?y=1&z").as_str()
    );
    assert!(resp.headers().get("strict-transport-security").is_none());
    assert!(echo.requests().is_empty(), "redirected before the upstream");

    // Health and ACME challenges are not redirected.
    let health = client()
        .get(gw.url("/gatehouse/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        health.headers().get("strict-transport-security").is_none(),
        "plain: no HSTS"
    );
    let challenge = client()
        .get(gw.url("/.well-known/acme-challenge/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge.status(),
        404,
        "routed (no [acme] here), not redirected"
    );

    // Over TLS: no redirect, and HSTS on proxied and local responses.
    let https = tls_client("a.test", tls);
    let resp = https
        .get(format!("https://a.test:{tls}/app/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let resp = https
        .get(format!("https://a.test:{tls}/gatehouse/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let resp = https
        .get(format!("https://a.test:{tls}/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn test_acme_challenge_path_refuses_bad_tokens() {
    // [acme] with http-01 (its CA unreachable: nothing is issued here).
    let certs = tempfile::tempdir().unwrap();
    let toml = format!(
        "[acme]\nenabled = true\nemail = \"admin@example.com\"\n\
         directory = \"https://127.0.0.1:{}/dir\"\ndomains = [\"t.acme.test\"]\n",
        free_port()
    );
    let gw = GatewayBuilder::new(&toml)
        .tls(true)
        .certs_dir(certs.path())
        .server_extra("redirect_https = true")
        .env("GATEHOUSE_ACME_TIMING", super::common::TIMING)
        .start();
    for target in [
        "/.well-known/acme-challenge/../../etc/passwd",
        "/.well-known/acme-challenge/..%2f..%2fetc%2fpasswd",
        "/.well-known/acme-challenge/%2e%2e",
        "/.well-known/acme-challenge/a.b",
        "/.well-known/acme-challenge/",
        "/.well-known/acme-challenge/unknownTOKEN_-9",
    ] {
        let req =
            format!("GET {target} HTTP/1.1\r\nHost: t.acme.test\r\nConnection: close\r\n\r\n");
        let resp = raw_request(gw.port, req.as_bytes()).await;
        assert_eq!(status_of(&resp), Some(404), "{target}: {resp}");
    }
    // Everything else on the plain listener is redirected.
    let req = "GET /.well-known/other HTTP/1.1\r\nHost: t.acme.test\r\nConnection: close\r\n\r\n";
    assert_eq!(
        status_of(&raw_request(gw.port, req.as_bytes()).await),
        Some(308)
    );
    assert_eq!(
        client()
            .get(gw.url("/gatehouse/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
