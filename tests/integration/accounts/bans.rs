//! docs/docs/security.md C15–C20: login regulation through the real sign-in endpoint.
//! The test client is a trusted proxy, so `X-Forwarded-For` picks the client
//! IP the gateway counts failures for.

use crate::support::binary::{client, Gateway};
use crate::support::upstream::EchoServer;

use super::common::{add_user, builder, protected, session_cookie};

/// `max_failures = 5`: the 6th wrong password bans.
const MAX: usize = 5;

fn start(echo: &EchoServer) -> Gateway {
    let toml = format!(
        "[login]\nmax_failures = {MAX}\nwindow = \"2m\"\nban = \"5m\"\n\n{}",
        protected("app", "/app/", &echo.url(), "\"user\"")
    );
    let gw = builder(&toml)
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    add_user(&gw, "alice", "user", "pw-alice");
    add_user(&gw, "bob", "user", "pw-bob");
    gw
}

/// One form sign-in from client IP `ip`: (status, body, session cookie).
async fn attempt(
    gw: &Gateway,
    ip: &str,
    user: &str,
    password: &str,
) -> (u16, String, Option<String>) {
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .header("X-Forwarded-For", ip)
        .form(&[("username", user), ("password", password), ("rd", "/app/")])
        .send()
        .await
        .expect("POST /gatehouse/login");
    let status = resp.status().as_u16();
    let cookie = session_cookie(&resp);
    (status, resp.text().await.unwrap(), cookie)
}

async fn fail_times(gw: &Gateway, ip: &str, user: &str, n: usize) {
    for i in 0..n {
        let (status, body, cookie) = attempt(gw, ip, user, &format!("wrong-{i}")).await;
        assert_eq!(status, 401, "wrong password #{i}");
        assert!(body.contains("Wrong username or password."));
        assert!(cookie.is_none());
    }
}

async fn signs_in(gw: &Gateway, ip: &str, user: &str, password: &str) -> bool {
    let (status, _, cookie) = attempt(gw, ip, user, password).await;
    assert!(status == 302 || status == 401, "sign-in answered {status}");
    status == 302 && cookie.is_some()
}

#[tokio::test]
async fn test_c15_sixth_failure_bans_user_and_ip() {
    let echo = EchoServer::start();
    let gw = start(&echo);
    // Case and spacing variants count as the same user.
    for (i, name) in ["alice", "Alice", " alice", "ALICE", "alice ", "aLiCe"]
        .iter()
        .enumerate()
    {
        let (status, _, _) = attempt(&gw, "10.0.0.1", name, &format!("bad{i}")).await;
        assert_eq!(status, 401);
    }
    assert!(
        !signs_in(&gw, "10.0.0.2", "alice", "pw-alice").await,
        "user ban from another IP"
    );
    assert!(
        !signs_in(&gw, "10.0.0.1", "bob", "pw-bob").await,
        "IP ban for another user"
    );
    assert!(
        signs_in(&gw, "10.0.0.3", "bob", "pw-bob").await,
        "no collateral ban"
    );
}

#[tokio::test]
async fn test_c15_five_failures_not_yet_banned() {
    let echo = EchoServer::start();
    let gw = start(&echo);
    fail_times(&gw, "10.0.0.1", "alice", MAX).await;
    assert!(signs_in(&gw, "10.0.0.1", "alice", "pw-alice").await);
}

#[tokio::test]
async fn test_c16_password_spraying_bans_ip() {
    let echo = EchoServer::start();
    let gw = start(&echo);
    for i in 0..200 {
        let (status, _, _) = attempt(&gw, "10.9.9.9", &format!("spray{i}"), "Winter2026!").await;
        assert_eq!(status, 401);
    }
    assert!(
        !signs_in(&gw, "10.9.9.9", "alice", "pw-alice").await,
        "spraying IP banned"
    );
    assert!(
        signs_in(&gw, "10.0.0.8", "alice", "pw-alice").await,
        "the users are not"
    );
}

