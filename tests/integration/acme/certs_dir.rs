//! `certs_dir` is watched: a pair replaced on disk is served within 10 s,
//! certbot's `live/NAME/` symlinks (and their renewal) work beside
//! `NAME.crt`, a pair that does not parse or does not match keeps the old
//! one in service, and a chain in the wrong order is served leaf first.

use std::path::Path;
use std::time::Duration;

use crate::support::binary::{Gateway, GatewayBuilder};
use crate::support::testca::{Leaf, TestCa};

use super::common::{count, der_of, presented, trusted, try_presented, wait_count, POLL};

/// The promise for a replaced pair.
const SERVED_WITHIN: Duration = Duration::from_secs(10);

/// Writes `bytes` to `path` the way an editor or certbot does: a new file
/// renamed over the old one.
fn replace(path: &Path, bytes: &str) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn write_pair(dir: &Path, name: &str, leaf: &Leaf) {
    replace(&dir.join(format!("{name}.key")), &leaf.key_pem);
    replace(&dir.join(format!("{name}.crt")), &leaf.cert_pem);
}

/// Polls until `name` is presented with the certificate `pem`.
async fn wait_served(gw: &Gateway, port: u16, name: &str, pem: &str) {
    let want = der_of(pem);
    let deadline = tokio::time::Instant::now() + SERVED_WITHIN;
    while try_presented(port, name).await.as_ref() != Some(&want) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}: new certificate not served within {SERVED_WITHIN:?}; log:\n{}",
            gw.log()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// certbot's layout: `archive/NAME/fullchainN.pem` + `privkeyN.pem`, and
/// `live/NAME/` symlinks to the newest (relinked one after the other on renew).
fn certbot_link(dir: &Path, lineage: &str, n: u32, chain_pem: &str, key_pem: &str) {
    let archive = dir.join("archive").join(lineage);
    let live = dir.join("live").join(lineage);
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::create_dir_all(&live).unwrap();
    std::fs::write(archive.join(format!("fullchain{n}.pem")), chain_pem).unwrap();
    std::fs::write(archive.join(format!("privkey{n}.pem")), key_pem).unwrap();
    for (link, target) in [("privkey.pem", "privkey"), ("fullchain.pem", "fullchain")] {
        let link = live.join(link);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(format!("../../archive/{lineage}/{target}{n}.pem"), &link)
            .unwrap();
    }
}

#[tokio::test]
async fn test_certs_dir_hot_swap_certbot_layout_and_bad_pairs_keep_the_old_one() {
    let ca = TestCa::new("certs_dir test root");
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path();
    let v1 = ca.leaf(&["a.test"]);
    write_pair(dir, "a.test", &v1);
    let gw = GatewayBuilder::new("").tls(true).certs_dir(dir).start();
    let port = gw.tls_port.unwrap();
    assert_eq!(presented(port, "a.test").await, der_of(&v1.cert_pem));

    // Replaced on disk: served within 10 s, no restart.
    let v2 = ca.leaf(&["a.test"]);
    write_pair(dir, "a.test", &v2);
    wait_served(&gw, port, "a.test", &v2.cert_pem).await;

    // certbot's live/ layout, served for the names in the certificate.
    let (int, int_pem) = ca.intermediate("certbot test intermediate");
    let c1 = int.leaf(&["c.test", "www.c.test"]);
    certbot_link(
        dir,
        "c.test",
        1,
        &format!("{}{int_pem}", c1.cert_pem),
        &c1.key_pem,
    );
    wait_served(&gw, port, "www.c.test", &c1.cert_pem).await;
    let tls = trusted(port, "c.test", &ca.root_pem).await;
    assert!(tls.is_ok(), "full chain served: {:?}", tls.err());
    // certbot renew: new archive files, symlinks relinked.
    let c2 = int.leaf(&["c.test", "www.c.test"]);
    certbot_link(
        dir,
        "c.test",
        2,
        &format!("{}{int_pem}", c2.cert_pem),
        &c2.key_pem,
    );
    wait_served(&gw, port, "c.test", &c2.cert_pem).await;

    // A certificate that does not parse: refused, the old one stays.
    replace(
        &dir.join("a.test.crt"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    );
    let refused = "certificate refused; the previous one stays in service";
    wait_count(&gw, refused, 1, SERVED_WITHIN).await;
    assert_eq!(presented(port, "a.test").await, der_of(&v2.cert_pem));

    // A certificate with somebody else's key: refused, the old one stays.
    let v3 = ca.leaf(&["a.test"]);
    let stranger = ca.leaf(&["a.test"]);
    replace(&dir.join("a.test.key"), &stranger.key_pem);
    replace(&dir.join("a.test.crt"), &v3.cert_pem);
    let log = wait_count(&gw, refused, 2, SERVED_WITHIN).await;
    assert!(log.contains("does not match"), "{log}");
    assert_eq!(presented(port, "a.test").await, der_of(&v2.cert_pem));

    // Fixed: served again.
    replace(&dir.join("a.test.key"), &v3.key_pem);
    wait_served(&gw, port, "a.test", &v3.cert_pem).await;
    assert!(count(&gw, "certificate reloaded") >= 2, "{}", gw.log());
}

#[tokio::test]
async fn test_certs_dir_chain_in_the_wrong_order_is_served_leaf_first() {
    let ca = TestCa::new("chain order test root");
    let (int, int_pem) = ca.intermediate("chain order intermediate");
    let leaf = int.leaf(&["d.test"]);
    let certs = tempfile::tempdir().unwrap();
    // Intermediate first, leaf second: wrong.
    std::fs::write(
        certs.path().join("d.test.crt"),
        format!("{int_pem}{}", leaf.cert_pem),
    )
    .unwrap();
    std::fs::write(certs.path().join("d.test.key"), &leaf.key_pem).unwrap();
    let gw = GatewayBuilder::new("")
        .tls(true)
        .certs_dir(certs.path())
        .start();
    let port = gw.tls_port.unwrap();
    let tls = trusted(port, "d.test", &ca.root_pem).await;
    assert!(
        tls.is_ok(),
        "verifies after reordering: {:?}; log:\n{}",
        tls.err(),
        gw.log()
    );
    assert!(
        gw.log().contains("chain was not leaf-first: reordered"),
        "{}",
        gw.log()
    );
}

#[tokio::test]
async fn test_certs_dir_empty_without_acme_refuses_to_start() {
    let certs = tempfile::tempdir().unwrap();
    let err = GatewayBuilder::new("")
        .tls(true)
        .certs_dir(certs.path())
        .try_start()
        .unwrap_err();
    assert!(err.log.contains("no usable certificate"), "{}", err.log);
}
