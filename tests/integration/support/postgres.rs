//! A throwaway PostgreSQL server for tests: `initdb` into a temporary
//! directory (trust authentication, superuser `gatehouse`), listening on
//! 127.0.0.1 at a port chosen at run time and on a unix socket in that
//! directory; polled ready with a deadline, stopped on drop.
//!
//! PostgreSQL refuses to run as root, so under root (as CI runs) the
//! server runs as `nobody`, in a directory handed to that user. Missing
//! binaries (Debian's `postgresql`, /usr/lib/postgresql/*/bin): the test
//! prints one SKIPPED line, or fails under CI.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::ports::free_port;
use super::require;

/// How long initdb and start-up may take.
const READY_DEADLINE: Duration = Duration::from_secs(60);

/// Debian's `nobody` / `nogroup`.
const NOBODY: u32 = 65534;

/// A running PostgreSQL.
#[derive(Debug)]
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
    databases: u32,
}

fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("postgres").is_file() && b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

/// Runs `f` on a thread of its own: the blocking `postgres` client starts
/// a runtime per call, which tokio forbids inside a `#[tokio::test]`.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("postgres helper thread"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn as_server_user(cmd: &mut Command) -> &mut Command {
    if is_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    cmd
}

impl Postgres {
    /// Starts one, or `None` (after the SKIPPED line) when PostgreSQL is
    /// not installed.
    pub fn start(test: &str) -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            require::missing(
                test,
                "PostgreSQL (initdb, postgres)",
                "apt-get install postgresql",
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-pg-")
            .tempdir()
            .expect("temp dir");
        if is_root() {
            std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).expect("chown");
        }
        let out = as_server_user(&mut Command::new(bin.join("initdb")))
            .arg("-D")
            .arg(dir.path().join("data"))
            .args([
                "-U",
                "gatehouse",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Postgres {
            dir,
            bin,
            port: free_port(),
            child: None,
            databases: 0,
        };
        pg.resume();
        Some(pg)
    }

    /// The directory holding the unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` over TCP.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://gatehouse:secret-pw@127.0.0.1:{}/{db}",
            self.port
        )
    }

    /// The URL of database `db` over the unix socket.
    pub fn socket_url(&self, db: &str) -> String {
        format!(
            "postgresql://gatehouse@/{db}?host={}&port={}",
            self.dir.path().display(),
            self.port
        )
    }

    /// A fresh, empty database; its TCP URL.
    pub fn new_database(&mut self) -> String {
        self.databases += 1;
        let name = format!("gh{}", self.databases);
        let admin = self.url("postgres");
        off_runtime(|| {
            postgres::Client::connect(&admin, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(&format!("CREATE DATABASE {name}")))
                .expect("CREATE DATABASE")
        });
        self.url(&name)
    }

    /// A client on database `db` (test assertions; not inside a tokio
    /// runtime).
    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls).expect("connect to test postgres")
    }

    /// Starts the server on its data directory (again, after [`Self::stop`])
    /// and waits until it answers queries.
    #[allow(clippy::disallowed_methods)] // polls readiness with a deadline
    pub fn resume(&mut self) {
        let child = as_server_user(&mut Command::new(self.bin.join("postgres")))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-k")
            .arg(self.dir.path())
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.path().join("server.log")).expect("log file"),
            ))
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            let url = self.url("postgres");
            let ok = off_runtime(|| {
                postgres::Client::connect(&url, postgres::NoTls)
                    .and_then(|mut c| c.simple_query("SELECT 1"))
                    .is_ok()
            });
            if ok {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("postgres exited ({status}): {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "postgres not ready within {READY_DEADLINE:?}: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server at once (immediate shutdown: every connection
    /// drops, as when the machine running it goes away) and waits for it.
    #[allow(clippy::disallowed_methods)] // polls the exit status with a deadline
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-s", "QUIT", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
