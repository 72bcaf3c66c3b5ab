//! ACME with several instances (docs/cluster.md):
//! - an HTTP-01 order placed by node A is answered by node B (the CA,
//!   Pebble, reaches only B's plain port) even when each node has a store
//!   of its own;
//! - two nodes on one store order one certificate, once, with one account,
//!   and both serve it; its renewal is again ordered once and reaches both;
//! - a TLS-ALPN-01 order of A is answered by B, which orders nothing itself
//!   (Pebble reaches only B's TLS port).

use crate::acme::common::{count, leaf, trusted, wait_trusted, ISSUE_WITHIN, POLL, TIMING};
use crate::cluster::common::{wait_subscribers, Shared};
use crate::support::binary::{Gateway, GatewayBuilder};
use crate::support::pebble::{Pebble, PebbleOptions};
use crate::support::ports::free_port;
use crate::support::postgres::Postgres;
use crate::support::redis::Redis;
use crate::support::testca::TestCa;

/// Four free ports (A plain, A TLS, B plain, B TLS) and a Pebble that
/// validates on B's ports only.
async fn pebble_reaching_b(validity_secs: Option<u64>) -> (Pebble, [u16; 4]) {
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let pebble = Pebble::start(PebbleOptions {
        http_port: ports[2],
        tls_port: ports[3],
        validity_secs,
    })
    .await;
    (pebble, ports)
}

fn node(
    pebble: &Pebble,
    redis: &Redis,
    plain: u16,
    tls: u16,
    name: &str,
) -> (Gateway, tempfile::TempDir) {
    let extra = format!(
        "\n[cluster]\nredis = {:?}\nnode_name = {name:?}\n",
        redis.url()
    );
    let certs = tempfile::tempdir().unwrap();
    let gw = GatewayBuilder::new(&pebble.acme_toml("http-01", &["c.acme.test"], &extra))
        .ports(plain, tls)
        .certs_dir(certs.path())
        .env("GATEHOUSE_ACME_TIMING", TIMING)
        // Each node its own store: only the HTTP-01 answer is shared.
        .store_url("")
        .start();
    (gw, certs)
}

#[tokio::test]
async fn test_cluster_acme_http01_order_of_a_answered_by_b() {
    let test = "test_cluster_acme_http01_order_of_a_answered_by_b";
    if !Pebble::available(test) {
        return;
    }
    let Some(redis) = Redis::start(test) else {
        return;
    };
    let (pebble, [a_plain, a_tls, b_plain, b_tls]) = pebble_reaching_b(None).await;
    let (b, _b_certs) = node(&pebble, &redis, b_plain, b_tls, "node-b");
    let (a, _a_certs) = node(&pebble, &redis, a_plain, a_tls, "node-a");
    let root = pebble.issuing_root().await;
    wait_trusted(&a, a_tls, "c.acme.test", &root, ISSUE_WITHIN).await;
    wait_trusted(&b, b_tls, "c.acme.test", &root, ISSUE_WITHIN).await;
}

/// Two nodes on one store and one Redis, each with its own ports, a
/// `certs_dir` and (PostgreSQL) a `data_dir` of its own.
struct Pair {
    a: Gateway,
    b: Gateway,
    _dirs: Vec<tempfile::TempDir>,
    _redis: Redis,
    _postgres: Option<Postgres>,
}

/// One node of a pair: `acme` is its `[acme]` table ("" for none: it then
/// serves a certificate from its `certs_dir`).
struct NodeConf<'a> {
    name: &'a str,
    plain: u16,
    tls: u16,
    acme: String,
}

async fn pair(shared: Shared, test: &str, a: NodeConf<'_>, b: NodeConf<'_>) -> Option<Pair> {
    let mut postgres = match shared {
        Shared::Sqlite => None,
        Shared::Postgres => Some(Postgres::start(test)?),
    };
    let redis = Redis::start(test)?;
    let url = postgres
        .as_mut()
        .map(|pg| pg.new_database())
        .unwrap_or_default();
    let mut dirs = Vec::new();
    let data = tempfile::tempdir().unwrap();
    let mut start = |n: &NodeConf<'_>| {
        let certs = tempfile::tempdir().unwrap();
        if n.acme.is_empty() {
            // A TLS listener needs a certificate of some name.
            let leaf = TestCa::new("cluster test CA").leaf(&["other.test"]);
            std::fs::write(certs.path().join("other.test.crt"), &leaf.cert_pem).unwrap();
            std::fs::write(certs.path().join("other.test.key"), &leaf.key_pem).unwrap();
        }
        let conf = format!(
            "{}\n[cluster]\nredis = {:?}\nnode_name = {:?}\n",
            n.acme,
            redis.url(),
            n.name
        );
        let mut builder = GatewayBuilder::new(&conf)
            .ports(n.plain, n.tls)
            .certs_dir(certs.path())
            .env("GATEHOUSE_ACME_TIMING", TIMING)
            .store_url(&url);
        if shared == Shared::Sqlite {
            builder = builder.data_dir(data.path());
        }
        dirs.push(certs);
        builder.start()
    };
    // B first: the CA reaches B's ports, which must be open before any order.
    let b = start(&b);
    let a = start(&a);
    dirs.push(data);
    wait_subscribers(&redis, 2).await;
    Some(Pair {
        a,
        b,
        _dirs: dirs,
        _redis: redis,
        _postgres: postgres,
    })
}

