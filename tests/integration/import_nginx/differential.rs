//! Differential tests: each configuration under `tests/fixtures/nginx/`
//! (shapes of Organizr's config collection and linuxserver's SWAG
//! proxy-confs) answered by real nginx and by the gateway running its
//! import must give the upstream and the client the same.

use super::harness::{get, run, Req};

/// Runs a case; returns quietly when nginx is not installed.
async fn case(
    name: &str,
    requests: Vec<Req>,
    response_headers: &[&str],
) -> Option<super::harness::Ran> {
    run(name, &requests, response_headers).await
}

#[tokio::test]
async fn test_differential_seed_plex_block() {
    let Some(ran) = case(
        "seed-plex",
        vec![
            get("/plex/web/index.html?x=1&y=%2F"),
            get("/plex/web/index.html").session(),
            get("/plex/"),
            get("/plex"),
            get("/plex?keep=1"),
            get("/web/js/main.js").header("Referer", "http://127.0.0.1/plex/web/index.html"),
            get("/web/js/main.js"),
            get("/plex/redirect"),
            get("/plex/xfo"),
            get("/plex/library")
                .post("{\"a\":1}")
                .header("Content-Type", "application/json"),
            get("/plex/status/503"),
        ],
        &["x-frame-options", "x-other"],
    )
    .await
    else {
        return;
    };
    assert!(
        ran.seen.iter().any(|(n, _)| n.upstream.is_some()),
        "the upstream was reached"
    );
    assert_eq!(
        ran.seen[5].0.status, 404,
        "the seed's if block is inside location /plex/: nginx never runs it for /web/…"
    );
    assert!(
        ran.stderr.contains("if: never applied by nginx"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("1 routes, 0 redirects, 1 warnings"),
        "{}",
        ran.stderr
    );
}

#[tokio::test]
async fn test_differential_swag_subfolder() {
    let Some(ran) = case(
        "swag-subfolder",
        vec![
            get("/sonarr/calendar?start=1"),
            get("/sonarr/api/v3/series").header("X-Api-Key", "k"),
            get("/sonarr"),
            get("/sonarr/redirect"),
            get("/sonarr/api/v3/command").post("{\"name\":\"RefreshSeries\"}"),
            get("/radarr/"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert!(
        !ran.toml.contains("radarr"),
        "the .sample file is not included:\n{}",
        ran.toml
    );
    assert_eq!(
        ran.seen[1].0.upstream.as_ref().unwrap().headers["x-api-route"],
        ["yes"]
    );
}

#[tokio::test]
async fn test_differential_swag_plex_rewrite_break() {
    let Some(ran) = case(
        "swag-plex-rewrite",
        vec![
            get("/plex"),
            get("/plexfoo"),
            get("/plex/"),
            get("/plex/web/index.html?a=b").header("X-Plex-Token", "tok"),
            get("/web/index.html").header("Referer", "http://127.0.0.1/PLEX/web/"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert_eq!(
        ran.seen[3].0.upstream.as_ref().unwrap().target,
        "/web/index.html?a=b",
        "the prefix was stripped"
    );
}

#[tokio::test]
async fn test_differential_organizr_nested_auth_request_off() {
    let mut requests = Vec::new();
    requests.extend(get("/sonarr/").both());
    requests.extend(get("/sonarr/calendar?x=1").both());
    requests.extend(get("/sonarr/api/v3/queue").both());
    requests.extend(get("/sonarr/api").both());
    // Guests (auth-999) get no identity headers from Gatehouse; Organizr
    // sends `X-Organizr-User: Guest` (docs/migrate.md), so only signed in here.
    requests.push(get("/nzbget/").session());
    requests.push(get("/sonarr/").header("X-WEBAUTH-USER", "admin"));
    requests.push(get("/auth-1"));
    let Some(ran) = case("organizr-nested-auth", requests, &[]).await else {
        return;
    };
    let signed_in = ran.seen[1]
        .0
        .upstream
        .as_ref()
        .expect("allowed with a session");
    assert_eq!(signed_in.headers["x-webauth-user"], ["alice"]);
    assert_eq!(signed_in.headers["x-webauth-group"], ["1"]);
    assert_eq!(ran.seen[0].0.status, 401, "no session: refused");
    assert!(
        ran.seen[4].0.upstream.is_some(),
        "the nested API location is public"
    );
    assert_eq!(
        ran.seen[8].0.upstream.as_ref().unwrap().headers["x-webauth-user"],
        ["alice"]
    );
}

#[tokio::test]
async fn test_differential_organizr_auth_query_form() {
    let mut requests = Vec::new();
    requests.extend(get("/portainer/").both());
    requests.extend(get("/portainer/api/status").both());
    let Some(ran) = case("organizr-auth-query", requests, &[]).await else {
        return;
    };
    assert_eq!(ran.seen[0].0.status, 401);
    assert_eq!(
        ran.seen[1].0.status, 401,
        "alice is co-admin (1): admin-only (0) refuses her"
    );
}

#[tokio::test]
async fn test_differential_server_names() {
    let Some(_) = case(
        "server-names",
        vec![
            get("/a").host("sonarr.example.test"),
            get("/a").host("SONARR.example.test."),
            get("/a").host("tv.media.test"),
            get("/a").host("radarr.example.test"),
            get("/only-here/x").host("radarr.lan"),
            get("/only-here/x").host("tv.media.test"),
            get("/a").host("unknown.test"),
            get("/a"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_upstream_block_failover() {
    let Some(ran) = case(
        "upstream-block",
        vec![
            get("/library/sections"),
            get("/default-host/x"),
            get("/redirect"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert_eq!(
        ran.seen[1].0.upstream.as_ref().unwrap().headers["host"],
        ["plex_backend"]
    );
}

#[tokio::test]
async fn test_differential_https_redirect_server() {
    let Some(ran) = case(
        "https-redirect",
        vec![
            get("/x?y=1"),
            get("/").host("sonarr.example.test"),
            get("/a/b").session(),
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert_eq!(ran.seen[0].0.status, 301);
    assert_eq!(
        ran.seen[0].0.location.as_deref(),
        Some("https://127.0.0.1/x?y=1")
    );
}

#[tokio::test]
async fn test_differential_organizr_example_a() {
    let mut requests = vec![
        get("/").host("example-a.test"),
        get("/settings/x").host("example-a.test"),
        get("/portainer/xfo"),
        get("/portainer/api/websocket/x"),
        get("/plex/web/index.html"),
        get("/web/x").header("Referer", "http://example-a.test/plex/"),
        get("/tautulli/api/v2?cmd=status"),
        get("/tautulli/newsletter/abc"),
    ];
    requests.extend(get("/tautulli/home").both());
    requests.extend(get("/ombi/requests").both());
    let Some(_) = case(
        "example-a",
        requests,
        &[
            "x-frame-options",
            "x-content-type-options",
            "x-xss-protection",
            "referrer-policy",
        ],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_proxy_pass_uri_rule() {
    let Some(_) = case(
        "proxy-pass-uri",
        vec![
            get("/app/a/b?c=d"),
            get("/app"),
            get("/root/x"),
            get("/keep/x"),
            get("/exact"),
            get("/exactly"),
            get("/noslash/y"),
            get("/noslash"),
            get("/nothing"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_response_headers() {
    let Some(_) = case(
        "headers",
        vec![
            get("/app/xfo"),
            get("/own/xfo"),
            get("/app/status/404"),
            get("/own/status/500"),
        ],
        &[
            "x-frame-options",
            "strict-transport-security",
            "x-other",
            "cache-control",
        ],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_body_size() {
    let small = "s".repeat(500);
    let large = "L".repeat(4000);
    let Some(ran) = case(
        "body-size",
        vec![
            get("/upload/x").post(&small),
            get("/upload/x").post(&large),
            get("/big/x").post(&large),
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert_eq!(ran.seen[1].0.status, 413);
}

#[tokio::test]
async fn test_differential_regex_locations() {
    let Some(_) = case(
        "regex-locations",
        vec![
            get("/api/v1"),
            get("/apix"),
            get("/health"),
            get("/health/x"),
            get("/other"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_rewrite_and_return_redirects() {
    let Some(_) = case(
        "rewrite-redirects",
        vec![
            get("/old/a/b?q=1"),
            get("/new/a"),
            get("/legacy/x?drop=1"),
            get("/organizr"),
            get("/organizr/"),
            get("/gone"),
            get("/gone/deeper"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_proxy_redirect_default() {
    let Some(ran) = case(
        "proxy-redirect-default",
        vec![
            get("/sonarr/redirect"),
            get("/radarr/redirect"),
            get("/keep/redirect"),
            get("/off/redirect"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert!(
        ran.seen[0]
            .0
            .location
            .as_deref()
            .unwrap()
            .ends_with("/sonarr/somewhere"),
        "{:?}",
        ran.seen[0].0.location
    );
}

#[tokio::test]
async fn test_differential_websocket_map() {
    let Some(_) = case(
        "websocket-map",
        vec![get("/ws/socket?a=1"), get("/ws/x").post("hi")],
        &[],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_referer_redirect_server_level() {
    let Some(_) = case(
        "referer-server-level",
        vec![
            get("/web/a.js").header("Referer", "https://h/plex/web/"),
            get("/web/a.js"),
            get("/plex/web/a.js"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
}

#[tokio::test]
async fn test_differential_swag_subdomain() {
    let Some(_) = case(
        "swag-subdomain",
        vec![
            get("/calendar").host("sonarr.example.test"),
            get("/api/v3/series").host("sonarr.example.test"),
            get("/calendar").host("radarr.example.test"),
            get("/api/x"),
        ],
        &[],
    )
    .await
    else {
        return;
    };
}
