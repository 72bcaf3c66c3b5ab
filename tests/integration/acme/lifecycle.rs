//! A certificate's life: renewed and swapped into the live set while a
//! client keeps its keep-alive connection; kept across a restart without a
//! new order; this node's files lost, served again from the store; lost
//! from the store as well, a new account and a new order.

use crate::support::pebble::{Pebble, PebbleOptions};
use crate::support::ports::free_port;

use super::common::{
    acme_gateway, count, get_on, leaf, presented, trusted, wait_count, wait_trusted, ISSUE_WITHIN,
    POLL,
};

#[tokio::test]
async fn test_acme_renewal_swaps_live_while_a_connection_stays_open() {
    if !Pebble::available("test_acme_renewal_swaps_live_while_a_connection_stays_open") {
        return;
    }
    let (plain, tls) = (free_port(), free_port());
    // 24 s certificates and renew_before far longer than that: renewed once
    // a third of the life has passed, i.e. about 8 s after issuance.
    let pebble = Pebble::start(PebbleOptions {
        http_port: plain,
        tls_port: tls,
        validity_secs: Some(24),
    })
    .await;
    let (gw, _certs) = acme_gateway(
        &pebble,
        plain,
        tls,
        "http-01",
        &["r.acme.test"],
        "renew_before = \"30d\"\n",
    );
    let root = pebble.issuing_root().await;
    let first = wait_trusted(&gw, tls, "r.acme.test", &root, ISSUE_WITHIN).await;

    let mut kept = trusted(tls, "r.acme.test", &root).await.unwrap();
    assert_eq!(leaf(&kept), first);
    assert_eq!(
        get_on(&mut kept, "r.acme.test", "/gatehouse/health").await,
        200
    );

    let deadline = tokio::time::Instant::now() + ISSUE_WITHIN;
    let second = loop {
        let now_served = presented(tls, "r.acme.test").await;
        if now_served != first {
            break now_served;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not renewed after {ISSUE_WITHIN:?}; log:\n{}",
            gw.log()
        );
        // The open connection keeps working the whole time.
        assert_eq!(
            get_on(&mut kept, "r.acme.test", "/gatehouse/health").await,
            200
        );
        tokio::time::sleep(POLL * 5).await;
    };
    // The renewed certificate is trusted, and the old connection still works.
    let fresh = trusted(tls, "r.acme.test", &root).await.unwrap();
    assert_eq!(leaf(&fresh), second);
    assert_eq!(
        get_on(&mut kept, "r.acme.test", "/gatehouse/health").await,
        200
    );
    assert_eq!(
        leaf(&kept),
        first,
        "the open connection keeps its handshake"
    );
    assert!(
        gw.log().contains("two thirds"),
        "renew_before warning:\n{}",
        gw.log()
    );
}

/// The account URLs the log reports as created.
fn created_accounts(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("ACME account created"))
        .filter_map(|l| {
            let rest = &l[l.find("account=")? + "account=".len()..];
            Some(rest.split_whitespace().next()?.to_string())
        })
        .collect()
}

#[tokio::test]
async fn test_acme_restart_keeps_certificates_and_lost_account_key_makes_new_account() {
    if !Pebble::available(
        "test_acme_restart_keeps_certificates_and_lost_account_key_makes_new_account",
    ) {
        return;
    }
    let (plain, tls) = (free_port(), free_port());
    let pebble = Pebble::start(PebbleOptions {
        http_port: plain,
        tls_port: tls,
        validity_secs: None,
    })
    .await;
    let (mut gw, _certs) = acme_gateway(&pebble, plain, tls, "http-01", &["k.acme.test"], "");
    let root = pebble.issuing_root().await;
    let first = wait_trusted(&gw, tls, "k.acme.test", &root, ISSUE_WITHIN).await;
    assert_eq!(
        count(&gw, "ACME: ordering a certificate"),
        1,
        "{}",
        gw.log()
    );

    gw.restart();
    // Served from the first handshake after the restart, from disk.
    assert_eq!(presented(tls, "k.acme.test").await, first);
    let log = wait_count(&gw, "ACME start-up check done", 2, ISSUE_WITHIN).await;
    assert!(log.contains("ACME certificate loaded"), "{log}");
    let last = log
        .lines()
        .rev()
        .find(|l| l.contains("ACME start-up check done"))
        .unwrap();
    assert!(
        last.contains("orders=0"),
        "a new order after the restart: {last}"
    );
    assert_eq!(
        count(&gw, "ACME: ordering a certificate"),
        1,
        "no new order"
    );

    // This node's files lost: the store still holds account and certificate.
    let data = gw.dir().join("data/acme");
    let account_files = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(data.join("accounts"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    };
    let account_file = account_files().pop().expect("the account file");
    let credentials = std::fs::read_to_string(&account_file).unwrap();
    let cert_file = data.join("certs/k.acme.test.pem");
    std::fs::remove_file(&account_file).unwrap();
    std::fs::remove_file(&cert_file).unwrap();
    gw.restart();
    assert_eq!(presented(tls, "k.acme.test").await, first, "from the store");
    wait_count(&gw, "ACME start-up check done", 3, ISSUE_WITHIN).await;
    assert_eq!(
        count(&gw, "ACME: ordering a certificate"),
        1,
        "no new order"
    );
    assert!(
        cert_file.exists(),
        "the file is written back from the store"
    );

    // Lost everywhere (the store's rows and the files): a new account and
    // a new order.
    let store = gw.store();
    let directory = pebble.directory();
    let stored = store
        .acme_account(&directory)
        .unwrap()
        .expect("account in the store");
    assert_eq!(stored, credentials, "the file is the store's account");
    assert!(store.forget_acme_account(&directory, &stored).unwrap());
    assert!(store.forget_acme_cert("k.acme.test").unwrap());
    for f in account_files() {
        std::fs::remove_file(f).unwrap();
    }
    std::fs::remove_file(&cert_file).unwrap();
    gw.restart();
    let log = wait_count(&gw, "ACME account created", 2, ISSUE_WITHIN).await;
    let accounts = created_accounts(&log);
    assert_eq!(accounts.len(), 2, "{log}");
    assert_ne!(accounts[0], accounts[1], "a new account");
    let renewed = wait_trusted(&gw, tls, "k.acme.test", &root, ISSUE_WITHIN).await;
    assert_ne!(renewed, first);
}
