//! Machine clients (docs/access.md): per-user API tokens from the account
//! page, as `Authorization: Bearer` or the Basic password, on routes with
//! `machine_clients = true`; the upstream gets identity and no
//! `Authorization`; browsers still get the sign-in redirect.

use std::time::Duration;

use base64::Engine as _;

use crate::support::binary::{client, Gateway};
use crate::support::upstream::EchoServer;

use super::common::*;

fn routes(echo: &EchoServer) -> String {
    let mut t = protected("sonarr", "/sonarr/", &echo.url(), "\"user\"");
    t += "machine_clients = true\n";
    t += &protected("radarr", "/radarr/", &echo.url(), "\"user\"");
    t += "machine_clients = true\npass_authorization = true\n";
    t += &protected("plain", "/plain/", &echo.url(), "\"user\"");
    t
}

/// Creates a token on the account page; returns it.
async fn create(gw: &Gateway, cookie: &str, name: &str, routes: &str, days: &str) -> String {
    let resp = post_form(
        gw,
        "/gatehouse/account/security/tokens",
        cookie,
        &[("name", name), ("routes", routes), ("days", days)],
    )
    .await;
    assert_eq!(resp.status(), 201);
    let html = resp.text().await.unwrap();
    between(&html, "id=\"api-token\" readonly value=\"", "\"")
        .unwrap()
        .to_string()
}

fn basic(user: &str, token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
    )
}

async fn with_auth(gw: &Gateway, path: &str, auth: &str) -> reqwest::Response {
    client()
        .get(gw.url(path))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn test_machine_clients_bearer_and_basic_reach_upstream_with_identity() {
    let echo = EchoServer::start();
    let mut clock = Clock::new();
    let toml = format!("[login]\nmax_failures = 50\n\n{}", routes(&echo));
    let gw = clock.attach(builder(&toml)).start();
    add_user(&gw, "robot", "user", "pw-robot");
    add_user(&gw, "other", "user", "pw-other");
    let cookie = login(&gw, "robot", "pw-robot").await;
    let token = create(&gw, &cookie, "nzb360", "", "").await;
    assert!(token.starts_with("gh_") && token.len() == 46, "{token}");

    let bearer = with_auth(&gw, "/sonarr/api/v3/queue", &format!("Bearer {token}")).await;
    assert_eq!(bearer.status(), 200);
    let seen = echo.last();
    assert_eq!(seen.header("x-webauth-user"), Some("robot"));
    assert_eq!(
        seen.header("authorization"),
        None,
        "the credential stays at the gateway"
    );
    let b = with_auth(&gw, "/sonarr/x", &basic("robot", &token)).await;
    assert_eq!(b.status(), 200);
    assert_eq!(echo.last().header("x-webauth-user"), Some("robot"));
    assert_eq!(echo.last().header("authorization"), None);
    // pass_authorization keeps it for apps that check their own key there.
    assert_eq!(
        with_auth(&gw, "/radarr/x", &format!("Bearer {token}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        echo.last().header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    // Another user's name with this token, and a route without machine
    // clients, are refused.
    assert_eq!(
        with_auth(&gw, "/sonarr/x", &basic("other", &token))
            .await
            .status(),
        401
    );
    assert_eq!(
        with_auth(&gw, "/plain/x", &format!("Bearer {token}"))
            .await
            .status(),
        401
    );

    // Without credentials: curl gets 401 with the challenges, a browser the
    // sign-in redirect.
    let bare = client().get(gw.url("/sonarr/api")).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let challenges: Vec<String> = bare
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        challenges,
        vec![
            "Basic realm=\"sonarr\", charset=\"UTF-8\"",
            "Bearer realm=\"sonarr\""
        ]
    );
    assert_eq!(get_status(&gw, "/sonarr/", None, true).await, 302);
    let nav_with_auth = client()
        .get(gw.url("/sonarr/"))
        .header("Accept", "text/html")
        .header("Authorization", "Bearer gh_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(
        nav_with_auth.status(),
        401,
        "an Authorization header means a machine client"
    );

    // A token for another route.
    let radarr_only = create(&gw, &cookie, "radarr only", "radarr", "").await;
    assert_eq!(
        with_auth(&gw, "/sonarr/x", &format!("Bearer {radarr_only}"))
            .await
            .status(),
        401
    );
    assert_eq!(
        with_auth(&gw, "/radarr/x", &format!("Bearer {radarr_only}"))
            .await
            .status(),
        200
    );

    // Revoked: refused at once.
    let page = get_with(&gw, "/gatehouse/account/security", &cookie)
        .await
        .text()
        .await
        .unwrap();
    let id = between(&page, "id=\"revoke-", "\"").unwrap().to_string();
    let revoked = post_form(
        &gw,
        "/gatehouse/account/security/tokens/revoke",
        &cookie,
        &[("id", &id)],
    )
    .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        with_auth(&gw, "/sonarr/x", &format!("Bearer {token}"))
            .await
            .status(),
        401
    );

    // Expired: one day later.
    let daily = create(&gw, &cookie, "daily", "", "1").await;
    assert_eq!(
        with_auth(&gw, "/sonarr/x", &format!("Bearer {daily}"))
            .await
            .status(),
        200
    );
    advance(&mut clock, &gw, Duration::from_secs(86_401)).await;
    assert_eq!(
        with_auth(&gw, "/sonarr/x", &format!("Bearer {daily}"))
            .await
            .status(),
        401
    );

    // A locked user's tokens stop working (the CLI's change is picked up).
    assert_eq!(
        with_auth(&gw, "/radarr/x", &format!("Bearer {radarr_only}"))
            .await
            .status(),
        200
    );
    cli_ok(&gw, &["user", "lock", "robot"], "");
    let deadline = tokio::time::Instant::now() + WITHIN;
    while with_auth(&gw, "/radarr/x", &format!("Bearer {radarr_only}"))
        .await
        .status()
        != 401
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a locked user's token still works"
        );
        tokio::time::sleep(POLL).await;
    }

    // Only hashes are stored, and no token reaches the log.
    let stored: Vec<Vec<u8>> = {
        let conn = db(&gw);
        let mut stmt = conn.prepare("SELECT token_hash FROM api_tokens").unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert!(stored.iter().all(|h| h.len() == 32));
    let log = gw.log();
    for t in [&token, &radarr_only, &daily] {
        assert!(!log.contains(t.as_str()), "token in the log");
    }
}

#[tokio::test]
async fn test_machine_clients_wrong_tokens_are_regulated() {
    let echo = EchoServer::start();
    let gw = builder(&format!("[login]\nmax_failures = 2\n\n{}", routes(&echo))).start();
    add_user(&gw, "robot", "user", "pw-robot");
    let cookie = login(&gw, "robot", "pw-robot").await;
    let token = create(&gw, &cookie, "app", "", "").await;
    let fake = format!("gh_{}", "A".repeat(43));
    for _ in 0..3 {
        assert_eq!(
            with_auth(&gw, "/sonarr/x", &format!("Bearer {fake}"))
                .await
                .status(),
            401
        );
    }
    gw.wait_log("login banned after repeated failures", WITHIN)
        .await;
    assert_eq!(
        with_auth(&gw, "/sonarr/x", &format!("Bearer {token}"))
            .await
            .status(),
        401,
        "the banned address is refused even with a valid token"
    );
    assert!(!gw.log().contains(&fake));
}
