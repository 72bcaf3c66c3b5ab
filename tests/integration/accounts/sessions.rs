//! Sessions through the real gateway: sign-in → cookie → identity headers
//! upstream, sign-out, restart, expiry, and docs/docs/security.md D21–D25.

use std::time::Duration;

use crate::support::binary::client;
use crate::support::upstream::EchoServer;

use super::common::{
    add_user, builder, get_status, login, login_form, protected, session_cookie, set_cookies,
    wait_status, COOKIE, WITHIN,
};

fn app_route(echo: &EchoServer) -> String {
    protected("app", "/app/", &echo.url(), "\"user\"")
}

#[tokio::test]
async fn test_session_login_identity_headers_reach_upstream() {
    let echo = EchoServer::start();
    let gw = builder(&app_route(&echo)).start();
    add_user(&gw, "alice", "user", "correct horse");
    let cookie = login(&gw, "alice", "correct horse").await;
    assert_eq!(get_status(&gw, "/app/page", Some(&cookie), true).await, 200);
    let seen = echo.last();
    assert_eq!(seen.header_all("X-WEBAUTH-USER"), ["alice"]);
    assert_eq!(seen.header_all("X-WEBAUTH-EMAIL"), ["alice@example.com"]);
    assert_eq!(seen.header_all("X-WEBAUTH-GROUP"), ["4"]);
    assert_eq!(seen.header_all("X-WEBAUTH-GROUP-NAME"), ["user"]);
    let me = client()
        .get(gw.url("/gatehouse/api/me"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["user"], "alice");
    assert_eq!(me["group"], 4);
}

#[tokio::test]
async fn test_session_logout_refuses_same_cookie() {
    let echo = EchoServer::start();
    let gw = builder(&app_route(&echo)).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;
    assert_eq!(get_status(&gw, "/app/", Some(&cookie), false).await, 200);
    let out = client()
        .post(gw.url("/gatehouse/logout"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 302);
    assert_eq!(out.headers()["location"], "/gatehouse/login");
    let removal = set_cookies(&out)
        .into_iter()
        .find(|c| c.starts_with(&format!("{COOKIE}=")))
        .expect("a removal cookie for the session");
    assert!(
        removal.contains("Max-Age=0") && removal.contains("Path=/"),
        "{removal}"
    );
    // The server record is gone: replaying the old cookie is refused.
    assert_eq!(get_status(&gw, "/app/", Some(&cookie), true).await, 302);
    assert_eq!(get_status(&gw, "/app/", Some(&cookie), false).await, 401);
    assert_eq!(
        echo.requests().len(),
        1,
        "the upstream saw only the signed-in request"
    );
}

#[tokio::test]
async fn test_session_restart_keeps_live_and_expires_short() {
    let echo = EchoServer::start();
    let toml = format!(
        "[session]\nlifetime = \"2s\"\nremember_me = \"1h\"\n\n{}",
        app_route(&echo)
    );
    let mut gw = builder(&toml).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .form(&[
            ("username", "alice"),
            ("password", "pw-alice"),
            ("remember", "on"),
        ])
        .send()
        .await
        .unwrap();
    let long = session_cookie(&resp).expect("remember-me sign-in");
    assert!(
        set_cookies(&resp)[0].contains("Max-Age="),
        "remember-me cookie persists"
    );
    let short = login(&gw, "alice", "pw-alice").await;
    assert_eq!(get_status(&gw, "/app/", Some(&short), false).await, 200);
    gw.restart();
    assert_eq!(
        get_status(&gw, "/app/", Some(&long), false).await,
        200,
        "live session after restart"
    );
    assert_eq!(echo.last().header("X-WEBAUTH-USER"), Some("alice"));
    wait_status(&gw, "/app/", Some(&short), 401).await;
    assert_eq!(get_status(&gw, "/app/", Some(&long), false).await, 200);
}

#[tokio::test]
async fn test_d21_cookie_flags_plain_http_ignore_forwarded_proto() {
    let echo = EchoServer::start();
    let gw = builder(&app_route(&echo)).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .header("X-Forwarded-Proto", "https")
        .form(&[("username", "alice"), ("password", "pw-alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let c = set_cookies(&resp)
        .into_iter()
        .find(|c| c.starts_with(&format!("{COOKIE}=")))
        .expect("session cookie");
    let attrs: Vec<String> = c
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for want in ["httponly", "samesite=lax", "path=/"] {
        assert!(attrs.iter().any(|a| a == want), "{want} missing: {c}");
    }
    assert!(
        !attrs.iter().any(|a| a == "secure"),
        "Secure from a client header: {c}"
    );
    assert!(
        !attrs.iter().any(|a| a.starts_with("domain")),
        "no Domain configured: {c}"
    );
    let token = c.split(';').next().unwrap().split_once('=').unwrap().1;
    assert!(
        token.len() >= 43,
        "a 256-bit token is at least 43 characters: {}",
        token.len()
    );
}

#[tokio::test]
async fn test_d21_cookie_secure_over_tls() {
    let echo = EchoServer::start();
    let gw = builder(&app_route(&echo)).tls(true).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let tls = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let port = gw.tls_port.expect("TLS port");
    let resp = tls
        .post(format!("https://127.0.0.1:{port}/gatehouse/login"))
        .form(&[("username", "alice"), ("password", "pw-alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let c = set_cookies(&resp).join("\n");
    assert!(
        c.to_ascii_lowercase().contains("; secure"),
        "Secure over TLS: {c}"
    );
}

#[tokio::test]
async fn test_d22_new_token_at_each_login_no_fixation() {
    let echo = EchoServer::start();
    let gw = builder(&app_route(&echo)).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let planted = format!("{COOKIE}={}", "A".repeat(43));
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .header("Cookie", &planted)
        .form(&[("username", "alice"), ("password", "pw-alice")])
        .send()
        .await
        .unwrap();
    let first = session_cookie(&resp).expect("first sign-in");
    assert_ne!(first, planted, "a planted token is never adopted");
    assert_eq!(get_status(&gw, "/app/", Some(&planted), false).await, 401);
    let second = login(&gw, "alice", "pw-alice").await;
    assert_ne!(first, second, "every sign-in gets a new token");
    assert_eq!(get_status(&gw, "/app/", Some(&first), false).await, 200);
    assert_eq!(get_status(&gw, "/app/", Some(&second), false).await, 200);
}

#[tokio::test]
async fn test_d23_idle_timeout_enforced_server_side() {
    // The gateway's clock is moved forward through its test clock file
    // (GATEHOUSE_TEST_CLOCK_FILE): no waiting for real seconds.
    let echo = EchoServer::start();
    let toml = format!("[session]\nidle_timeout = \"10s\"\n\n{}", app_route(&echo));
    let clock = tempfile::NamedTempFile::new().unwrap();
    let clock_path = clock.path().display().to_string();
    let gw = builder(&toml)
        .env("GATEHOUSE_TEST_CLOCK_FILE", &clock_path)
        .start();
    add_user(&gw, "alice", "user", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;
    let set_clock = |secs: i64| {
        std::fs::write(clock.path(), secs.to_string()).unwrap();
    };
    // Used every 6 s, the session outlives its 10 s idle timeout.
    for offset in [6, 12, 18, 24] {
        set_clock(offset);
        gw.wait_log(&format!("test clock offset seconds={offset}"), WITHIN)
            .await;
        assert_eq!(
            get_status(&gw, "/app/", Some(&cookie), false).await,
            200,
            "used {offset} s after sign-in, 6 s after the last request"
        );
    }
    // Left alone for 16 s, it is refused.
    set_clock(40);
    gw.wait_log("test clock offset seconds=40", WITHIN).await;
    assert_eq!(get_status(&gw, "/app/", Some(&cookie), false).await, 401);
}

#[tokio::test]
async fn test_d25_tampered_truncated_huge_cookies_refused() {
    let echo = EchoServer::start();
    let gw = builder(&app_route(&echo)).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let good = login(&gw, "alice", "pw-alice").await;
    let value = good.split_once('=').unwrap().1.to_string();
    let mut flipped = value.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let bad = [
        format!("{COOKIE}={}", String::from_utf8(flipped).unwrap()),
        format!("{COOKIE}={}", &value[..value.len() - 1]),
        format!("{COOKIE}={value}x"),
        format!("{COOKIE}="),
        COOKIE.to_string(),
        format!("{COOKIE}={}", "Z".repeat(6000)),
        format!("{COOKIE}=%00%0d%0a"),
        format!("{COOKIE}=\"{value}"),
        format!("{COOKIE}=a; {COOKIE}=b; {COOKIE}=c"),
    ];
    for cookie in &bad {
        for browser in [true, false] {
            let got = get_status(&gw, "/app/", Some(cookie), browser).await;
            let want = if browser { 302 } else { 401 };
            assert_eq!(got, want, "cookie {:.60}… (browser {browser})", cookie);
        }
    }
    assert!(
        echo.requests().is_empty(),
        "no forged cookie reached the upstream"
    );
    assert_eq!(
        get_status(&gw, "/app/", Some(&good), false).await,
        200,
        "still serving"
    );
    let resp = login_form(&gw, "alice", "pw-alice", "/").await;
    assert_eq!(resp.status(), 302);
}

#[tokio::test]
async fn test_d24_cross_site_login_and_logout_refused() {
    let echo = EchoServer::start();
    let gw = builder(&app_route(&echo)).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let form = [("username", "alice"), ("password", "pw-alice")];
    let c = client();
    let by_fetch = c
        .post(gw.url("/gatehouse/login"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_fetch.status(), 403);
    assert!(session_cookie(&by_fetch).is_none());
    let by_origin = c
        .post(gw.url("/gatehouse/login"))
        .header("Origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_origin.status(), 403);
    let text_plain = c
        .post(gw.url("/gatehouse/api/login"))
        .header("Content-Type", "text/plain")
        .body(r#"{"username":"alice","password":"pw-alice"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(text_plain.status(), 403, "JSON API needs application/json");
    let cookie = login(&gw, "alice", "pw-alice").await;
    let logout = c
        .post(gw.url("/gatehouse/logout"))
        .header("Cookie", &cookie)
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 403);
    assert_eq!(
        get_status(&gw, "/app/", Some(&cookie), false).await,
        200,
        "session kept"
    );
}

/// A graceful stop (SIGTERM) saves `last_seen` of the sessions used since
/// the last periodic flush and writes every buffered access-log line.
#[tokio::test]
async fn test_session_graceful_stop_saves_last_seen_and_access_log() {
    let echo = EchoServer::start();
    let mut gw = builder(&app_route(&echo)).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;
    let stored = |gw: &crate::support::binary::Gateway| -> i64 {
        gw.store()
            .live_sessions(std::time::UNIX_EPOCH)
            .expect("read last_seen")
            .iter()
            .map(|s| s.last_seen)
            .max()
            .unwrap_or(0)
    };
    let at_login = stored(&gw);
    // last_seen has one-second resolution: use the session in a later second.
    let deadline = std::time::Instant::now() + WITHIN;
    while now_secs() <= at_login {
        assert!(
            std::time::Instant::now() < deadline,
            "the clock did not move"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Read the whole response, so the request is over on the gateway's side
    // too (its access line is written right after the last body byte), not
    // only its status line.
    let response = crate::support::binary::client()
        .get(gw.url("/app/last-request"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("GET through the gateway");
    assert_eq!(response.status().as_u16(), 200);
    response.bytes().await.expect("the whole response body");
    let status = gw.stop(Duration::from_secs(30));
    assert!(status.success(), "graceful stop exits 0: {status}");
    assert!(
        stored(&gw) > at_login,
        "last_seen saved at stop (login {at_login})"
    );
    let log = gw.log();
    assert!(
        log.lines()
            .any(|l| l.contains("gatehouse::access") && l.contains("/app/last-request")),
        "the last access line is in the log:\n{log}"
    );
}

fn now_secs() -> i64 {
    gatehouse::clock::unix(gatehouse::clock::now()) as i64
}
