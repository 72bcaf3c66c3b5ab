//! Two gateways, A and B, sharing one store directory and one Redis.

use std::time::Duration;

use crate::support::binary::{client, Gateway};
use crate::support::redis::Redis;
use crate::support::upstream::EchoServer;

pub use crate::support::accounts::*;

/// Revocations must reach the other node within this.
pub const ONE_SECOND: Duration = Duration::from_secs(1);

/// The pair and what they share.
pub struct Pair {
    pub a: Gateway,
    pub b: Gateway,
    pub redis: Redis,
    pub echo: EchoServer,
    /// The shared `data_dir` (kept alive as long as the pair).
    pub _data: tempfile::TempDir,
}

/// `[login]` of the pair: the 4th failure within the window bans.
pub const MAX_FAILURES: usize = 3;

/// The configuration after `[server]`: `[cluster]`, `[login]`, a protected
/// route with identity headers, and `extra`.
pub fn rest(redis: &Redis, node: &str, echo: &EchoServer, extra: &str) -> String {
    format!(
        "[cluster]\nredis = {:?}\nnode_name = {node:?}\n\n\
         [login]\nmax_failures = {MAX_FAILURES}\nwindow = \"2m\"\nban = \"5m\"\n\n{}\n{extra}",
        redis.url(),
        protected("app", "/app/", &echo.url(), "\"user\"")
    )
}

/// Starts Redis and two gateways on one store, both subscribed, or `None`
/// when `redis-server` is missing (skipped; a failure under CI).
pub async fn pair(test: &str, extra: &str) -> Option<Pair> {
    let redis = Redis::start(test)?;
    let echo = EchoServer::start();
    let data = tempfile::Builder::new()
        .prefix("gatehouse-cluster-")
        .tempdir()
        .expect("shared data_dir");
    let start = |node: &str| {
        builder(&rest(&redis, node, &echo, extra))
            .data_dir(data.path())
            .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
            .start()
    };
    let a = start("node-a");
    let b = start("node-b");
    wait_subscribers(&redis, 2).await;
    Some(Pair {
        a,
        b,
        redis,
        echo,
        _data: data,
    })
}

/// Waits until `n` nodes listen on the events channel.
pub async fn wait_subscribers(redis: &Redis, n: usize) {
    let deadline = tokio::time::Instant::now() + WITHIN;
    let want = format!(":{n}\r\n");
    loop {
        let reply = redis
            .command("PUBSUB NUMSUB gatehouse:events\r\n")
            .unwrap_or_default();
        if reply.ends_with(&want) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} subscribers not seen: {reply:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// GET `/app/` with `cookie` (script style): the status.
pub async fn app_status(gw: &Gateway, cookie: &str) -> u16 {
    get_status(gw, "/app/", Some(cookie), false).await
}

/// Polls `/app/` on `gw` until it answers `want`; panics after `within`.
pub async fn wait_app(gw: &Gateway, cookie: &str, want: u16, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = app_status(gw, cookie).await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/app/ still {got}, not {want}, after {within:?}; log:\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `POST /gatehouse/logout` with `cookie`.
pub async fn logout(gw: &Gateway, cookie: &str) {
    let out = client()
        .post(gw.url("/gatehouse/logout"))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("POST /gatehouse/logout");
    assert_eq!(out.status(), 302, "logout");
}

/// One form sign-in from client address `ip`: `Some(cookie)` when it worked.
pub async fn sign_in_from(gw: &Gateway, ip: &str, user: &str, password: &str) -> Option<String> {
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .header("X-Forwarded-For", ip)
        .form(&[("username", user), ("password", password), ("rd", "/app/")])
        .send()
        .await
        .expect("POST /gatehouse/login");
    let status = resp.status().as_u16();
    assert!(status == 302 || status == 401, "sign-in answered {status}");
    session_cookie(&resp).filter(|_| status == 302)
}
