//! The Organizr-compatible auth API (README "Organizr-compatible auth API") through the real gateway:
//! docs/docs/security.md E27–E28 (client IP for white/blacklists) and G38–G39
//! (only 200/401, identity never on the 401 path).

use crate::support::binary::{client, Gateway};

use super::common::{add_user, builder, cli_ok, login, wait_status};

async fn api(
    gw: &Gateway,
    path: &str,
    cookie: Option<&str>,
    xff: Option<&str>,
) -> reqwest::Response {
    let mut req = client().get(gw.url(path));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if let Some(ip) = xff {
        req = req
            .header("X-Forwarded-For", ip)
            .header("X-Real-IP", ip)
            .header("Client-IP", ip)
            .header("Forwarded", format!("for={ip}"));
    }
    req.send().await.expect("auth API request")
}

fn identity_headers(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| k.starts_with("x-organizr") || k.starts_with("x-webauth") || k == "remote-user")
        .collect()
}

#[tokio::test]
async fn test_organizr_api_identity_and_group_rule() {
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;
    for path in [
        "/api/v2/auth/4",
        "/api/v2/auth-4",
        "/api/v2/auth?group=4",
        "/api/v2/auth/998",
        "/api/v2/auth?x=1&group=999",
    ] {
        let resp = api(&gw, path, Some(&cookie), None).await;
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers();
        assert_eq!(h["x-organizr-user"], "alice");
        assert_eq!(h["x-organizr-email"], "alice@example.com");
        assert_eq!(h["x-organizr-group"], "4");
    }
    for path in [
        "/api/v2/auth/3",
        "/api/v2/auth-0",
        "/api/v2/auth?group=1",
        "/api/v2/auth",
    ] {
        let resp = api(&gw, path, Some(&cookie), None).await;
        assert_eq!(resp.status(), 401, "{path}");
        assert!(
            identity_headers(&resp).is_empty(),
            "{path}: {:?}",
            identity_headers(&resp)
        );
    }
    // A locked user is refused everywhere but 999.
    cli_ok(&gw, &["user", "lock", "alice"], "");
    wait_status(&gw, "/api/v2/auth/4", Some(&cookie), 401).await;
}

