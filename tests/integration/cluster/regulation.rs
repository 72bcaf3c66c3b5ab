//! Wrong passwords split across the nodes ban exactly at the count one
//! node bans at ([login] max_failures = 3: the 4th failure bans), on
//! both shared stores.

use super::common::*;

#[tokio::test]
async fn test_cluster_failures_split_across_nodes_ban_at_the_configured_count_sqlite() {
    failures_split_across_nodes_ban_at_the_configured_count(
        Shared::Sqlite,
        "test_cluster_failures_split_across_nodes_ban_at_the_configured_count_sqlite",
    )
    .await;
}

#[tokio::test]
async fn test_cluster_failures_split_across_nodes_ban_at_the_configured_count_postgres() {
    failures_split_across_nodes_ban_at_the_configured_count(
        Shared::Postgres,
        "test_cluster_failures_split_across_nodes_ban_at_the_configured_count_postgres",
    )
    .await;
}

async fn failures_split_across_nodes_ban_at_the_configured_count(shared: Shared, test: &str) {
    let Some(p) = pair_on(shared, test, "").await else {
        return;
    };
    add_user(&p.a, "carol", "user", "pw-carol");
    add_user(&p.a, "dave", "user", "pw-dave");
    let ip = "10.7.0.1";
    // max_failures wrong passwords, alternating: not banned yet (the right
    // password works, and starts the count over).
    let nodes = [&p.a, &p.b];
    for i in 0..MAX_FAILURES {
        let gw = nodes[i % 2];
        assert!(sign_in_from(gw, ip, "carol", &format!("bad-{i}"))
            .await
            .is_none());
    }
    assert!(
        sign_in_from(&p.b, ip, "carol", "pw-carol").await.is_some(),
        "{MAX_FAILURES} failures split across A and B do not ban"
    );
    // One more than max_failures, alternating: banned on both, the user
    // from any address and the address for any user.
    for i in 0..=MAX_FAILURES {
        let gw = nodes[i % 2];
        assert!(sign_in_from(gw, ip, "carol", &format!("bad-{i}"))
            .await
            .is_none());
    }
    for gw in nodes {
        assert!(
            sign_in_from(gw, ip, "carol", "pw-carol").await.is_none(),
            "carol banned on {}",
            gw.port
        );
        assert!(
            sign_in_from(gw, "10.7.0.2", "carol", "pw-carol")
                .await
                .is_none(),
            "the user is banned from another address"
        );
        assert!(
            sign_in_from(gw, ip, "dave", "pw-dave").await.is_none(),
            "the address is banned for another user"
        );
    }
    assert!(sign_in_from(&p.b, "10.7.0.3", "dave", "pw-dave")
        .await
        .is_some());
}
