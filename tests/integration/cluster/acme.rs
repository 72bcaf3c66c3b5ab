//! An ACME HTTP-01 order placed by node A is answered by node B: the CA
//! (Pebble) reaches only B's plain port, and A still gets its certificate.

use crate::acme::common::{wait_trusted, ISSUE_WITHIN, TIMING};
use crate::support::binary::{Gateway, GatewayBuilder};
use crate::support::pebble::{Pebble, PebbleOptions};
use crate::support::ports::free_port;
use crate::support::redis::Redis;

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
    let (a_plain, a_tls, b_plain, b_tls) = (free_port(), free_port(), free_port(), free_port());
    let pebble = Pebble::start(PebbleOptions {
        http_port: b_plain,
        tls_port: b_tls,
        validity_secs: None,
    })
    .await;
    let (b, _b_certs) = node(&pebble, &redis, b_plain, b_tls, "node-b");
    let (a, _a_certs) = node(&pebble, &redis, a_plain, a_tls, "node-a");
    let root = pebble.issuing_root().await;
    wait_trusted(&a, a_tls, "c.acme.test", &root, ISSUE_WITHIN).await;
    wait_trusted(&b, b_tls, "c.acme.test", &root, ISSUE_WITHIN).await;
}
