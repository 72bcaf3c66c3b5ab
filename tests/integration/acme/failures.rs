//! When the CA fails: down (the gateway serves HTTP and the certificates it
//! has, retries with backoff, issues once the CA is back), a challenge the
//! CA cannot complete (clear error in the log and on the debug page, no
//! crash loop), and a directory URL that answers garbage.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::binary::{client, Gateway, GatewayBuilder};
use crate::support::pebble::{Pebble, PebbleOptions};
use crate::support::ports::free_port;
use crate::support::testca::TestCa;

use super::common::{count, der_of, presented, wait_count, wait_trusted, ISSUE_WITHIN, TIMING};

/// Cheap argon2id for the admin the debug page needs.
const ARGON: &str = "m=64,t=1,p=1";

/// The `retry_in=` values of the failure lines, in order.
fn retry_delays(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("ACME: certificate not obtained"))
        .filter_map(|l| {
            let rest = &l[l.find("retry_in=")? + "retry_in=".len()..];
            Some(rest.split_whitespace().next()?.to_string())
        })
        .collect()
}

#[tokio::test]
async fn test_acme_ca_down_serves_retries_with_backoff_then_issues() {
    if !Pebble::available("test_acme_ca_down_serves_retries_with_backoff_then_issues") {
        return;
    }
    let (plain, tls) = (free_port(), free_port());
    let mut pebble = Pebble::prepare(PebbleOptions {
        http_port: plain,
        tls_port: tls,
        validity_secs: None,
    });
    // certs_dir has a default certificate: served until the ACME one exists.
    let certs = tempfile::tempdir().unwrap();
    let repo_certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    for f in ["default.crt", "default.key"] {
        std::fs::copy(repo_certs.join(f), certs.path().join(f)).unwrap();
    }
    let gw = GatewayBuilder::new(&pebble.acme_toml("http-01", &["d.acme.test"], ""))
        .ports(plain, tls)
        .certs_dir(certs.path())
        .env("GATEHOUSE_ACME_TIMING", TIMING)
        .start();

    // Serving at once: HTTP, and the certs_dir certificate over TLS.
    let health = client()
        .get(gw.url("/gatehouse/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let default = der_of(&std::fs::read_to_string(repo_certs.join("default.crt")).unwrap());
    assert_eq!(presented(tls, "d.acme.test").await, default);

    // Failures are logged, and the retries back off: 1 s, 2 s, 4 s, then 4 s (cap).
    let started = tokio::time::Instant::now();
    let log = wait_count(
        &gw,
        "ACME: certificate not obtained",
        4,
        Duration::from_secs(30),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(retry_delays(&log)[..4], ["1s", "2s", "4s", "4s"], "{log}");
    assert!(
        elapsed >= Duration::from_secs(6),
        "4 attempts took only {elapsed:?}: retries not backing off"
    );
    assert!(
        log.contains(&format!("ACME directory {}", pebble.directory())),
        "the error names the CA: {log}"
    );
    let attempts = count(&gw, "ACME: ordering a certificate");
    assert!(
        (4..=5).contains(&attempts),
        "{attempts} attempts in {elapsed:?}"
    );
    assert_eq!(presented(tls, "d.acme.test").await, default, "still served");

    // The CA comes back: the certificate follows without a restart.
    pebble.start_ca().await;
    let root = pebble.issuing_root().await;
    wait_trusted(&gw, tls, "d.acme.test", &root, ISSUE_WITHIN).await;
}

/// Adds an admin with the CLI and signs in; returns the session cookie.
async fn admin_cookie(gw: &Gateway) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("-c")
        .arg(gw.config_path())
        .args([
            "user",
            "add",
            "root",
            "--group",
            "admin",
            "--email",
            "root@example.com",
        ])
        .arg("--password-stdin")
        .current_dir(gw.dir())
        .env("GATEHOUSE_ARGON2", ARGON)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    assert!(child.wait().unwrap().success(), "gatehouse user add");
    let deadline = tokio::time::Instant::now() + ISSUE_WITHIN;
    loop {
        let resp = client()
            .post(gw.url("/gatehouse/login"))
            .form(&[
                ("username", "root"),
                ("password", "correct horse battery"),
                ("rd", "/"),
            ])
            .send()
            .await
            .unwrap();
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .find(|c| c.starts_with("gatehouse_session=") && c.len() > "gatehouse_session=".len());
        if let Some(c) = cookie {
            return c;
        }
        // The gateway notices the CLI's new user within a second.
        assert!(
            tokio::time::Instant::now() < deadline,
            "admin cannot sign in"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn test_acme_challenge_failure_in_log_and_debug_page_without_crash_loop() {
    if !Pebble::available("test_acme_challenge_failure_in_log_and_debug_page_without_crash_loop") {
        return;
    }
    let (plain, tls) = (free_port(), free_port());
    // Pebble validates http-01 on a port nobody listens on.
    let wrong = free_port();
    let pebble = Pebble::start(PebbleOptions {
        http_port: wrong,
        tls_port: tls,
        validity_secs: None,
    })
    .await;
    let certs = tempfile::tempdir().unwrap();
    let gw = GatewayBuilder::new(&pebble.acme_toml("http-01", &["e.acme.test"], ""))
        .ports(plain, tls)
        .certs_dir(certs.path())
        .env("GATEHOUSE_ACME_TIMING", TIMING)
        .env("GATEHOUSE_ARGON2", ARGON)
        .start();
    let log = wait_count(&gw, "http-01 challenge failed", 2, ISSUE_WITHIN).await;
    assert!(
        log.contains(&format!(":{wrong}")),
        "the error says where the CA looked: {log}"
    );
    assert!(log.contains("connection refused"), "{log}");

    let cookie = admin_cookie(&gw).await;
    let rows: serde_json::Value = client()
        .get(gw.url("/gatehouse/admin/certs?format=json"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["origin"] == "e.acme.test")
        .unwrap_or_else(|| panic!("no row for e.acme.test: {rows}"));
    assert_eq!(row["source"], "acme");
    let error = row["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("http-01 challenge failed"), "{row}");
    assert!(
        row["next_renewal"].as_u64().is_some(),
        "next retry shown: {row}"
    );
    let page = client()
        .get(gw.url("/gatehouse/admin/certs"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("e.acme.test") && html.contains("challenge failed"),
        "{html}"
    );

    // Signed out: sent to sign in first.
    let anon = client()
        .get(gw.url("/gatehouse/admin/certs"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 302);

    // No crash loop: still serving, and still retrying at a measured pace.
    assert_eq!(
        client()
            .get(gw.url("/gatehouse/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(!gw.log().contains("panicked"), "{}", gw.log());
}

/// An HTTPS server (certificate from `ca`) answering every request with
/// 200 and a body that is not an ACME directory.
async fn garbage_server(ca: &TestCa) -> u16 {
    let leaf = ca.leaf(&["127.0.0.1"]);
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(leaf.cert_pem.as_bytes())
        .map(Result::unwrap)
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    crate::support::ports::reserve(port);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let body = "<html>\u{0}\u{1} certainly not JSON {{{";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn test_acme_directory_answering_garbage_is_an_error_not_a_crash() {
    let ca = TestCa::new("garbage directory CA");
    let port = garbage_server(&ca).await;
    let roots = tempfile::tempdir().unwrap();
    let roots_file = ca.write_root(roots.path(), "roots.pem");
    let certs = tempfile::tempdir().unwrap();
    let toml = format!(
        "[acme]\nenabled = true\nemail = \"admin@example.com\"\n\
         directory = \"https://127.0.0.1:{port}/dir\"\nca_roots = \"{}\"\ndomains = [\"g.acme.test\"]\n",
        roots_file.display()
    );
    let (plain, tls) = (free_port(), free_port());
    let gw = GatewayBuilder::new(&toml)
        .ports(plain, tls)
        .certs_dir(certs.path())
        .env("GATEHOUSE_ACME_TIMING", TIMING)
        .start();
    let log = wait_count(
        &gw,
        "ACME: certificate not obtained",
        2,
        Duration::from_secs(30),
    )
    .await;
    assert!(
        log.contains("did not answer with an ACME directory"),
        "a clear error: {log}"
    );
    assert_eq!(retry_delays(&log)[..2], ["1s", "2s"], "{log}");
    assert_eq!(
        client()
            .get(gw.url("/gatehouse/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
