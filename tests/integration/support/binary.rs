//! The gateway harness: renders a configuration into a temporary directory,
//! starts the real `gatehouse` binary on fresh loopback ports, waits until
//! `GET /gatehouse/health` answers 200, and kills the process when dropped.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::ports::free_port;
use super::runtime::rt;

/// How long the gateway may take to become healthy.
pub const START_DEADLINE: Duration = Duration::from_secs(30);

/// Interval between health probes while starting.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// The HTTP client every test uses: no redirects followed, no proxy from the
/// environment, a 10 s overall timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("build the test HTTP client")
}

/// Builds a gateway configuration and starts it.
#[derive(Debug, Clone)]
pub struct GatewayBuilder {
    rest: String,
    server_extra: Vec<String>,
    public_url: Option<String>,
    data_dir: Option<PathBuf>,
    listen_host: String,
    tls: bool,
    env: Vec<(String, String)>,
    certs_dir: Option<PathBuf>,
    ports: Option<(u16, u16)>,
    port: Option<u16>,
    store_url: Option<String>,
}

impl GatewayBuilder {
    /// `rest_toml` is everything after `[server]` (routes, `[proxy]`, …).
    pub fn new(rest_toml: &str) -> GatewayBuilder {
        GatewayBuilder {
            rest: rest_toml.to_string(),
            server_extra: Vec::new(),
            public_url: None,
            data_dir: None,
            listen_host: "127.0.0.1".to_string(),
            tls: false,
            env: Vec::new(),
            certs_dir: None,
            ports: None,
            port: None,
            store_url: None,
        }
    }

    /// `[store] url` (default: the embedded SQLite store, or, with
    /// `GATEHOUSE_TEST_STORE=postgres` in the environment, a PostgreSQL of
    /// the gateway's own; see [`store_from_env`]).
    pub fn store_url(mut self, url: &str) -> GatewayBuilder {
        self.store_url = Some(url.to_string());
        self
    }

    /// Listen on this (already chosen, free) port instead of a fresh one:
    /// for configurations that must name the gateway's own address.
    pub fn port(mut self, port: u16) -> GatewayBuilder {
        self.port = Some(port);
        self
    }

    /// Extra `key = value` lines inside `[server]`.
    pub fn server_extra(mut self, lines: &str) -> GatewayBuilder {
        self.server_extra.push(lines.to_string());
        self
    }

    /// `[server] public_url` (default `http://127.0.0.1:<port>`).
    pub fn public_url(mut self, url: &str) -> GatewayBuilder {
        self.public_url = Some(url.to_string());
        self
    }

    /// The address the plain listener binds (default `127.0.0.1`; `[::]`
    /// for a dual-stack listener). Tests still connect to 127.0.0.1.
    pub fn listen_host(mut self, host: &str) -> GatewayBuilder {
        self.listen_host = host.to_string();
        self
    }

    /// `[server] data_dir` (default `<temp dir>/data`).
    pub fn data_dir(mut self, dir: &Path) -> GatewayBuilder {
        self.data_dir = Some(dir.to_path_buf());
        self
    }

    /// Also listen for TLS on a fresh port (certificates from `<repo>/certs`).
    pub fn tls(mut self, on: bool) -> GatewayBuilder {
        self.tls = on;
        self
    }

    /// Certificates from `dir` instead of `<repo>/certs`.
    pub fn certs_dir(mut self, dir: &Path) -> GatewayBuilder {
        self.certs_dir = Some(dir.to_path_buf());
        self
    }

    /// Listen on these plain and TLS ports (chosen by the test with
    /// `free_port`, e.g. because a CA must know them first); implies TLS.
    pub fn ports(mut self, plain: u16, tls: u16) -> GatewayBuilder {
        self.ports = Some((plain, tls));
        self.tls = true;
        self
    }

