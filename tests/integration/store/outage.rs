//! A gateway on PostgreSQL losing it: signed-in users keep working (the
//! request path never touches the store), a sign-in gets the clear 503
//! page (not the wrong-password answer), `{portal}/health` says 503; when
//! PostgreSQL returns, the pool reconnects and sign-ins work again.

use crate::support::accounts::*;
use crate::support::binary::client;
use crate::support::postgres::Postgres;
use crate::support::upstream::EchoServer;

async fn health(gw: &crate::support::binary::Gateway) -> (u16, String) {
    let resp = client()
        .get(gw.url("/gatehouse/health"))
        .send()
        .await
        .expect("GET health");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

async fn wait_health(gw: &crate::support::binary::Gateway, want: u16) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, body) = health(gw).await;
        if status == want {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "health still {status} ({body}), not {want}; log:\n{}",
            gw.log()
        );
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test]
async fn test_postgres_outage_keeps_sessions_refuses_sign_in_clearly_then_recovers() {
    let Some(mut pg) = Postgres::start("test_postgres_outage") else {
        return;
    };
    let url = pg.new_database();
    let echo = EchoServer::start();
    let gw = builder(&protected("app", "/app/", &echo.url(), "\"user\""))
        .store_url(&url)
        .start();
    add_user(&gw, "alice", "user", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;
    assert_eq!(get_status(&gw, "/app/x", Some(&cookie), false).await, 200);

    pg.stop();
    for _ in 0..5 {
        assert_eq!(get_status(&gw, "/app/x", Some(&cookie), false).await, 200);
    }
    assert_eq!(echo.last().header("x-webauth-user"), Some("alice"));
    let resp = login_form(&gw, "alice", "pw-alice", "/").await;
    assert_eq!(resp.status().as_u16(), 503);
    assert!(session_cookie(&resp).is_none());
    let page = resp.text().await.unwrap();
    assert!(page.contains("the user store is unreachable"), "{page}");
    assert!(!page.contains("Wrong username or password"), "{page}");
    let api = client()
        .post(gw.url("/gatehouse/api/login"))
        .header("Origin", gw.url(""))
        .json(&serde_json::json!({"username": "alice", "password": "pw-alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 503);
    let body = wait_health(&gw, 503).await;
    assert!(body.contains("unreachable"), "{body}");
    assert!(!body.contains("secret-pw"), "{body}");
    // Still serving the signed-in user during the outage.
    assert_eq!(get_status(&gw, "/app/y", Some(&cookie), false).await, 200);

    pg.resume();
    wait_health(&gw, 200).await;
    let again = login(&gw, "alice", "pw-alice").await;
    assert_eq!(get_status(&gw, "/app/z", Some(&again), false).await, 200);
    assert_eq!(get_status(&gw, "/app/z", Some(&cookie), false).await, 200);
    // Failures during the outage were not counted as wrong passwords.
    let wrong = login_form(&gw, "alice", "nope", "/").await;
    assert_eq!(wrong.status().as_u16(), 401);
    let log = gw.log();
    assert!(
        !log.contains("secret-pw"),
        "the URL's password reached the log:\n{log}"
    );
    assert!(
        log.contains("gatehouse:***@127.0.0.1"),
        "the outage is logged, URL masked:\n{log}"
    );
}
