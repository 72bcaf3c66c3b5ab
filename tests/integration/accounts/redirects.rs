//! docs/docs/security.md B7–B14: the `rd` parameter through the real sign-in POST.
//! After a successful sign-in, `Location` is the safe target or the home.

use crate::support::binary::{client, Gateway};
use crate::support::upstream::EchoServer;

use super::common::{add_user, builder, login_form, protected};

/// The home (docs/configuration.md `[portal] home = "/"`).
const HOME: &str = "/";

fn start(echo: &EchoServer, tls: bool) -> Gateway {
    let toml = format!(
        "[session]\ndomain = \".example.com\"\n\n{}",
        protected("app", "/app/", &echo.url(), "\"user\"")
    );
    let gw = builder(&toml).tls(tls).start();
    add_user(&gw, "alice", "user", "pw-alice");
    gw
}

/// Signs in with `rd` and returns `Location`.
async fn location_after_login(gw: &Gateway, rd: &str) -> String {
    let resp = login_form(gw, "alice", "pw-alice", rd).await;
    assert_eq!(resp.status(), 302, "sign-in with rd {rd:?}");
    resp.headers()["location"].to_str().unwrap().to_string()
}

async fn assert_all_rejected(gw: &Gateway, targets: &[&str]) {
    let mut wrong = Vec::new();
    for rd in targets {
        let loc = location_after_login(gw, rd).await;
        if loc != HOME {
            wrong.push(format!("{rd:?} -> {loc:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "followed unsafe rd values:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn test_b7_absolute_foreign_url_rejected() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    assert_all_rejected(
        &gw,
        &[
            "https://evil.com",
            "https://evil.com/app/",
            "http://evil.com",
        ],
    )
    .await;
    // Safe targets are followed as given.
    assert_eq!(location_after_login(&gw, "/app/x?y=1").await, "/app/x?y=1");
    let own = gw.url("/app/");
    assert_eq!(location_after_login(&gw, &own).await, own);
}

#[tokio::test]
async fn test_b8_protocol_relative_and_slash_tricks_rejected() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    let targets = [
        "//evil.com",
        "/\\evil.com",
        "\\/evil.com",
        "/ /evil.com",
        "/%09/evil.com",
        "/../..//evil.com",
        "/%2F/evil.com",
        "/%5Cevil.com",
        "///evil.com",
    ];
    assert_all_rejected(&gw, &targets).await;
}

#[tokio::test]
async fn test_b9_suffix_confusion_rejected_case_variant_allowed() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    let targets = [
        "https://evil-example.com/",
        "https://example.com.evil.com/",
        "https://evilexample.com/",
    ];
    assert_all_rejected(&gw, &targets).await;
    let loc = location_after_login(&gw, "https://APP.EXAMPLE.COM/x").await;
    assert!(
        loc.eq_ignore_ascii_case("https://app.example.com/x"),
        "case variant: {loc}"
    );
    let loc = location_after_login(&gw, "https://example.com/").await;
    assert_eq!(loc, "https://example.com/");
}

#[tokio::test]
async fn test_b10_userinfo_port_fragment_tricks_rejected() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    let targets = [
        "https://example.com@evil.com/",
        "https://app.example.com:443@evil.com/",
        "https://evil.com#.example.com",
        "https://evil.com?.example.com",
        "https://user:pw@app.example.com/",
    ];
    assert_all_rejected(&gw, &targets).await;
}

#[tokio::test]
async fn test_b11_dangerous_schemes_rejected() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    let targets = [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://app.example.com/",
        "vbscript:msgbox(1)",
    ];
    assert_all_rejected(&gw, &targets).await;
}

#[tokio::test]
async fn test_b11_http_target_rejected_when_cookie_secure() {
    let echo = EchoServer::start();
    let gw = start(&echo, true);
    let tls = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let port = gw.tls_port.expect("TLS port");
    let mut locations = Vec::new();
    for rd in ["http://app.example.com/x", "https://app.example.com/x"] {
        let resp = tls
            .post(format!("https://127.0.0.1:{port}/gatehouse/login"))
            .form(&[("username", "alice"), ("password", "pw-alice"), ("rd", rd)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302);
        locations.push(resp.headers()["location"].to_str().unwrap().to_string());
    }
    assert_eq!(locations, [HOME, "https://app.example.com/x"]);
}

#[tokio::test]
async fn test_b12_nested_redirect_in_query_rejected() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    let targets = [
        "https://app.example.com/login?next=https://evil.com",
        "/app/login?next=//evil.com",
        "/app/login?next=javascript:alert(1)",
        "/app/login?next=https%3A%2F%2Fevil.com",
    ];
    assert_all_rejected(&gw, &targets).await;
}

#[tokio::test]
async fn test_b13_forwarded_host_uri_from_client_not_used() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    let resp = client()
        .get(gw.url("/app/page?q=1"))
        .header("Accept", "text/html")
        .header("X-Forwarded-Host", "evil.com")
        .header("X-Forwarded-Uri", "/phish")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        "/gatehouse/login?rd=%2Fapp%2Fpage%3Fq%3D1"
    );
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .header("X-Forwarded-Host", "evil.com")
        .header("X-Forwarded-Uri", "/phish")
        .form(&[("username", "alice"), ("password", "pw-alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], HOME);
}

#[tokio::test]
async fn test_b14_parallel_redirects_keep_their_own_target() {
    let echo = EchoServer::start();
    let gw = start(&echo, false);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = gw.url(&format!("/app/asset{i}.js"));
        tasks.push(tokio::spawn(async move {
            let resp = client()
                .get(url)
                .header("Accept", "text/html")
                .send()
                .await
                .unwrap();
            (i, resp.headers()["location"].to_str().unwrap().to_string())
        }));
    }
    for t in tasks {
        let (i, loc) = t.await.unwrap();
        assert_eq!(loc, format!("/gatehouse/login?rd=%2Fapp%2Fasset{i}.js"));
        let rd = format!("/app/asset{i}.js");
        assert_eq!(location_after_login(&gw, &rd).await, rd);
    }
}