    /// An extra environment variable for the gateway process.
    pub fn env(mut self, key: &str, value: &str) -> GatewayBuilder {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Writes the configuration, starts the binary and waits until it is healthy.
    pub fn start(self) -> Gateway {
        match self.try_start() {
            Ok(gw) => gw,
            Err(e) => panic!(
                "gatehouse exited during start-up ({}); log:\n{}",
                e.status, e.log
            ),
        }
    }

    /// Like [`start`](Self::start), but a process that exits during start-up
    /// is an `Err` (for configurations that must be refused) instead of a panic.
    pub fn try_start(self) -> Result<Gateway, StartError> {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-test-")
            .tempdir()
            .expect("temp dir");
        let (port, tls_port) = match self.ports {
            Some((plain, tls)) => (plain, Some(tls)),
            None => (
                self.port.unwrap_or_else(free_port),
                self.tls.then(free_port),
            ),
        };
        let certs = self
            .certs_dir
            .clone()
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("certs"));
        let mut toml = String::from("[server]\n");
        toml += &format!("listen = [\"{}:{port}\"]\n", self.listen_host);
        if let Some(tls) = tls_port {
            toml += &format!("tls_listen = [\"127.0.0.1:{tls}\"]\n");
        }
        toml += &format!("certs_dir = {}\n", toml_str(&certs));
        let data_dir = self
            .data_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("data"));
        toml += &format!("data_dir = {}\n", toml_str(&data_dir));
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
        toml += &format!("public_url = {public_url:?}\n");
        if !self.server_extra.iter().any(|e| e.contains("threads")) {
            toml += "threads = 1\n";
        }
        for extra in &self.server_extra {
            toml += extra;
            toml += "\n";
        }
        toml += "\n";
        toml += &self.rest;
        toml += "\n";
        let postgres = match self.store_url {
            Some(_) => None,
            None => store_from_env(),
        };
        let store_url = self
            .store_url
            .clone()
            .or_else(|| postgres.as_ref().map(|(_, url)| url.clone()))
            .unwrap_or_default();
        if !store_url.is_empty() {
            toml += &format!("\n[store]\nurl = {store_url:?}\n");
        }
        let config = dir.path().join("gatehouse.toml");
        fs::write(&config, toml).expect("write the gateway config");
        let log_path = dir.path().join("gateway.log");
        let mut gw = Gateway {
            port,
            tls_port,
            config,
            log_path,
            env: self.env,
            child: None,
            dir,
            store_url,
            postgres: postgres.map(|(pg, _)| pg),
        };
        gw.spawn_and_wait()?;
        Ok(gw)
    }
}

