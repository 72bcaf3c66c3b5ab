//! Live reload (SIGHUP, `gatehouse reload`) and the zero-downtime upgrade
//! (`gatehouse upgrade`) under a continuous client loop (docs/operations.md).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::binary::{Gateway, GatewayBuilder};
use crate::support::conf::route;
use crate::support::upstream::EchoServer;

const DEADLINE: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(20);

/// A client that opens a new connection for every request (no pool), so a
/// refused connection shows as an error.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Requests sent continuously to `url` until stopped; failures recorded.
struct Load {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(url: String, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let tasks = (0..clients)
            .map(|_| {
                let (url, stop, sent, failures) =
                    (url.clone(), stop.clone(), sent.clone(), failures.clone());
                tokio::spawn(async move {
                    let c = fresh_client();
                    while !stop.load(Ordering::Relaxed) {
                        let outcome = c.get(&url).send().await;
                        sent.fetch_add(1, Ordering::Relaxed);
                        match outcome {
                            Ok(r) if r.status() == 200 => {}
                            Ok(r) => failures
                                .lock()
                                .unwrap()
                                .push(format!("status {}", r.status())),
                            Err(e) => failures.lock().unwrap().push(format!("{e:?}")),
                        }
                    }
                })
            })
            .collect();
        Load {
            stop,
            sent,
            failures,
            tasks,
        }
    }

    /// Stops the loop; returns (requests sent, failures).
    async fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        let failures = self.failures.lock().unwrap().clone();
        (self.sent.load(Ordering::Relaxed), failures)
    }
}

