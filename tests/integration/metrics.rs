//! `[metrics]` (docs/operations.md "Metrics"): the scrape listener is its
//! own port (the public one never serves the metrics), the counters move by
//! exactly the requests and sign-ins the test sends, the output passes
//! `promtool check metrics` without a lint warning, and no label carries a
//! user name, a client address or a request path.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::accounts::{add_user, builder, login, protected, session_cookie};
use crate::support::binary::{client, Gateway};
use crate::support::conf::route;
use crate::support::ports::free_port;
use crate::support::upstream::{dead_port, EchoServer};

const WITHIN: Duration = Duration::from_secs(10);

/// Samples of a scrape: `(name, sorted labels) → value`.
#[derive(Debug)]
pub struct Scrape {
    pub text: String,
    samples: BTreeMap<(String, Vec<(String, String)>), f64>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let mut samples = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').expect("sample line");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let mut pairs: Vec<(String, String)> = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').expect("label pair");
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            pairs.sort();
            samples.insert((name.to_string(), pairs), value.parse().expect("value"));
        }
        Scrape { text, samples }
    }

    /// The value of `name{labels}`, 0 when the series is absent.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut pairs: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.sort();
        self.samples
            .get(&(name.to_string(), pairs))
            .copied()
            .unwrap_or(0.0)
    }

    fn requests(&self, route: &str, class: &str, decision: &str) -> f64 {
        self.get(
            "gatehouse_requests_total",
            &[
                ("route", route),
                ("status_class", class),
                ("decision", decision),
            ],
        )
    }

    fn signins(&self, result: &str) -> f64 {
        self.get(
            "gatehouse_signins_total",
            &[("backend", "local"), ("result", result)],
        )
    }
}

