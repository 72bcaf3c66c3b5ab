//! Shared helpers for the ACME and certificate tests: a gateway pointed at
//! a Pebble, TLS handshakes that trust (or do not check) the presented
//! chain, and log polling.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::support::binary::{Gateway, GatewayBuilder};
use crate::support::pebble::Pebble;
use crate::support::tls::{dns_name, tls_connect, try_tls_connect};

/// Deadline for an issuance (Pebble without sleeps takes about a second).
pub const ISSUE_WITHIN: Duration = Duration::from_secs(60);
/// Interval between polls.
pub const POLL: Duration = Duration::from_millis(100);
/// Fast ACME timing for tests: look every second, retry after 1 s, 2 s, 4 s, 4 s…
pub const TIMING: &str = "check=1s,retry=1s,retry_max=4s";

/// A gateway on `plain`/`tls` with `[acme]` for `pebble`, an empty
/// `certs_dir` (returned, to keep it alive) and fast ACME timing.
pub fn acme_gateway(
    pebble: &Pebble,
    plain: u16,
    tls: u16,
    challenge: &str,
    domains: &[&str],
    extra: &str,
) -> (Gateway, tempfile::TempDir) {
    let certs = tempfile::tempdir().unwrap();
    let gw = GatewayBuilder::new(&pebble.acme_toml(challenge, domains, extra))
        .ports(plain, tls)
        .certs_dir(certs.path())
        .env("GATEHOUSE_ACME_TIMING", TIMING)
        .start();
    (gw, certs)
}

/// A TLS client trusting only `root_pem`.
fn verifying(root_pem: &str, alpn: &[&[u8]]) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(root_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsConnector::from(Arc::new(config))
}

/// A verified handshake with `name` on 127.0.0.1:`port`, or why it failed.
pub async fn trusted(
    port: u16,
    name: &str,
    root_pem: &str,
) -> Result<TlsStream<TcpStream>, String> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let server = ServerName::try_from(name.to_string()).map_err(|e| e.to_string())?;
    tokio::time::timeout(
        Duration::from_secs(10),
        verifying(root_pem, &[b"http/1.1"]).connect(server, tcp),
    )
    .await
    .map_err(|_| "handshake timed out".to_owned())?
    .map_err(|e| e.to_string())
}

/// Polls until a client trusting `root_pem` accepts the certificate for
/// `name`; returns the leaf DER. Panics with the gateway log after `within`.
pub async fn wait_trusted(
    gw: &Gateway,
    port: u16,
    name: &str,
    root_pem: &str,
    within: Duration,
) -> Vec<u8> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match trusted(port, name, root_pem).await {
            Ok(tls) => return leaf(&tls),
            Err(e) => {
                if tokio::time::Instant::now() >= deadline {
                    panic!(
                        "no trusted certificate for {name} after {within:?} (last: {e}); log:\n{}",
                        gw.log()
                    );
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The leaf certificate a TLS stream's server presented.
pub fn leaf(tls: &TlsStream<TcpStream>) -> Vec<u8> {
    tls.get_ref().1.peer_certificates().expect("a certificate")[0]
        .as_ref()
        .to_vec()
}

/// The leaf presented for `name`, without checking it.
pub async fn presented(port: u16, name: &str) -> Vec<u8> {
    leaf(&tls_connect(port, dns_name(name), &[]).await)
}

/// The leaf presented for `name`, or `None` when the handshake fails (no
/// certificate for that name yet).
pub async fn try_presented(port: u16, name: &str) -> Option<Vec<u8>> {
    try_tls_connect(port, dns_name(name), &[])
        .await
        .ok()
        .map(|tls| leaf(&tls))
}

/// The DER of the first certificate of a PEM text.
pub fn der_of(pem: &str) -> Vec<u8> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .as_ref()
        .to_vec()
}

/// Sends `GET path` on an open HTTP/1.1 stream and returns the status.
pub async fn get_on<S>(stream: &mut S, host: &str, path: &str) -> u16
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("response timed out")
            .expect("read the response");
        assert!(
            n > 0,
            "connection closed; got {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(head_end) = text.find("\r\n\r\n") {
            let len = text[..head_end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= head_end + 4 + len {
                return text[9..12].parse().unwrap();
            }
        }
    }
}

/// How many times `needle` occurs in the gateway log.
pub fn count(gw: &Gateway, needle: &str) -> usize {
    gw.log().matches(needle).count()
}

/// Waits until `needle` occurs at least `n` times in the log.
pub async fn wait_count(gw: &Gateway, needle: &str, n: usize, within: Duration) -> String {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let log = gw.log();
        if log.matches(needle).count() >= n {
            return log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{needle:?} not {n} times in the log after {within:?}; log:\n{log}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The Unix mode bits of `path`.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}