/// Replaces the file at once (as editors do), so the gateway never reads
/// half of it.
fn write_config(path: &Path, text: &str) {
    let tmp = path.with_extension("toml.new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn kill(signal: &str, pid: u32) {
    let ok = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(ok.success(), "kill -{signal} {pid}");
}

fn gatehouse(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .arg("-c")
        .arg(config)
        .current_dir(config.parent().unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Polls until `url` answers `status`.
async fn wait_status(url: &str, status: u16) {
    let c = fresh_client();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let got = c.get(url).send().await.map(|r| r.status().as_u16());
        if got.as_ref().ok() == Some(&status) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url}: wanted {status}, got {got:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn status(url: &str) -> u16 {
    fresh_client()
        .get(url)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The `[server]` part the harness wrote, then `rest`.
fn config_with(gw: &Gateway, rest: &str) -> String {
    let text = std::fs::read_to_string(gw.config_path()).unwrap();
    let server_end = text.find("\n\n").unwrap();
    format!("{}\n\n{rest}\n", &text[..server_end])
}

fn count(log: &str, needle: &str) -> usize {
    log.matches(needle).count()
}

#[tokio::test]
async fn test_reload_under_load_twenty_times() {
    let (a, b, keep) = (
        EchoServer::start(),
        EchoServer::start(),
        EchoServer::start(),
    );
    let first = format!(
        "{}\n{}",
        route("keep", "/keep/", &[keep.url()]),
        route("a", "/a/", &[a.url()])
    );
    let second = format!(
        "{}\n{}",
        route("keep", "/keep/", &[keep.url()]),
        route("b", "/b/", &[b.url()])
    );
    let mut gw = GatewayBuilder::new(&first)
        .server_extra("threads = 2")
        .start();
    let pid = gw.pid();
    let valid_one = config_with(&gw, &first);
    let valid_two = config_with(&gw, &second);
    // Line 2 of [proxy] is a bad duration.
    let invalid = config_with(
        &gw,
        &format!("[proxy]\nread_timeout = \"soon\"\n\n{second}"),
    );
    let invalid_line = invalid
        .lines()
        .position(|l| l.starts_with("read_timeout"))
        .unwrap()
        + 1;
    let load = Load::start(gw.url("/keep/x"), 4);
    let mut running_two = false;
    for i in 0..20 {
        let before = gw.log();
        match i % 3 {
            2 => {
                write_config(gw.config_path(), &invalid);
                kill("HUP", pid);
                let needle = "configuration not reloaded";
                let log = gw
                    .wait_log_lines(needle, count(&before, needle) + 1, DEADLINE)
                    .await;
                assert!(log.last().unwrap().contains("result=\"failed\""), "{log:?}");
                let full = gw.log();
                let expected = format!("gatehouse.toml:{invalid_line}: proxy.read_timeout: ");
                assert!(full.contains(&expected), "{expected} not logged:\n{full}");
                // Nothing changed.
                let (on, off) = if running_two {
                    ("/b/x", "/a/x")
                } else {
                    ("/a/x", "/b/x")
                };
                assert_eq!(status(&gw.url(on)).await, 200, "reload {i}");
                assert_eq!(status(&gw.url(off)).await, 404, "reload {i}");
            }
            _ => {
                running_two = !running_two;
                let text = if running_two { &valid_two } else { &valid_one };
                write_config(gw.config_path(), text);
                if i % 2 == 0 {
                    kill("HUP", pid);
                } else {
                    let out = gatehouse(&["reload"], gw.config_path());
                    assert!(
                        out.status.success(),
                        "gatehouse reload: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                let (on, off) = if running_two {
                    ("/b/x", "/a/x")
                } else {
                    ("/a/x", "/b/x")
                };
                wait_status(&gw.url(on), 200).await;
                assert_eq!(status(&gw.url(off)).await, 404, "reload {i}");
                let needle = "configuration reloaded";
                gw.wait_log_lines(needle, count(&before, needle) + 1, DEADLINE)
                    .await;
            }
        }
    }
    let (sent, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{} of {sent} failed: {failures:?}",
        failures.len()
    );
    assert!(sent > 20, "the loop ran ({sent} requests)");
    let log = gw.log();
    assert_eq!(count(&log, "result=\"ok\""), 14, "{log}");
    assert_eq!(count(&log, "result=\"failed\""), 6);
    // The upstreams saw the requests of the right routes.
    assert!(a.requests().iter().all(|r| r.path().starts_with("/a/")));
    assert!(b.requests().iter().all(|r| r.path().starts_with("/b/")));
    assert!(!b.requests().is_empty() && !a.requests().is_empty());
    // The process survived every SIGHUP.
    assert!(!gw.exited());
}

#[tokio::test]
async fn test_reload_reports_listen_change_and_refuses_invalid_or_stale() {
    let echo = EchoServer::start();
    let routes = route("app", "/app/", &[echo.url()]);
    let gw = GatewayBuilder::new(&routes).start();
    let text = std::fs::read_to_string(gw.config_path()).unwrap();
    let other = crate::support::ports::free_port();
    let moved = text.replace(&format!(":{}\"", gw.port), &format!(":{other}\""))
        + &route("new", "/new/", &[echo.url()]);
    write_config(gw.config_path(), &moved);
    let out = gatehouse(&["reload"], gw.config_path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    gw.wait_log(
        "server.listen: changed, needs an upgrade (gatehouse upgrade)",
        DEADLINE,
    )
    .await;
    // Logged after the warnings: waited for, not read at once.
    gw.wait_log("configuration reloaded", DEADLINE).await;
    // The rest applied; the listener stays where it was.
    wait_status(&gw.url("/new/x"), 200).await;
    assert_eq!(status(&gw.url("/app/x")).await, 200);

    // An invalid file: `gatehouse reload` says why and sends nothing.
    write_config(
        gw.config_path(),
        &format!("{moved}\n[proxy]\nread_timeout = \"soon\"\n"),
    );
    let out = gatehouse(&["reload"], gw.config_path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gatehouse.toml:") && err.contains(": proxy.read_timeout: "),
        "{err}"
    );

    // A stale pid file names the file and the dead process.
    write_config(gw.config_path(), &moved);
    let data = gw.dir().join("data");
    let pid_file = data.join("gatehouse.pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        gw.pid().to_string()
    );
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    std::fs::write(&pid_file, format!("{dead_pid}\n")).unwrap();
    let out = gatehouse(&["reload"], gw.config_path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stale pid file") && err.contains(&dead_pid.to_string()),
        "{err}"
    );
    std::fs::remove_file(&pid_file).unwrap();
    let out = gatehouse(&["reload"], gw.config_path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("no pid file"),
        "{err}"
    );
}

/// An upstream that answers each request after `delay` (a request in
/// flight while the gateway is upgraded).
/// Returns its URL, its task and how many requests it has received.
async fn slow_upstream(delay: Duration) -> (String, tokio::task::JoinHandle<()>, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow",
                    )
                    .await;
            });
        }
    });
    (format!("http://{addr}"), task, received)
}

#[tokio::test]
async fn test_upgrade_under_load_hands_over_without_a_failure() {
    let echo = EchoServer::start();
    let (slow, _slow_task, _) = slow_upstream(Duration::from_secs(2)).await;
    let routes = format!(
        "{}\n{}",
        route("app", "/app/", &[echo.url()]),
        route("slow", "/slow/", &[slow])
    );
    let mut gw = GatewayBuilder::new(&routes)
        .server_extra("threads = 2\ndrain_timeout = \"20s\"")
        .start();
    let old = gw.pid();
    let pid_file = gw.dir().join("data").join("gatehouse.pid");
    let load = Load::start(gw.url("/app/x"), 4);
    // A request in flight across the hand-over: it finishes on the old process.
    let slow_url = gw.url("/slow/x");
    let in_flight = tokio::spawn(async move {
        let r = fresh_client().get(&slow_url).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    echo.wait_for_requests(20, DEADLINE).await;
    let log_path = gw.dir().join("upgrade.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let config = gw.config_path().to_path_buf();
    let upgrade = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("upgrade")
            .arg("-c")
            .arg(&config)
            .current_dir(config.parent().unwrap())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .status()
            .unwrap()
    })
    .await
    .unwrap();
    let upgrade_log = std::fs::read_to_string(&log_path).unwrap();
    let new: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Whatever happens next, the new process must not outlive the test.
    struct KillOnDrop(u32);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .arg("-INT")
                .arg(self.0.to_string())
                .status();
        }
    }
    let _new_guard = KillOnDrop(new);
    assert!(
        upgrade.success(),
        "gatehouse upgrade failed:\n{upgrade_log}\n{}",
        gw.log()
    );
    assert_ne!(new, old, "the pid file names the new process");
    assert!(
        upgrade_log.contains(&format!("pid {old} exited")),
        "{upgrade_log}"
    );
    assert!(gw.exited(), "the old process exited after draining");
    let (code, body) = in_flight.await.unwrap();
    assert_eq!((code, body.as_str()), (200, "slow"));
    // The new process serves; the loop ran across the hand-over.
    let before = echo.requests().len();
    echo.wait_for_requests(before + 20, DEADLINE).await;
    let (sent, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{} of {sent} failed: {failures:?}\n{upgrade_log}",
        failures.len()
    );
    assert!(
        gw.log().contains("requests drained, exiting"),
        "{}",
        gw.log()
    );
    assert!(upgrade_log.contains("gatehouse listening"), "{upgrade_log}");
    // The new process reloads and stops like the first one.
    kill("TERM", new);
}