/// `GET /metrics` on the scrape listener at `port`.
pub async fn scrape(port: u16) -> Scrape {
    let resp = client()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(resp.status().as_u16(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    Scrape::parse(resp.text().await.unwrap())
}

/// One form sign-in from client `ip` (the test client is a trusted proxy);
/// whether it started a session.
async fn sign_in(gw: &Gateway, ip: &str, user: &str, password: &str) -> bool {
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .header("X-Forwarded-For", ip)
        .form(&[("username", user), ("password", password), ("rd", "/app/")])
        .send()
        .await
        .expect("POST /gatehouse/login");
    session_cookie(&resp).is_some()
}

async fn get(gw: &Gateway, path: &str, cookie: Option<&str>, accept: &str) -> u16 {
    let mut req = client().get(gw.url(path)).header("Accept", accept);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    req.send().await.expect("GET").status().as_u16()
}

/// `promtool check metrics` on `text`: passes with nothing to say.
fn promtool_check(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Some(promtool) = crate::support::require::program(
        "test_metrics_promtool_lint",
        "promtool",
        "apt-get install prometheus",
    ) else {
        return;
    };
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().expect("promtool output");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool failed: {said}");
    assert!(said.trim().is_empty(), "promtool lint warnings: {said}");
}

fn start(echo: &EchoServer, metrics_port: u16) -> Gateway {
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let toml = format!(
        "[login]\nmax_failures = 2\nwindow = \"2m\"\nban = \"5m\"\n\n\
         [metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n{}{}{}{}",
        protected("app", "/app/", &echo.url(), "\"user\""),
        route("open", "/open/", &[echo.url()]),
        route("dead", "/dead/", std::slice::from_ref(&dead)),
        route("failover", "/failover/", &[dead.clone(), echo.url()]),
    );
    let gw = builder(&toml)
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    add_user(&gw, "alice", "user", "pw-alice");
    add_user(&gw, "bob", "user", "pw-bob");
    gw
}

#[tokio::test]
async fn test_metrics_count_exactly_and_pass_promtool() {
    let echo = EchoServer::start();
    let metrics_port = free_port();
    let gw = start(&echo, metrics_port);
    let before = scrape(metrics_port).await;

    // The public port does not serve the metrics path.
    let resp = client().get(gw.url("/metrics")).send().await.unwrap();
    assert_ne!(resp.status().as_u16(), 200);
    assert!(!resp
        .text()
        .await
        .unwrap()
        .contains("gatehouse_requests_total"));
    // The scrape listener answers only its path.
    let other = client()
        .get(format!("http://127.0.0.1:{metrics_port}/app/"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);

    // Sign-ins: one good, one wrong password; bob's third failure bans
    // him and 10.0.0.3, and his right password from there is then banned.
    let cookie = login(&gw, "alice", "pw-alice").await;
    assert!(!sign_in(&gw, "10.0.0.2", "alice", "not-her-password").await);
    for i in 0..3 {
        assert!(!sign_in(&gw, "10.0.0.3", "bob", &format!("wrong-{i}")).await);
    }
    assert!(!sign_in(&gw, "10.0.0.3", "bob", "pw-bob").await, "banned");

    let (html, api) = ("text/html", "application/json");
    for i in 0..3 {
        assert_eq!(
            get(&gw, &format!("/app/allowed-{i}"), Some(&cookie), api).await,
            200
        );
    }
    for _ in 0..2 {
        assert_eq!(get(&gw, "/app/denied-path", None, api).await, 401);
    }
    assert_eq!(get(&gw, "/app/login-path", None, html).await, 302);
    for _ in 0..2 {
        assert_eq!(get(&gw, "/open/public-path", None, api).await, 200);
    }
    assert_eq!(get(&gw, "/dead/failing-path", None, api).await, 502);
    assert_eq!(get(&gw, "/failover/retried-path", None, api).await, 200);

    // A request is counted when it is logged, right after its response:
    // wait until the last one is in, then every count must be exact.
    let deadline = std::time::Instant::now() + WITHIN;
    let after = loop {
        let now = scrape(metrics_port).await;
        let last = now.requests("failover", "2xx", "public")
            - before.requests("failover", "2xx", "public");
        if last >= 1.0 || std::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let moved = |f: &dyn Fn(&Scrape) -> f64| f(&after) - f(&before);
    assert_eq!(moved(&|s| s.requests("app", "2xx", "allow")), 3.0);
    assert_eq!(moved(&|s| s.requests("app", "4xx", "unauthorized")), 2.0);
    assert_eq!(moved(&|s| s.requests("app", "3xx", "login")), 1.0);
    assert_eq!(moved(&|s| s.requests("open", "2xx", "public")), 2.0);
    assert_eq!(moved(&|s| s.requests("dead", "5xx", "public")), 1.0);
    assert_eq!(moved(&|s| s.requests("failover", "2xx", "public")), 1.0);
    let failures = |route: &'static str| {
        move |s: &Scrape| {
            s.get(
                "gatehouse_upstream_failures_total",
                &[("route", route), ("kind", "connect")],
            )
        }
    };
    assert_eq!(moved(&failures("dead")), 1.0);
    assert_eq!(moved(&failures("failover")), 1.0);
    assert_eq!(moved(&failures("app")), 0.0);
    let retries = |route: &'static str| {
        move |s: &Scrape| s.get("gatehouse_upstream_retries_total", &[("route", route)])
    };
    assert_eq!(moved(&retries("failover")), 1.0);
    assert_eq!(
        moved(&retries("dead")),
        0.0,
        "one upstream: nothing to retry"
    );
    let timed = |route: &'static str| {
        move |s: &Scrape| {
            s.get(
                "gatehouse_upstream_duration_seconds_count",
                &[("route", route)],
            )
        }
    };
    assert_eq!(
        moved(&timed("app")),
        3.0,
        "only requests the upstream answered"
    );
    assert_eq!(moved(&timed("open")), 2.0);
    assert_eq!(moved(&timed("failover")), 1.0);
    assert_eq!(moved(&timed("dead")), 0.0);

    assert_eq!(moved(&|s| s.signins("ok")), 1.0);
    assert_eq!(moved(&|s| s.signins("wrong_password")), 4.0);
    assert_eq!(moved(&|s| s.signins("banned")), 1.0);
    assert_eq!(moved(&|s| s.signins("locked")), 0.0);
    assert_eq!(after.get("gatehouse_sessions", &[]), 1.0);
    assert_eq!(after.get("gatehouse_bans", &[]), 2.0, "bob and 10.0.0.3");
    for result in ["ok", "failed"] {
        assert_eq!(
            after.get("gatehouse_config_reloads_total", &[("result", result)]),
            0.0
        );
        assert!(after.text.contains(&format!(
            "gatehouse_config_reloads_total{{result=\"{result}\"}} 0"
        )));
    }

    // Labels carry no user, client address or request path.
    for secret in [
        "alice",
        "bob",
        "10.0.0.",
        "allowed-",
        "denied-path",
        "public-path",
        "failing-path",
        "retried-path",
        "pw-",
    ] {
        assert!(!after.text.contains(secret), "{secret:?} in the metrics");
    }
    promtool_check(&after.text);
}

#[tokio::test]
async fn test_metrics_open_connections_and_certificates() {
    let echo = EchoServer::start();
    let metrics_port = free_port();
    let toml = format!(
        "[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\npath = \"/internal/metrics\"\n\n{}",
        route("open", "/open/", &[echo.url()])
    );
    let gw = builder(&toml).tls(true).start();
    let url = format!("http://127.0.0.1:{metrics_port}/internal/metrics");
    // The certificates of certs_dir (valid until 2126), by served name.
    let text = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let certs = Scrape::parse(text);
    for host in ["a.test", "b.test", "default"] {
        let left = certs.get("gatehouse_certificate_expiry_seconds", &[("host", host)]);
        assert!(left > 90.0 * 365.0 * 86_400.0, "{host}: {left}");
    }
    let connections = || async {
        let text = client()
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        Scrape::parse(text).get("gatehouse_downstream_connections", &[])
    };
    // Two keep-alive connections, each after a full exchange.
    let addr = gw
        .url("/")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /open/x HTTP/1.1\r\nHost: h\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        held.push(s);
    }
    wait_for(&connections, |n| n >= 2.0).await;
    drop(held);
    wait_for(&connections, |n| n == 0.0).await;
}

/// Polls `read` until `ok` holds; panics after [`WITHIN`].
async fn wait_for<F, Fut>(read: &F, ok: impl Fn(f64) -> bool)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = f64>,
{
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let n = read().await;
        if ok(n) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "gauge stuck at {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