#[tokio::test]
async fn test_e27_untrusted_forwarded_for_ignored_by_ip_lists() {
    let gw = builder("").start();
    // The real peer is 127.0.0.1; a forged client IP must not be whitelisted…
    let resp = api(
        &gw,
        "/api/v2/auth/0/whitelist/10.0.0.1",
        None,
        Some("10.0.0.1"),
    )
    .await;
    assert_eq!(
        resp.status(),
        401,
        "X-Forwarded-For from an untrusted peer was believed"
    );
    let resp = api(
        &gw,
        "/api/v2/auth?group=0&whitelist=10.0.0.0/8",
        None,
        Some("10.1.2.3"),
    )
    .await;
    assert_eq!(resp.status(), 401);
    // …nor escape a blacklist.
    let resp = api(
        &gw,
        "/api/v2/auth/999/blacklist/127.0.0.1",
        None,
        Some("10.0.0.1"),
    )
    .await;
    assert_eq!(resp.status(), 401, "forged client IP escaped the blacklist");
    // The real address is what the lists see.
    let resp = api(
        &gw,
        "/api/v2/auth/0/whitelist/127.0.0.0/8",
        None,
        Some("10.0.0.1"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert!(
        identity_headers(&resp).is_empty(),
        "whitelisted answers carry no identity"
    );
}

#[tokio::test]
async fn test_e28_trusted_proxy_forwarded_for_believed() {
    let gw = builder("")
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    let resp = api(
        &gw,
        "/api/v2/auth/0/whitelist/10.0.0.1",
        None,
        Some("10.0.0.1"),
    )
    .await;
    assert_eq!(
        resp.status(),
        200,
        "trusted proxy's X-Forwarded-For ignored"
    );
    let resp = api(
        &gw,
        "/api/v2/auth/0/whitelist/10.0.0.1",
        None,
        Some("10.0.0.2"),
    )
    .await;
    assert_eq!(resp.status(), 401);
    let resp = api(
        &gw,
        "/api/v2/auth/999/blacklist/10.0.0.0/24",
        None,
        Some("10.0.0.7"),
    )
    .await;
    assert_eq!(resp.status(), 401);
    let resp = api(
        &gw,
        "/api/v2/auth/999/blacklist/10.0.0.0/24",
        None,
        Some("10.0.1.7"),
    )
    .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn test_e29_trusted_chain_takes_rightmost_untrusted_entry() {
    let gw = builder("")
        .server_extra("trusted_proxies = [\"127.0.0.1/32\", \"192.168.0.0/16\"]")
        .start();
    let chain = |path: &'static str| {
        let gw = &gw;
        async move {
            client()
                .get(gw.url(path))
                .header("X-Forwarded-For", "6.6.6.6, 10.0.0.1, 192.168.1.1")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(chain("/api/v2/auth/0/whitelist/10.0.0.1").await, 200);
    assert_eq!(
        chain("/api/v2/auth/0/whitelist/6.6.6.6").await,
        401,
        "left-most entry believed"
    );
    assert_eq!(
        chain("/api/v2/auth/0/whitelist/192.168.1.1").await,
        401,
        "trusted hop taken as client"
    );
}

#[tokio::test]
async fn test_g38_auth_api_answers_only_200_or_401() {
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    let good = login(&gw, "alice", "pw-alice").await;
    let forged = format!("gatehouse_session={}", "x".repeat(43));
    let paths = [
        "/api/v2/auth/4",
        "/api/v2/auth-4",
        "/api/v2/auth-",
        "/api/v2/auth",
        "/api/v2/auth?group=",
        "/api/v2/auth?group=abc",
        "/api/v2/auth?group=99999999999",
        "/api/v2/auth/Sonarr",
        "/api/v2/auth/4/bogus/1.2.3.4",
        "/api/v2/auth/4/whitelist/not-an-ip",
        "/api/v2/auth/4/whitelist/1.2.3.4,,",
        "/api/v2/auth/-1",
        "/api/v2/organizr-auth/4",
        "/api/v2/auth/4?group=%ff",
    ];
    let methods = [
        reqwest::Method::GET,
        reqwest::Method::HEAD,
        reqwest::Method::POST,
    ];
    let mut bad = Vec::new();
    for path in paths {
        for cookie in [None, Some(good.as_str()), Some(forged.as_str())] {
            for method in &methods {
                let mut req = client()
                    .request(method.clone(), gw.url(path))
                    .header("Accept", "text/html");
                if let Some(c) = cookie {
                    req = req.header("Cookie", c);
                }
                let status = req.send().await.unwrap().status().as_u16();
                if status != 200 && status != 401 {
                    bad.push(format!(
                        "{method} {path} (cookie {}): {status}",
                        cookie.is_some()
                    ));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "answers other than 200/401:\n{}",
        bad.join("\n")
    );
}

#[tokio::test]
async fn test_g39_auth_api_401_never_leaks_identity() {
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    add_user(&gw, "seven", "7", "pw-seven");
    let cookie = login(&gw, "seven", "pw-seven").await;
    for cookie in [None, Some(cookie.as_str())] {
        let mut req = client()
            .get(gw.url("/api/v2/auth/4"))
            .header("X-Organizr-User", "admin")
            .header("X-WEBAUTH-USER", "admin");
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert!(identity_headers(&resp).is_empty(), "{:?}", resp.headers());
        let body = resp.text().await.unwrap();
        assert!(
            !body.contains("seven@example.com") && !body.contains("admin"),
            "{body}"
        );
    }
}

/// nginx's sub-request reads headers only: a body would make it drop its
/// connection to the gateway after every request. JSON only when asked for.
#[tokio::test]
async fn test_organizr_api_body_only_for_json_clients() {
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;
    for (path, status) in [("/api/v2/auth/4", 200), ("/api/v2/auth/0", 401)] {
        let resp = api(&gw, path, Some(&cookie), None).await;
        assert_eq!(resp.status(), status, "{path}");
        assert_eq!(resp.headers()["content-length"], "0", "{path}");
        assert!(resp.headers().get("content-type").is_none(), "{path}");
        assert_eq!(resp.text().await.unwrap(), "", "{path}");

        let resp = client()
            .get(gw.url(path))
            .header("Cookie", &cookie)
            .header("Accept", "text/plain, Application/JSON;q=0.9")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        let body: serde_json::Value = resp.json().await.unwrap();
        let result = if status == 200 { "success" } else { "error" };
        assert_eq!(body["response"]["result"], result, "{path}: {body}");
        if status == 200 {
            let data = &body["response"]["data"];
            assert_eq!(data["user"], "alice", "{body}");
            assert_eq!(data["email"], "alice@example.com", "{body}");
            assert_eq!(data["group"], 4, "{body}");
            assert_eq!(data["requested_group"], 4, "{body}");
            assert_eq!(data["user_ip"], "127.0.0.1", "{body}");
        } else {
            assert!(
                body["response"]["data"].is_null(),
                "no identity on 401: {body}"
            );
        }
    }
}