/// docs/operations.md "Backups": SQLite's online backup of the store while
/// the gateway runs (and writes sessions) gives a consistent copy.
#[tokio::test]
async fn test_online_backup_of_the_store_while_running() {
    let Some(sqlite3) = crate::support::require::program(
        "test_online_backup_of_the_store_while_running",
        "sqlite3",
        "apt-get install sqlite3",
    ) else {
        return;
    };
    let gw = crate::support::accounts::builder("").start();
    crate::support::accounts::add_user(&gw, "ann", "user", "ann-password-1");
    let _session = crate::support::accounts::login(&gw, "ann", "ann-password-1").await;
    let copy = gw.dir().join("backup.db");
    let out = Command::new(sqlite3)
        .arg(gw.dir().join("data").join("gatehouse.db"))
        .arg(format!(".backup {}", copy.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(&copy).unwrap();
    let sessions: i64 = db
        .query_row(
            "SELECT count(*) FROM sessions JOIN users ON users.id = sessions.user_id WHERE users.name = 'ann'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        sessions, 1,
        "the user and the session made while running are in the copy"
    );
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(status(&gw.url("/gatehouse/health")).await, 200);
}

/// A request that started before a reload finishes on the configuration it
/// started with, even when the reload removed its route.
#[tokio::test]
async fn test_request_in_flight_keeps_its_configuration_across_a_reload() {
    let (slow, _slow_task, received) = slow_upstream(Duration::from_secs(1)).await;
    let echo = EchoServer::start();
    let with_slow = format!(
        "{}\n{}",
        route("app", "/app/", &[echo.url()]),
        route("slow", "/slow/", &[slow])
    );
    let gw = GatewayBuilder::new(&with_slow).start();
    let without_slow = config_with(&gw, &route("app", "/app/", &[echo.url()]));
    let url = gw.url("/slow/x");
    let in_flight = tokio::spawn(async move {
        let r = fresh_client().get(&url).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    // Once the upstream has the request, reload without its route.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while received.load(Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(POLL).await;
    }
    write_config(gw.config_path(), &without_slow);
    kill("HUP", gw.pid());
    wait_status(&gw.url("/slow/x"), 404).await;
    let (code, body) = in_flight.await.unwrap();
    assert_eq!((code, body.as_str()), (200, "slow"));
}
