//! Redis down: both nodes keep serving signed-in users and sign-ins work
//! (local regulation); Redis back on the same port: both subscribe again
//! and a logout on A reaches B within a second. On both shared stores.

use super::common::*;

#[tokio::test]
async fn test_cluster_redis_outage_keeps_serving_and_recovers_sqlite() {
    redis_outage_keeps_serving_and_recovers(
        Shared::Sqlite,
        "test_cluster_redis_outage_keeps_serving_and_recovers_sqlite",
    )
    .await;
}

#[tokio::test]
async fn test_cluster_redis_outage_keeps_serving_and_recovers_postgres() {
    redis_outage_keeps_serving_and_recovers(
        Shared::Postgres,
        "test_cluster_redis_outage_keeps_serving_and_recovers_postgres",
    )
    .await;
}

async fn redis_outage_keeps_serving_and_recovers(shared: Shared, test: &str) {
    let Some(mut p) = pair_on(shared, test, "").await else {
        return;
    };
    wait_subscribers(&p.redis, 2).await;
    add_user(&p.a, "erin", "user", "pw-erin");
    let first = login(&p.a, "erin", "pw-erin").await;
    assert_eq!(app_status(&p.b, &first).await, 200);

    p.redis.kill();
    for gw in [&p.a, &p.b] {
        gw.wait_log("redis unreachable", WITHIN).await;
        assert_eq!(app_status(gw, &first).await, 200, "cached session served");
    }
    // Sign-in still works (local regulation), and B's new session is
    // found on A through the shared store.
    let second = sign_in_from(&p.b, "10.8.0.1", "erin", "pw-erin")
        .await
        .expect("sign-in while Redis is down");
    assert_eq!(app_status(&p.b, &second).await, 200);
    assert_eq!(app_status(&p.a, &second).await, 200);
    // Each outage is logged once, not per request.
    for gw in [&p.a, &p.b] {
        assert_eq!(
            gw.log().matches("redis unreachable").count(),
            1,
            "{}",
            gw.log()
        );
    }

    p.redis.restart();
    wait_subscribers(&p.redis, 2).await;
    for gw in [&p.a, &p.b] {
        gw.wait_log("redis reachable again", WITHIN).await;
    }
    logout(&p.a, &first).await;
    wait_app(&p.b, &first, 401, ONE_SECOND).await;
    assert_eq!(app_status(&p.b, &second).await, 200);
}