#[tokio::test]
async fn test_c18_ban_survives_restart() {
    let echo = EchoServer::start();
    let mut gw = start(&echo);
    fail_times(&gw, "10.0.0.1", "alice", MAX + 1).await;
    assert!(!signs_in(&gw, "10.0.0.2", "alice", "pw-alice").await);
    gw.restart();
    assert!(
        !signs_in(&gw, "10.0.0.2", "alice", "pw-alice").await,
        "user ban after restart"
    );
    assert!(
        !signs_in(&gw, "10.0.0.1", "bob", "pw-bob").await,
        "IP ban after restart"
    );
    assert!(signs_in(&gw, "10.0.0.4", "bob", "pw-bob").await);
}

#[tokio::test]
async fn test_c19_oversized_password_refused_without_error() {
    let echo = EchoServer::start();
    let gw = start(&echo);
    for len in [1025, 8 * 1024] {
        let long = "p".repeat(len);
        let (status, body, cookie) = attempt(&gw, "10.0.0.5", "alice", &long).await;
        assert_eq!(status, 401, "{len}-byte password");
        assert!(body.contains("Wrong username or password."));
        assert!(cookie.is_none());
    }
    // A body over the portal's 16 KiB limit is refused before any parsing.
    let (status, _, cookie) = attempt(&gw, "10.0.0.5", "alice", &"p".repeat(64 * 1024)).await;
    assert!(status == 401 || status == 413, "64 KiB password: {status}");
    assert!(cookie.is_none());
    assert!(
        signs_in(&gw, "10.0.0.6", "alice", "pw-alice").await,
        "still serving"
    );
}

#[tokio::test]
async fn test_c20_success_resets_counter() {
    let echo = EchoServer::start();
    let gw = start(&echo);
    for round in 0..3 {
        fail_times(&gw, "10.0.0.1", "alice", MAX).await;
        assert!(
            signs_in(&gw, "10.0.0.1", "alice", "pw-alice").await,
            "round {round}"
        );
    }
}

#[tokio::test]
async fn test_c20_banned_answer_identical_to_wrong_password() {
    let echo = EchoServer::start();
    let gw = start(&echo);
    let wrong = attempt(&gw, "10.0.0.1", "alice", "nope").await;
    fail_times(&gw, "10.0.0.1", "alice", MAX).await;
    let banned = attempt(&gw, "10.0.0.1", "alice", "pw-alice").await;
    assert_eq!(
        (banned.0, &banned.1),
        (wrong.0, &wrong.1),
        "form answer differs when banned"
    );
    let json = |password: &'static str| {
        let gw = &gw;
        async move {
            let resp = client()
                .post(gw.url("/gatehouse/api/login"))
                .header("X-Forwarded-For", "10.0.0.1")
                .json(&serde_json::json!({"username": "alice", "password": password}))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let banned_json = json("pw-alice").await;
    let wrong_json = json("nope").await;
    assert_eq!(banned_json.0, 401);
    assert_eq!(banned_json, wrong_json, "JSON answer differs when banned");
}

#[tokio::test]
async fn test_e27_rotating_forwarded_for_does_not_escape_ip_ban() {
    let echo = EchoServer::start();
    let toml = format!(
        "[login]\nmax_failures = {MAX}\n\n{}",
        protected("app", "/app/", &echo.url(), "\"user\"")
    );
    // No trusted proxies: X-Forwarded-For is the client's word only.
    let gw = builder(&toml).start();
    add_user(&gw, "alice", "user", "pw-alice");
    for i in 0..=MAX {
        let (status, _, _) =
            attempt(&gw, &format!("10.1.0.{i}"), &format!("spray{i}"), "guess").await;
        assert_eq!(status, 401);
    }
    assert!(
        !signs_in(&gw, "10.1.0.200", "alice", "pw-alice").await,
        "a forged X-Forwarded-For escaped the IP ban"
    );
}
