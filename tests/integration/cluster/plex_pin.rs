//! A "Sign in with Plex" PIN started on A is polled to completion on B
//! (against the plex.tv fake).

use serde_json::{json, Value};

use crate::sso_gateway::common::{config, cookie, set_cookies, Fakes, Setup, ARGON2};
use crate::support::binary::{client, Gateway, GatewayBuilder};
use crate::support::fakes::plex_tv::BOB;
use crate::support::redis::Redis;

fn node(f: &Fakes, redis: &Redis, data: &std::path::Path, name: &str) -> Gateway {
    let setup = Setup {
        plex_sso: false,
        ombi: false,
        tautulli: false,
        ..Setup::default()
    };
    let rest = format!(
        "{}\n[cluster]\nredis = {:?}\nnode_name = {name:?}\n",
        config(f, &setup),
        redis.url()
    );
    GatewayBuilder::new(&rest)
        .env("GATEHOUSE_ARGON2", ARGON2)
        .data_dir(data)
        .start()
}

async fn poll(gw: &Gateway, id: u64, pin: &str) -> (u16, Value, Vec<String>) {
    let resp = client()
        .get(gw.url(&format!("/gatehouse/plex/pin/{id}")))
        .header("Cookie", pin)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let cookies = set_cookies(&resp).into_iter().map(|c| c.name).collect();
    (status, resp.json().await.unwrap(), cookies)
}

#[tokio::test]
async fn test_cluster_plex_pin_started_on_a_polled_on_b() {
    let Some(redis) = Redis::start("test_cluster_plex_pin_started_on_a_polled_on_b") else {
        return;
    };
    let f = Fakes::start();
    let data = tempfile::tempdir().unwrap();
    let a = node(&f, &redis, data.path(), "node-a");
    let b = node(&f, &redis, data.path(), "node-b");
    super::common::wait_subscribers(&redis, 2).await;
    let resp = client()
        .post(a.url("/gatehouse/plex/pin"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let pin = format!(
        "gatehouse_pin={}",
        cookie(&set_cookies(&resp), "gatehouse_pin").value
    );
    let v: Value = resp.json().await.unwrap();
    let id = v["id"].as_u64().unwrap();
    assert_eq!(poll(&b, id, &pin).await.1, json!({"status": "pending"}));
    // Another browser (no nonce, a wrong one) cannot poll it on B.
    assert_eq!(poll(&b, id, "gatehouse_pin=wrong").await.0, 404);
    assert!(f.plex.approve_pin(id, &BOB));
    let (status, v, cookies) = poll(&b, id, &pin).await;
    assert_eq!((status, v), (200, json!({"status": "done"})));
    assert!(cookies.iter().any(|c| c == "gatehouse_session"));
    // Spent on both nodes.
    assert_eq!(poll(&a, id, &pin).await.0, 404);
    assert_eq!(poll(&b, id, &pin).await.0, 404);
}
