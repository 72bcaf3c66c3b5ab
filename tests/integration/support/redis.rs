//! A throwaway `redis-server` for cluster tests: its own temporary
//! directory, a loopback port chosen at run time, no persistence
//! (`--save "" --appendonly no`), polled ready with a deadline (a `PING`
//! answered), killed on drop, and restartable on the same port (a Redis
//! outage and its end). Missing `redis-server`: the test is skipped, or
//! fails under CI (`require`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::ports::free_port;
use super::require;

/// How long `redis-server` may take to answer its first PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A running `redis-server`.
#[derive(Debug)]
pub struct Redis {
    program: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// `--requirepass`, when set.
    password: Option<String>,
    child: Option<Child>,
}

impl Redis {
    /// Starts one, or `None` (skipped) when `redis-server` is not installed.
    pub fn start(test: &str) -> Option<Redis> {
        Redis::start_with(test, None)
    }

    /// [`Redis::start`] with `--requirepass password` (the URL carries it).
    pub fn start_with(test: &str, password: Option<&str>) -> Option<Redis> {
        let program = require::program(test, "redis-server", "apt-get install redis-server")?;
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-redis-")
            .tempdir()
            .expect("temp dir for redis");
        let mut redis = Redis {
            program,
            dir,
            port: free_port(),
            password: password.map(str::to_owned),
            child: None,
        };
        redis.spawn();
        Some(redis)
    }

    /// `redis://127.0.0.1:PORT/0` (`redis://:PASSWORD@…` with a password).
    pub fn url(&self) -> String {
        match &self.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    #[allow(clippy::disallowed_methods)] // polls PING with a deadline
    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("redis.log")).expect("redis log");
        let mut cmd = Command::new(&self.program);
        if let Some(pw) = &self.password {
            cmd.args(["--requirepass", pw]);
        }
        let child = cmd
            .current_dir(self.dir.path())
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--dir", &self.dir.path().display().to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("redis log"))
            .stderr(log)
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        while !self.answers() {
            assert!(
                Instant::now() < deadline,
                "redis-server not ready within {READY_WITHIN:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether it answers `PING` now.
    pub fn answers(&self) -> bool {
        self.command("PING\r\n")
            .is_some_and(|r| r.starts_with("+PONG"))
    }

    /// Sends one inline command (after `AUTH` with a password) and returns
    /// the first reply bytes.
    pub fn command(&self, line: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut buf = [0u8; 4096];
        if let Some(pw) = &self.password {
            s.write_all(format!("AUTH {pw}\r\n").as_bytes()).ok()?;
            let n = s.read(&mut buf).ok()?;
            if !buf[..n].starts_with(b"+OK") {
                return None;
            }
        }
        s.write_all(line.as_bytes()).ok()?;
        let n = s.read(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Kills it (an outage); [`Redis::restart`] brings it back on the same port.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing was persisted).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}
