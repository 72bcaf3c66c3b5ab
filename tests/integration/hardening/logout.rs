//! Signing out cannot be forced from another site (a GET only asks, the
//! POST is same-origin checked), and a password change ends the user's
//! other sessions — also when the CLI makes it while the gateway runs.

use crate::support::accounts::{
    add_user, builder, cli_ok, get_status, login, protected, wait_status,
};
use crate::support::binary::client;
use crate::support::upstream::EchoServer;

#[tokio::test]
async fn test_logout_get_asks_post_signs_out_cross_site_refused() {
    let echo = EchoServer::start();
    let gw = builder(&protected("app", "/app/", &echo.url(), "\"user\"")).start();
    add_user(&gw, "alice", "user", "alice-pw");
    let alice = login(&gw, "alice", "alice-pw").await;

    // A link or <img> from any site: a confirmation page, nothing ended.
    let page = client()
        .get(gw.url("/gatehouse/logout"))
        .header("Cookie", &alice)
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("set-cookie").is_none());
    let html = page.text().await.unwrap();
    assert!(
        html.contains("method=\"post\"") && html.contains("/gatehouse/logout"),
        "{html}"
    );
    assert_eq!(get_status(&gw, "/app/x", Some(&alice), false).await, 200);

    // A form posted from another site: refused.
    for (name, value) in [
        ("Sec-Fetch-Site", "cross-site"),
        ("Origin", "https://evil.example"),
    ] {
        let resp = client()
            .post(gw.url("/gatehouse/logout"))
            .header("Cookie", &alice)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{name}: {value}");
    }
    assert_eq!(get_status(&gw, "/app/x", Some(&alice), false).await, 200);

    // The page's own button (same origin): signed out.
    let resp = client()
        .post(gw.url("/gatehouse/logout"))
        .header("Cookie", &alice)
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(get_status(&gw, "/app/x", Some(&alice), false).await, 401);
}

#[tokio::test]
async fn test_cli_password_change_ends_running_sessions() {
    let echo = EchoServer::start();
    let gw = builder(&protected("app", "/app/", &echo.url(), "\"user\"")).start();
    add_user(&gw, "alice", "user", "alice-pw");
    add_user(&gw, "bob", "user", "bob-pw");
    let phone = login(&gw, "alice", "alice-pw").await;
    let laptop = login(&gw, "alice", "alice-pw").await;
    let bob = login(&gw, "bob", "bob-pw").await;
    assert_eq!(get_status(&gw, "/app/x", Some(&phone), false).await, 200);

    cli_ok(
        &gw,
        &["user", "passwd", "alice", "--password-stdin"],
        "new-alice-pw\n",
    );
    wait_status(&gw, "/app/x", Some(&phone), 401).await;
    wait_status(&gw, "/app/x", Some(&laptop), 401).await;
    assert_eq!(
        get_status(&gw, "/app/x", Some(&bob), false).await,
        200,
        "other users keep theirs"
    );
    // Still 401 after a restart: the sessions are gone from the store too.
    let fresh = login(&gw, "alice", "new-alice-pw").await;
    assert_eq!(get_status(&gw, "/app/x", Some(&fresh), false).await, 200);
}