/// Both logs together.
fn logs(p: &Pair) -> String {
    format!("--- node-a:\n{}\n--- node-b:\n{}", p.a.log(), p.b.log())
}

/// How often `needle` occurs in both logs.
fn both(p: &Pair, needle: &str) -> usize {
    count(&p.a, needle) + count(&p.b, needle)
}

/// Polls until both nodes present the same trusted certificate for `name`,
/// other than `not`; returns its DER.
async fn wait_same(p: &Pair, ports: (u16, u16), name: &str, root: &str, not: &[u8]) -> Vec<u8> {
    let deadline = tokio::time::Instant::now() + ISSUE_WITHIN;
    loop {
        let a = trusted(ports.0, name, root).await.map(|t| leaf(&t));
        let b = trusted(ports.1, name, root).await.map(|t| leaf(&t));
        if let (Ok(a), Ok(b)) = (&a, &b) {
            if a == b && a != not {
                return a.clone();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "both nodes do not serve one new certificate for {name} (a: {}, b: {}); {}",
            a.is_ok(),
            b.is_ok(),
            logs(p)
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn one_order_on_one_store(shared: Shared, test: &str) {
    if !Pebble::available(test) {
        return;
    }
    // 24 s certificates: renewed once a third of their life has passed.
    let (pebble, [a_plain, a_tls, b_plain, b_tls]) = pebble_reaching_b(Some(24)).await;
    let acme = pebble.acme_toml("http-01", &["d.acme.test"], "renew_before = \"30d\"");
    let conf = |name, plain, tls| NodeConf {
        name,
        plain,
        tls,
        acme: acme.clone(),
    };
    let Some(p) = pair(
        shared,
        test,
        conf("node-a", a_plain, a_tls),
        conf("node-b", b_plain, b_tls),
    )
    .await
    else {
        return;
    };
    let root = pebble.issuing_root().await;
    let issued = "ACME certificate issued and in service";
    let adopted = "ACME certificate from the store in service";
    let first = wait_same(&p, (a_tls, b_tls), "d.acme.test", &root, &[]).await;
    assert_eq!(both(&p, issued), 1, "one certificate ordered: {}", logs(&p));
    assert_eq!(
        both(&p, adopted),
        1,
        "the other node took it from the store: {}",
        logs(&p)
    );
    assert_eq!(
        both(&p, "ACME account created"),
        1,
        "one account: {}",
        logs(&p)
    );

    // The renewal, about 8 s later: ordered once more, served by both.
    let renewed = wait_same(&p, (a_tls, b_tls), "d.acme.test", &root, &first).await;
    assert_ne!(renewed, first);
    assert_eq!(
        both(&p, issued),
        2,
        "the renewal ordered once: {}",
        logs(&p)
    );
    assert_eq!(both(&p, adopted), 2, "{}", logs(&p));
    assert_eq!(both(&p, "ACME account created"), 1, "{}", logs(&p));
}

#[tokio::test]
async fn test_cluster_acme_one_order_one_certificate_on_both_sqlite() {
    one_order_on_one_store(
        Shared::Sqlite,
        "test_cluster_acme_one_order_one_certificate_on_both_sqlite",
    )
    .await;
}

#[tokio::test]
async fn test_cluster_acme_one_order_one_certificate_on_both_postgres() {
    one_order_on_one_store(
        Shared::Postgres,
        "test_cluster_acme_one_order_one_certificate_on_both_postgres",
    )
    .await;
}

#[tokio::test]
async fn test_cluster_acme_tls_alpn01_order_of_a_answered_by_b() {
    let test = "test_cluster_acme_tls_alpn01_order_of_a_answered_by_b";
    if !Pebble::available(test) {
        return;
    }
    let (pebble, [a_plain, a_tls, b_plain, b_tls]) = pebble_reaching_b(None).await;
    // B has no [acme]: it orders nothing and only answers A's challenge.
    let a = NodeConf {
        name: "node-a",
        plain: a_plain,
        tls: a_tls,
        acme: pebble.acme_toml("tls-alpn-01", &["e.acme.test"], ""),
    };
    let b = NodeConf {
        name: "node-b",
        plain: b_plain,
        tls: b_tls,
        acme: String::new(),
    };
    let Some(p) = pair(Shared::Sqlite, test, a, b).await else {
        return;
    };
    let root = pebble.issuing_root().await;
    wait_trusted(&p.a, a_tls, "e.acme.test", &root, ISSUE_WITHIN).await;
    assert_eq!(
        count(&p.b, "ACME: ordering a certificate"),
        0,
        "{}",
        logs(&p)
    );
    assert!(
        count(&p.b, "serving another node's TLS-ALPN-01 challenge") >= 1,
        "{}",
        logs(&p)
    );
    assert_eq!(
        count(&p.a, "ACME: ordering a certificate"),
        1,
        "{}",
        logs(&p)
    );
}
