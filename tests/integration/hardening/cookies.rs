//! A cookie planted before the real one (a longer Path from a sibling
//! subdomain, or set over plain HTTP) does not lock its user out: the first
//! value that is a live session wins. The `__Host-` prefix, which no such
//! attacker can set, is accepted and validated.

use crate::support::accounts::{add_user, builder, get_status, login, protected, set_cookies};
use crate::support::binary::client;
use crate::support::upstream::EchoServer;

#[tokio::test]
async fn test_planted_garbage_cookie_does_not_lock_out() {
    let echo = EchoServer::start();
    let gw = builder(&protected("app", "/app/", &echo.url(), "\"user\"")).start();
    add_user(&gw, "alice", "user", "alice-pw");
    add_user(&gw, "bob", "user", "bob-pw");
    let alice = login(&gw, "alice", "alice-pw").await;
    let bob = login(&gw, "bob", "bob-pw").await;
    let garbage = "gatehouse_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    for jar in [
        format!("{garbage}; {alice}"),
        format!("gatehouse_session=x; other=1; {alice}"),
        format!("{alice}; {garbage}"),
    ] {
        assert_eq!(
            get_status(&gw, "/app/x", Some(&jar), false).await,
            200,
            "{jar}"
        );
        assert_eq!(echo.last().header("x-webauth-user"), Some("alice"), "{jar}");
    }
    // Split over two Cookie headers (HTTP/2 clients do this).
    let resp = client()
        .get(gw.url("/app/x"))
        .header("Cookie", garbage)
        .header("Cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Two live sessions: the first one sent wins (what a browser sends
    // first is the more specific cookie; `__Host-` stops planting).
    let jar = format!("{bob}; {alice}");
    assert_eq!(get_status(&gw, "/app/x", Some(&jar), false).await, 200);
    assert_eq!(echo.last().header("x-webauth-user"), Some("bob"));
    // Only garbage: still signed out.
    assert_eq!(get_status(&gw, "/app/x", Some(garbage), false).await, 401);
}

#[tokio::test]
async fn test_host_prefixed_cookie_is_secure_host_only() {
    let echo = EchoServer::start();
    let conf = format!(
        "[session]\ncookie = \"__Host-gatehouse_session\"\n\n{}",
        protected("app", "/app/", &echo.url(), "\"user\"")
    );
    let gw = builder(&conf).public_url("https://gw.example.com").start();
    add_user(&gw, "alice", "user", "alice-pw");
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .form(&[("username", "alice"), ("password", "alice-pw"), ("rd", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let cookie = set_cookies(&resp)
        .into_iter()
        .find(|c| c.starts_with("__Host-gatehouse_session="))
        .expect("the __Host- session cookie");
    let attrs: Vec<String> = cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.contains(&"secure".to_string()), "{cookie}");
    assert!(attrs.contains(&"path=/".to_string()), "{cookie}");
    assert!(!attrs.iter().any(|a| a.starts_with("domain=")), "{cookie}");
    let pair = cookie.split(';').next().unwrap();
    assert_eq!(get_status(&gw, "/app/x", Some(pair), false).await, 200);
}
