//! Each challenge type gets a certificate that a client trusting Pebble's
//! issuing root accepts for the host; key and certificate are stored 0600.

use crate::support::pebble::{Pebble, PebbleOptions};
use crate::support::ports::free_port;
use crate::support::require::available;

use super::common::{acme_gateway, count, get_on, mode, trusted, wait_trusted, ISSUE_WITHIN};

fn options(plain: u16, tls: u16) -> PebbleOptions {
    PebbleOptions {
        http_port: plain,
        tls_port: tls,
        validity_secs: None,
    }
}

#[tokio::test]
async fn test_acme_http01_issues_a_trusted_certificate() {
    if !Pebble::available("test_acme_http01_issues_a_trusted_certificate") {
        return;
    }
    let (plain, tls) = (free_port(), free_port());
    let pebble = Pebble::start(options(plain, tls)).await;
    let (gw, _certs) = acme_gateway(&pebble, plain, tls, "http-01", &["a.acme.test"], "");
    let root = pebble.issuing_root().await;
    wait_trusted(&gw, tls, "a.acme.test", &root, ISSUE_WITHIN).await;

    // A request over the new certificate works.
    let mut stream = trusted(tls, "a.acme.test", &root).await.unwrap();
    assert_eq!(
        get_on(&mut stream, "a.acme.test", "/gatehouse/health").await,
        200
    );

    let data = gw.dir().join("data/acme");
    let stored = data.join("certs/a.acme.test.pem");
    assert_eq!(mode(&stored), 0o600, "certificate and key file");
    let accounts: Vec<_> = std::fs::read_dir(data.join("accounts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(mode(&accounts[0]), 0o600, "account key file");
    let log = gw.log();
    assert!(
        log.contains("ACME certificate issued and in service"),
        "{log}"
    );
    assert!(
        !log.contains("PRIVATE KEY"),
        "a key reached the log:\n{log}"
    );
    assert_eq!(count(&gw, "ACME account created"), 1);
}

#[tokio::test]
async fn test_acme_tls_alpn01_issues_a_trusted_certificate() {
    if !Pebble::available("test_acme_tls_alpn01_issues_a_trusted_certificate") {
        return;
    }
    let (plain, tls) = (free_port(), free_port());
    let pebble = Pebble::start(options(plain, tls)).await;
    let (gw, _certs) = acme_gateway(&pebble, plain, tls, "tls-alpn-01", &["b.acme.test"], "");
    let root = pebble.issuing_root().await;
    wait_trusted(&gw, tls, "b.acme.test", &root, ISSUE_WITHIN).await;
    // After the challenge, browsers still get h2 / http/1.1, never acme-tls/1.
    let tls_stream = crate::support::tls::tls_connect(
        tls,
        crate::support::tls::dns_name("b.acme.test"),
        &[b"h2", b"http/1.1"],
    )
    .await;
    assert_eq!(tls_stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
}

#[tokio::test]
async fn test_acme_dns01_hook_issues_a_wildcard() {
    if !Pebble::available("test_acme_dns01_hook_issues_a_wildcard")
        || !available(
            "/usr/bin/curl",
            "curl",
            "test_acme_dns01_hook_issues_a_wildcard",
        )
    {
        return;
    }
    let (plain, tls) = (free_port(), free_port());
    let pebble = Pebble::start(options(plain, tls)).await;
    // lego's exec provider shape: HOOK present|cleanup FQDN VALUE.
    let hook = pebble.dir().join("dns-hook.sh");
    let calls = pebble.dir().join("hook-calls");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nset -e\necho \"$1 $2\" >> {calls}\napi=http://127.0.0.1:{port}\n\
             case \"$1\" in\n  present) curl -sf -X POST -d \"{{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}}\" $api/set-txt ;;\n  \
             cleanup) curl -sf -X POST -d \"{{\\\"host\\\":\\\"$2\\\"}}\" $api/clear-txt ;;\n  \
             *) echo \"unknown action $1\" >&2; exit 2 ;;\nesac\n",
            calls = calls.display(),
            port = pebble.dns_mgmt_port
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let extra = format!("dns_hook = \"{}\"\ndns_wait = \"0s\"\n", hook.display());
    let (gw, _certs) = acme_gateway(&pebble, plain, tls, "dns-01", &["*.w.acme.test"], &extra);
    let root = pebble.issuing_root().await;
    wait_trusted(&gw, tls, "x.w.acme.test", &root, ISSUE_WITHIN).await;
    wait_trusted(&gw, tls, "y.w.acme.test", &root, ISSUE_WITHIN).await;
    assert!(
        gw.dir().join("data/acme/certs/_.w.acme.test.pem").exists(),
        "wildcard stored as _.NAME.pem"
    );
    let calls = std::fs::read_to_string(&calls).unwrap();
    assert!(
        calls.contains("present _acme-challenge.w.acme.test.")
            && calls.contains("cleanup _acme-challenge.w.acme.test."),
        "{calls}"
    );
}
