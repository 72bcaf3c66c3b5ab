//! A session of one node is a session of the other; its end reaches the
//! other within a second, whoever ends it (the portal, the CLI). Each case
//! runs on both shared stores: one SQLite `data_dir`, one PostgreSQL.

use super::common::*;

#[tokio::test]
async fn test_cluster_sign_in_on_a_use_on_b_logout_on_b_refused_on_a_sqlite() {
    sign_in_on_a_use_on_b_logout_on_b_refused_on_a(
        Shared::Sqlite,
        "test_cluster_sign_in_on_a_use_on_b_logout_on_b_refused_on_a_sqlite",
    )
    .await;
}

#[tokio::test]
async fn test_cluster_sign_in_on_a_use_on_b_logout_on_b_refused_on_a_postgres() {
    sign_in_on_a_use_on_b_logout_on_b_refused_on_a(
        Shared::Postgres,
        "test_cluster_sign_in_on_a_use_on_b_logout_on_b_refused_on_a_postgres",
    )
    .await;
}

async fn sign_in_on_a_use_on_b_logout_on_b_refused_on_a(shared: Shared, test: &str) {
    let Some(p) = pair_on(shared, test, "").await else {
        return;
    };
    add_user(&p.a, "alice", "user", "pw-alice");
    let cookie = login(&p.a, "alice", "pw-alice").await;
    assert_eq!(app_status(&p.b, &cookie).await, 200, "A's session on B");
    let seen = p.echo.last();
    assert_eq!(seen.header_all("X-WEBAUTH-USER"), ["alice"]);
    assert_eq!(seen.header_all("X-WEBAUTH-GROUP"), ["4"]);
    assert_eq!(app_status(&p.a, &cookie).await, 200);
    // A garbage cookie of the right shape is refused on both (and looked
    // up once).
    let forged = format!("{COOKIE}={}", "A".repeat(43));
    assert_eq!(app_status(&p.b, &forged).await, 401);
    assert_eq!(app_status(&p.b, &forged).await, 401);
    logout(&p.b, &cookie).await;
    assert_eq!(app_status(&p.b, &cookie).await, 401);
    wait_app(&p.a, &cookie, 401, ONE_SECOND).await;
}

#[tokio::test]
async fn test_cluster_cli_lock_refused_on_both_within_a_second_sqlite() {
    cli_lock_refused_on_both_within_a_second(
        Shared::Sqlite,
        "test_cluster_cli_lock_refused_on_both_within_a_second_sqlite",
    )
    .await;
}

#[tokio::test]
async fn test_cluster_cli_lock_refused_on_both_within_a_second_postgres() {
    cli_lock_refused_on_both_within_a_second(
        Shared::Postgres,
        "test_cluster_cli_lock_refused_on_both_within_a_second_postgres",
    )
    .await;
}

async fn cli_lock_refused_on_both_within_a_second(shared: Shared, test: &str) {
    let Some(p) = pair_on(shared, test, "").await else {
        return;
    };
    add_user(&p.a, "bob", "user", "pw-bob");
    let on_a = login(&p.a, "bob", "pw-bob").await;
    let on_b = login(&p.b, "bob", "pw-bob").await;
    for gw in [&p.a, &p.b] {
        assert_eq!(app_status(gw, &on_a).await, 200);
        assert_eq!(app_status(gw, &on_b).await, 200);
    }
    cli_ok(&p.a, &["user", "lock", "bob"], "");
    for gw in [&p.a, &p.b] {
        wait_app(gw, &on_a, 401, ONE_SECOND).await;
        wait_app(gw, &on_b, 401, ONE_SECOND).await;
    }
    // A group change is published too: after unlocking, bob's sessions
    // are back, and the group moves on both.
    cli_ok(&p.a, &["user", "unlock", "bob"], "");
    cli_ok(&p.a, &["user", "group", "bob", "power-user"], "");
    for gw in [&p.a, &p.b] {
        wait_app(gw, &on_b, 200, ONE_SECOND).await;
        let deadline = tokio::time::Instant::now() + ONE_SECOND;
        loop {
            assert_eq!(app_status(gw, &on_b).await, 200);
            if p.echo.last().header_all("X-WEBAUTH-GROUP") == ["3"] {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "group not moved");
            tokio::time::sleep(POLL).await;
        }
    }
    if shared == Shared::Postgres {
        // The CLI on a third machine, its configuration naming only the
        // store (no Redis to publish on): the nodes see the store's change
        // counter move.
        let url = p.a.store_url();
        assert!(url.starts_with("postgres://"), "{url}");
        assert_eq!(url, p.b.store_url(), "one store");
        let admin = tempfile::tempdir().expect("temp dir");
        let config = admin.path().join("gatehouse.toml");
        std::fs::write(&config, format!("[store]\nurl = {url:?}\n")).expect("write config");
        let out = cli_at(&config, &["user", "lock", "bob"], "");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for gw in [&p.a, &p.b] {
            wait_app(gw, &on_a, 401, ONE_SECOND).await;
            wait_app(gw, &on_b, 401, ONE_SECOND).await;
        }
    }
}

#[tokio::test]
async fn test_cluster_cli_del_ends_sessions_on_both_within_a_second_sqlite() {
    cli_del_ends_sessions_on_both_within_a_second(
        Shared::Sqlite,
        "test_cluster_cli_del_ends_sessions_on_both_within_a_second_sqlite",
    )
    .await;
}

#[tokio::test]
async fn test_cluster_cli_del_ends_sessions_on_both_within_a_second_postgres() {
    cli_del_ends_sessions_on_both_within_a_second(
        Shared::Postgres,
        "test_cluster_cli_del_ends_sessions_on_both_within_a_second_postgres",
    )
    .await;
}

/// `gatehouse user del` on B ends the user's sessions of both nodes, and a
/// user added again under the same name (maybe the same id) does not get
/// them back.
async fn cli_del_ends_sessions_on_both_within_a_second(shared: Shared, test: &str) {
    let Some(p) = pair_on(shared, test, "").await else {
        return;
    };
    add_user(&p.a, "fred", "user", "pw-fred");
    let on_a = login(&p.a, "fred", "pw-fred").await;
    let on_b = login(&p.b, "fred", "pw-fred").await;
    for gw in [&p.a, &p.b] {
        assert_eq!(app_status(gw, &on_a).await, 200);
        assert_eq!(app_status(gw, &on_b).await, 200);
    }
    cli_ok(&p.b, &["user", "del", "fred"], "");
    for gw in [&p.a, &p.b] {
        wait_app(gw, &on_a, 401, ONE_SECOND).await;
        wait_app(gw, &on_b, 401, ONE_SECOND).await;
    }
    add_user(&p.b, "fred", "user", "pw-fred-2");
    let fresh = login(&p.a, "fred", "pw-fred-2").await;
    assert_eq!(app_status(&p.b, &fresh).await, 200, "the new fred on B");
    assert_eq!(p.echo.last().header_all("X-WEBAUTH-USER"), ["fred"]);
    for gw in [&p.a, &p.b] {
        assert_eq!(app_status(gw, &on_a).await, 401, "old session stays ended");
        assert_eq!(app_status(gw, &on_b).await, 401, "old session stays ended");
    }
}
