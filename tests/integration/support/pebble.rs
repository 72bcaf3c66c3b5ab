//! Let's Encrypt's test CA, Debian's `pebble`, with `pebble-challtestsrv` as
//! its DNS server (every name resolves to 127.0.0.1; TXT records are set
//! through its management API for dns-01). Pebble's own HTTPS certificate
//! comes from a [`TestCa`] whose root the gateway gets as `ca_roots`.
//! Every port is chosen at run time; the CA can be stopped and started
//! again on the same ports.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::ports::free_port;
use super::require::available;
use super::testca::TestCa;

/// Debian's pebble binaries (package `pebble`).
pub const PEBBLE: &str = "/usr/bin/pebble";
/// The challenge test server, used as Pebble's DNS.
pub const CHALLTESTSRV: &str = "/usr/bin/pebble-challtestsrv";

/// How long Pebble may take to answer its directory.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// What the CA validates against.
#[derive(Debug, Clone, Copy)]
pub struct PebbleOptions {
    /// Port Pebble connects to for http-01 (the gateway's plain port).
    pub http_port: u16,
    /// Port Pebble connects to for tls-alpn-01 (the gateway's TLS port).
    pub tls_port: u16,
    /// Lifetime of issued certificates (Pebble's default is 5 years).
    pub validity_secs: Option<u64>,
}

/// A Pebble process and its DNS server; both killed on drop.
pub struct Pebble {
    pebble: Option<Child>,
    dns: Child,
    /// Pebble's ACME port.
    pub port: u16,
    /// Pebble's management port (roots, intermediates).
    pub mgmt_port: u16,
    /// challtestsrv's management port.
    pub dns_mgmt_port: u16,
    dns_port: u16,
    config: PathBuf,
    ca_roots: PathBuf,
    dir: TempDir,
}

impl Pebble {
    /// Whether the binaries are installed (prints the skip line if not).
    pub fn available(test: &str) -> bool {
        available(PEBBLE, "pebble", test) && available(CHALLTESTSRV, "pebble", test)
    }

    /// Writes the configuration and starts the DNS server, but not Pebble
    /// (see [`Pebble::start_ca`]): for tests of a CA that is down.
    pub fn prepare(opts: PebbleOptions) -> Pebble {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-pebble-")
            .tempdir()
            .unwrap();
        let ca = TestCa::new("Gatehouse test root for Pebble's HTTPS");
        let leaf = ca.leaf(&["127.0.0.1", "localhost"]);
        std::fs::write(dir.path().join("cert.pem"), &leaf.cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), &leaf.key_pem).unwrap();
        let ca_roots = ca.write_root(dir.path(), "ca-roots.pem");
        let (port, mgmt_port) = (free_port(), free_port());
        let (dns_port, dns_mgmt_port) = (free_port(), free_port());
        let validity = opts
            .validity_secs
            .map(|s| format!(",\n    \"certificateValidityPeriod\": {s}"))
            .unwrap_or_default();
        let config = dir.path().join("pebble-config.json");
        std::fs::write(
            &config,
            format!(
                "{{\n  \"pebble\": {{\n    \"listenAddress\": \"127.0.0.1:{port}\",\n    \
                 \"managementListenAddress\": \"127.0.0.1:{mgmt_port}\",\n    \
                 \"certificate\": \"{cert}\",\n    \"privateKey\": \"{key}\",\n    \
                 \"httpPort\": {http},\n    \"tlsPort\": {tls},\n    \
                 \"ocspResponderURL\": \"\",\n    \"externalAccountBindingRequired\": false{validity}\n  }}\n}}\n",
                cert = dir.path().join("cert.pem").display(),
                key = dir.path().join("key.pem").display(),
                http = opts.http_port,
                tls = opts.tls_port,
            ),
        )
        .unwrap();
        let dns = Command::new(CHALLTESTSRV)
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-management", &format!("127.0.0.1:{dns_mgmt_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdin(Stdio::null())
            .stdout(log_file(dir.path(), "challtestsrv.log"))
            .stderr(log_file(dir.path(), "challtestsrv.log"))
            .spawn()
            .expect("start pebble-challtestsrv");
        Pebble {
            pebble: None,
            dns,
            port,
            mgmt_port,
            dns_mgmt_port,
            dns_port,
            config,
            ca_roots,
            dir,
        }
    }

    /// A running CA.
    pub async fn start(opts: PebbleOptions) -> Pebble {
        let mut p = Pebble::prepare(opts);
        p.start_ca().await;
        p
    }

    /// Starts (or restarts) Pebble itself and waits for its directory.
    pub async fn start_ca(&mut self) {
        self.stop_ca();
        let child = Command::new(PEBBLE)
            .arg("-config")
            .arg(&self.config)
            .args(["-dnsserver", &format!("127.0.0.1:{}", self.dns_port)])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdin(Stdio::null())
            .stdout(log_file(self.dir.path(), "pebble.log"))
            .stderr(log_file(self.dir.path(), "pebble.log"))
            .spawn()
            .expect("start pebble");
        self.pebble = Some(child);
        let client = self.client();
        let deadline = tokio::time::Instant::now() + START_DEADLINE;
        loop {
            if let Ok(r) = client.get(self.directory()).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "pebble not answering after {START_DEADLINE:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops Pebble (the DNS server keeps running).
    pub fn stop_ca(&mut self) {
        if let Some(mut c) = self.pebble.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The ACME directory URL.
    pub fn directory(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.port)
    }

    /// The PEM root that signed Pebble's HTTPS certificate (for `ca_roots`).
    pub fn ca_roots(&self) -> &Path {
        &self.ca_roots
    }

    /// An HTTP client trusting Pebble's HTTPS certificate.
    pub fn client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca_roots).unwrap();
        reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap()
    }

    /// The root that issues Pebble's certificates (new at every Pebble start).
    pub async fn issuing_root(&self) -> String {
        self.client()
            .get(format!("https://127.0.0.1:{}/roots/0", self.mgmt_port))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The `[acme]` table for this CA: `challenge`, `domains` and extra
    /// lines are the test's.
    pub fn acme_toml(&self, challenge: &str, domains: &[&str], extra: &str) -> String {
        let list: Vec<String> = domains.iter().map(|d| format!("{d:?}")).collect();
        format!(
            "[acme]\nenabled = true\nemail = \"admin@example.com\"\ndirectory = \"{}\"\n\
             ca_roots = \"{}\"\nchallenge = \"{challenge}\"\ndomains = [{}]\n{extra}\n",
            self.directory(),
            self.ca_roots.display(),
            list.join(", ")
        )
    }

    /// Pebble's and the DNS server's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }

    /// Its temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self.stop_ca();
        let _ = self.dns.kill();
        let _ = self.dns.wait();
    }
}

fn log_file(dir: &Path, name: &str) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .unwrap()
}
