//! Debian's nginx (`/usr/sbin/nginx`, package nginx-light, which `.ci/run`
//! installs) started by a test in its own prefix directory on a loopback
//! port, with logs in the prefix; stopped (master and worker) on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where Debian installs nginx.
pub const NGINX: &str = "/usr/sbin/nginx";

/// How long nginx may take to listen.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// Whether nginx is installed (else the test is skipped; see `external.rs`).
pub fn available(test: &str) -> bool {
    super::require::available(NGINX, "nginx-light", test)
}

/// A running nginx.
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    /// The plain-HTTP port the configuration listens on.
    pub port: u16,
    prefix: PathBuf,
}

impl Nginx {
    /// Writes `PREFIX/nginx.conf` (one worker, temp paths and pid in the
    /// prefix, then `http { http_body }`) and starts nginx on it. `port`
    /// is the port `http_body` listens on.
    pub fn start(prefix: &Path, http_body: &str, port: u16) -> Nginx {
        std::fs::create_dir_all(prefix).expect("nginx prefix");
        let p = prefix.display();
        let conf = format!(
            "worker_processes 1;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {p}/body; proxy_temp_path {p}/proxy;\n\
               fastcgi_temp_path {p}/fcgi; uwsgi_temp_path {p}/uwsgi; scgi_temp_path {p}/scgi;\n\
             {http_body}\n\
             }}\n"
        );
        let conf_path = prefix.join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(&conf_path)
            .arg("-g")
            .arg(format!(
                "daemon off; pid {p}/nginx.pid; error_log {p}/error.log;"
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx");
        Nginx {
            child,
            port,
            prefix: prefix.to_path_buf(),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// nginx's error log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("error.log")).unwrap_or_default()
    }

    /// Waits until nginx accepts connections; panics with its log if it exits.
    pub async fn ready(&mut self) {
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "nginx exited during start-up: {status}; log:\n{}",
                    self.log()
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nginx not listening on {} after {READY_WITHIN:?}; log:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// How long nginx may take to stop its workers and exit after SIGTERM.
const STOP_WITHIN: Duration = Duration::from_secs(5);

impl Drop for Nginx {
    /// SIGTERM first: the master stops its workers and exits. A SIGKILL to the master alone
    /// would leave its worker running, orphaned, after the test. SIGKILL if it has not
    /// exited within [`STOP_WITHIN`].
    #[allow(clippy::disallowed_methods)] // polls the exit status with a deadline
    fn drop(&mut self) {
        let termed = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if termed {
            let deadline = std::time::Instant::now() + STOP_WITHIN;
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