/// TOML basic-string literal of a path.
fn toml_str(p: &Path) -> String {
    let s = p.display().to_string();
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The gateway process exited before it became healthy.
#[derive(Debug)]
pub struct StartError {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it printed.
    pub log: String,
}

/// A running gateway process; killed on drop.
#[derive(Debug)]
pub struct Gateway {
    /// The plain-HTTP listener port.
    pub port: u16,
    /// The TLS listener port, when built with `.tls(true)`.
    pub tls_port: Option<u16>,
    config: PathBuf,
    log_path: PathBuf,
    env: Vec<(String, String)>,
    child: Option<Child>,
    dir: TempDir,
    store_url: String,
    /// The PostgreSQL this gateway's store lives in, when the builder
    /// started one (`GATEHOUSE_TEST_STORE=postgres`); stopped after it.
    postgres: Option<super::postgres::Postgres>,
}

/// With `GATEHOUSE_TEST_STORE=postgres`, a fresh PostgreSQL (and the URL
/// of its database) for one gateway: how `.ci/run` runs the accounts suite
/// against the PostgreSQL backend. `None` otherwise (the embedded store).
pub fn store_from_env() -> Option<(super::postgres::Postgres, String)> {
    if std::env::var("GATEHOUSE_TEST_STORE").ok()?.as_str() != "postgres" {
        return None;
    }
    let mut pg = super::postgres::Postgres::start("GATEHOUSE_TEST_STORE=postgres")?;
    let url = pg.new_database();
    Some((pg, url))
}

impl Gateway {
    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The gateway's stdout and stderr so far.
    pub fn log(&self) -> String {
        fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Waits until the log contains `needle` (the access log is written after
    /// the response); returns the log, or panics with it after `within`.
    pub async fn wait_log(&self, needle: &str, within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("{needle:?} not in the gateway log after {within:?}; log:\n{log}");
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Waits until `needle` occurs in the log at least `n` times; returns
    /// the matching lines.
    pub async fn wait_log_lines(&self, needle: &str, n: usize, within: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let log = self.log();
            let lines: Vec<String> = log
                .lines()
                .filter(|l| l.contains(needle))
                .map(str::to_string)
                .collect();
            if lines.len() >= n {
                return lines;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("{needle:?} not {n} times in the gateway log after {within:?}; log:\n{log}");
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// The process id of the gateway this harness started.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the gateway is running").id()
    }

    /// Whether the process this harness started has exited (reaps it).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => child.try_wait().expect("wait for the gateway").is_some(),
            None => true,
        }
    }

    /// The configuration file it runs with.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// Its `[store] url` (`""`: the embedded SQLite file in `data/`).
    pub fn store_url(&self) -> &str {
        &self.store_url
    }

    /// The store it runs on, opened from the test process (to read or seed
    /// it whichever backend it is).
    pub fn store(&self) -> gatehouse::store::Store {
        gatehouse::store::Store::open_url(&self.store_url, &self.dir().join("data"))
            .expect("open the gateway's store")
    }

    /// Its temporary directory (config, log, `data/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the process and starts it again with the same config and ports.
    pub fn restart(&mut self) {
        self.kill();
        if let Err(e) = self.spawn_and_wait() {
            panic!(
                "gatehouse exited during restart ({}); log:\n{}",
                e.status, e.log
            );
        }
    }

    /// Stops the process the way an init system does (SIGTERM: graceful)
    /// and waits for it to exit; panics with the log if it does not.
    pub fn stop(&mut self, within: Duration) -> ExitStatus {
        self.signal_and_wait("TERM", within)
    }

    /// Sends `signal` (`INT`: fast stop, `TERM`: graceful) and waits for
    /// the process to exit; panics with the log if it does not.
    #[allow(clippy::disallowed_methods)] // polls the exit status with a deadline
    pub fn signal_and_wait(&mut self, signal: &str, within: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("the gateway is running");
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} failed");
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("wait for the gateway") {
                return status;
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let log = self.log();
                let tail = &log[log.len().saturating_sub(2000)..];
                panic!("gatehouse still running {within:?} after SIG{signal}; log tail:\n{tail}");
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn spawn_and_wait(&mut self) -> Result<(), StartError> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open the log");
        let log_err: File = log.try_clone().expect("clone the log handle");
        let child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("run")
            .arg("-c")
            .arg(&self.config)
            .current_dir(self.dir.path())
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .expect("spawn the gatehouse binary");
        let url = self.url("/gatehouse/health");
        let (tx, rx) = std::sync::mpsc::channel();
        rt().spawn(async move {
            let result = wait_healthy(child, url).await;
            let _ = tx.send(result);
        });
        let (child, outcome) = rx.recv().expect("the readiness probe vanished");
        self.child = Some(child);
        match outcome {
            Ready::Healthy => Ok(()),
            Ready::Exited(status) => {
                self.child = None;
                Err(StartError {
                    status,
                    log: self.log(),
                })
            }
            Ready::TimedOut(last) => {
                panic!(
                    "gatehouse not healthy after {START_DEADLINE:?} (last probe: {last}); log:\n{}",
                    self.log()
                )
            }
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}

enum Ready {
    Healthy,
    Exited(ExitStatus),
    TimedOut(String),
}

/// Probes the health URL every `POLL_EVERY` until 200, the process exits, or
/// `START_DEADLINE` passes. Hands the child back.
async fn wait_healthy(mut child: Child, url: String) -> (Child, Ready) {
    let probe = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("build the probe client");
    let deadline = tokio::time::Instant::now() + START_DEADLINE;
    let mut last: String;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return (child, Ready::Exited(status));
        }
        match probe.get(&url).send().await {
            Ok(resp) if resp.status() == 200 => return (child, Ready::Healthy),
            Ok(resp) => last = format!("status {}", resp.status()),
            Err(e) => last = e.to_string(),
        }
        if tokio::time::Instant::now() >= deadline {
            return (child, Ready::TimedOut(last));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
