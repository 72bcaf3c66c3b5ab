//! Two gateways, A and B, sharing one store and one Redis. The store is
//! either one SQLite `data_dir` both nodes open ([`Shared::Sqlite`]) or one
//! throwaway PostgreSQL server both nodes name in `[store] url`, each node
//! with a `data_dir` of its own, as on two machines ([`Shared::Postgres`]).

use std::time::Duration;

use crate::support::binary::{client, Gateway};
use crate::support::postgres::Postgres;
use crate::support::redis::Redis;
use crate::support::upstream::EchoServer;

pub use crate::support::accounts::*;

/// Revocations must reach the other node within this.
pub const ONE_SECOND: Duration = Duration::from_secs(1);

/// The store the two nodes share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    /// One SQLite file: both nodes on one `data_dir`.
    Sqlite,
    /// One PostgreSQL database: both nodes with the same `[store] url`.
    Postgres,
}

/// The pair and what they share (dropped in this order: the gateways
/// first, the servers they use after them).
pub struct Pair {
    pub a: Gateway,
    pub b: Gateway,
    pub redis: Redis,
    pub echo: EchoServer,
    /// The shared `data_dir` ([`Shared::Sqlite`]; kept alive as long as
    /// the pair).
    pub _data: Option<tempfile::TempDir>,
    /// The shared PostgreSQL server ([`Shared::Postgres`]).
    pub _postgres: Option<Postgres>,
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

/// Starts Redis (and PostgreSQL for [`Shared::Postgres`]) and two gateways
/// on one store, both subscribed, or `None` when `redis-server` or
/// PostgreSQL is missing (skipped; a failure under CI).
pub async fn pair_on(shared: Shared, test: &str, extra: &str) -> Option<Pair> {
    let mut postgres = match shared {
        Shared::Sqlite => None,
        Shared::Postgres => Some(Postgres::start(test)?),
    };
    let redis = Redis::start(test)?;
    let echo = EchoServer::start();
    let data = match shared {
        Shared::Sqlite => Some(
            tempfile::Builder::new()
                .prefix("gatehouse-cluster-")
                .tempdir()
                .expect("shared data_dir"),
        ),
        Shared::Postgres => None,
    };
    // "" (SQLite) is explicit: not a PostgreSQL of each node's own under
    // GATEHOUSE_TEST_STORE=postgres.
    let url = postgres
        .as_mut()
        .map(|pg| pg.new_database())
        .unwrap_or_default();
    let start = |node: &str| {
        let mut b = builder(&rest(&redis, node, &echo, extra))
            .store_url(&url)
            .server_extra("trusted_proxies = [\"127.0.0.1/32\"]");
        if let Some(dir) = &data {
            b = b.data_dir(dir.path());
        }
        b.start()
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
        _postgres: postgres,
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
