//! Routing (README "How a request is decided"): longest prefix, `host` narrowing, 404,
//! nginx's add-slash 301, the `proxy_pass` URI rule, the seed's `/plex/`
//! Referer redirect, and the health endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::binary::{client, GatewayBuilder};
use crate::support::conf::{route, PLEX_REFERER_REDIRECT};
use crate::support::upstream::EchoServer;

#[tokio::test]
async fn test_routing_longest_prefix_wins() {
    let root = EchoServer::start();
    let app = EchoServer::start();
    let deep = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{}{}",
        route("root", "/", &[root.url()]),
        route("app", "/app/", &[app.url()]),
        route("deep", "/app/deep/", &[deep.url()]),
    ))
    .start();
    let c = client();
    for (path, server) in [
        ("/app/deep/x", &deep),
        ("/app/x", &app),
        ("/elsewhere", &root),
        ("/app/deeper", &app),
    ] {
        let before = server.requests().len();
        let resp = c.get(gw.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(
            server.requests().len(),
            before + 1,
            "{path} went to the wrong upstream"
        );
        assert_eq!(
            server.last().target,
            path,
            "no URI part: the path passes unchanged"
        );
    }
    assert_eq!(
        root.requests().len() + app.requests().len() + deep.requests().len(),
        4
    );
}

#[tokio::test]
async fn test_routing_host_narrows_route() {
    let any = EchoServer::start();
    let special = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{}host = \"special.test\"\n",
        route("any", "/", &[any.url()]),
        route("special", "/", &[special.url()]),
    ))
    .start();
    let c = client();
    let resp = c
        .get(gw.url("/h"))
        .header("Host", format!("special.test:{}", gw.port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        special.requests().len(),
        1,
        "Host special.test must select the host route"
    );
    assert_eq!(any.requests().len(), 0);

    let resp = c
        .get(gw.url("/h"))
        .header("Host", "other.test")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        any.requests().len(),
        1,
        "another Host falls back to the host-less route"
    );
    assert_eq!(special.requests().len(), 1);

    // Host matching is case-insensitive, as in nginx server_name.
    let resp = c
        .get(gw.url("/h"))
        .header("Host", "SPECIAL.test")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(special.requests().len(), 2);
}

#[tokio::test]
async fn test_routing_no_match_is_404() {
    let app = EchoServer::start();
    let gw = GatewayBuilder::new(&route("app", "/app/", &[app.url()])).start();
    let resp = client().get(gw.url("/nothing/here")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert!(app.requests().is_empty());
}

#[tokio::test]
async fn test_routing_prefix_without_slash_gets_301() {
    let plex = EchoServer::start();
    let gw = GatewayBuilder::new(&route("plex", "/plex/", &[format!("{}/", plex.url())])).start();
    let c = client();
    let resp = c.get(gw.url("/plex")).send().await.unwrap();
    assert_eq!(resp.status(), 301);
    assert_eq!(resp.headers()["location"], "/plex/");
    let resp = c.get(gw.url("/plex?a=1&b=2")).send().await.unwrap();
    assert_eq!(resp.status(), 301);
    assert_eq!(
        resp.headers()["location"],
        "/plex/?a=1&b=2",
        "nginx keeps the query"
    );
    assert!(
        plex.requests().is_empty(),
        "the 301 is the gateway's own answer"
    );
}

#[tokio::test]
async fn test_routing_proxy_pass_uri_rule() {
    let with_slash = EchoServer::start();
    let without_path = EchoServer::start();
    let inner = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{}{}{}",
        route("plex", "/plex/", &[format!("{}/", with_slash.url())]),
        route("plain", "/plain/", &[without_path.url()]),
        route("app", "/app/", &[format!("{}/inner/", inner.url())]),
        route("glued", "/glued/", &[format!("{}/inner", inner.url())]),
    ))
    .start();
    let c = client();
    let cases = [
        (
            "/plex/web/index.html?x=1",
            &with_slash,
            "/web/index.html?x=1",
        ),
        ("/plex/", &with_slash, "/"),
        (
            "/plain/web/index.html?x=1",
            &without_path,
            "/plain/web/index.html?x=1",
        ),
        ("/app/a", &inner, "/inner/a"),
        ("/app/a/b?q=%20z", &inner, "/inner/a/b?q=%20z"),
        // nginx replaces the prefix literally: no slash is added.
        ("/glued/a", &inner, "/innera"),
    ];
    for (path, server, want) in cases {
        let resp = c.get(gw.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(server.last().target, want, "{path}");
    }
}

#[tokio::test]
async fn test_routing_referer_redirect_drops_query() {
    let plex = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{PLEX_REFERER_REDIRECT}",
        route("plex", "/plex/", &[format!("{}/", plex.url())])
    ))
    .start();
    let resp = client()
        .get(gw.url("/web/js/main.js?v=1"))
        .header("Referer", "http://x/plex/web/index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/plex/web/js/main.js");
    assert!(plex.requests().is_empty());
}

#[tokio::test]
async fn test_routing_referer_redirect_needs_referer() {
    let plex = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{PLEX_REFERER_REDIRECT}",
        route("plex", "/plex/", &[format!("{}/", plex.url())])
    ))
    .start();
    let c = client();
    // No Referer: not redirected, and no route matches.
    let resp = c.get(gw.url("/web/js/main.js?v=1")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    // A Referer that does not match the regex: not redirected either.
    let resp = c
        .get(gw.url("/web/js/main.js"))
        .header("Referer", "http://x/ombi/")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(plex.requests().is_empty());

    // With a catch-all route, the unredirected request is proxied as is.
    let catch_all = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}{}{PLEX_REFERER_REDIRECT}",
        route("plex", "/plex/", &[format!("{}/", plex.url())]),
        route("root", "/", &[catch_all.url()]),
    ))
    .start();
    let resp = c.get(gw.url("/web/js/main.js?v=1")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(catch_all.last().target, "/web/js/main.js?v=1");
    // …and with the Referer the redirect runs before routing.
    let resp = c
        .get(gw.url("/web/js/main.js?v=1"))
        .header(
            "Referer",
            format!("http://127.0.0.1:{}/plex/web/index.html", gw.port),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/plex/web/js/main.js");
    assert_eq!(catch_all.requests().len(), 1);
}

#[tokio::test]
async fn test_routing_health_endpoint() {
    let app = EchoServer::start();
    let mut gw = GatewayBuilder::new(&route("root", "/", &[app.url()])).start();
    let resp = client()
        .get(gw.url("/gatehouse/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap().trim(), "ok");
    assert!(
        app.requests().is_empty(),
        "the portal answers before any route, even `/`"
    );

    // The harness can restart the same gateway on the same port (sessions tests rely on it).
    let port = gw.port;
    client().get(gw.url("/anything")).send().await.unwrap();
    gw.restart();
    assert_eq!(gw.port, port);
    let resp = client()
        .get(gw.url("/gatehouse/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = client().get(gw.url("/after-restart")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(app.last().target, "/after-restart");
}

#[tokio::test]
async fn test_routing_upstream_by_host_name() {
    let echo = EchoServer::start();
    let gw = GatewayBuilder::new(&route(
        "named",
        "/named/",
        &[format!("http://localhost:{}/", echo.port())],
    ))
    .start();
    let resp = client().get(gw.url("/named/x")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(echo.last().target, "/x");
}

#[tokio::test]
async fn test_routing_unresolvable_upstream_never_panics() {
    // nginx refuses to start ("host not found in upstream"); starting and
    // answering 502 for that route would be fine too. A panic is neither.
    let echo = EchoServer::start();
    let started = GatewayBuilder::new(&format!(
        "{}{}",
        route(
            "gone",
            "/gone/",
            &["http://no-such-host.invalid:32400/".to_string()]
        ),
        route("app", "/app/", &[echo.url()]),
    ))
    .try_start();
    match started {
        Err(e) => {
            assert!(!e.status.success(), "{e:?}");
            assert!(
                !e.log.contains("panicked"),
                "the gateway panicked:\n{}",
                e.log
            );
            assert!(
                e.log.contains("no-such-host.invalid"),
                "the error must name the upstream:\n{}",
                e.log
            );
        }
        Ok(gw) => {
            let resp = client().get(gw.url("/gone/x")).send().await.unwrap();
            assert_eq!(resp.status(), 502);
            let resp = client().get(gw.url("/app/x")).send().await.unwrap();
            assert_eq!(resp.status(), 200);
        }
    }
}

#[tokio::test]
async fn test_routing_prefix_without_trailing_slash() {
    let api = EchoServer::start();
    let gw = GatewayBuilder::new(&route("api", "/api", &[api.url()])).start();
    let c = client();
    // A plain prefix match, as nginx `location /api`: no 301, and `/apix` matches too.
    for path in ["/api", "/api/v1", "/apix"] {
        let resp = c.get(gw.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(api.last().target, path);
    }
}

#[tokio::test]
async fn test_routing_redirects_in_file_order() {
    let app = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        r#"{}
[[redirect]]
from = "^/old/(.*)"
to = "/app/new/$1"
status = 301

[[redirect]]
from = "^/old/special"
to = "/never"
"#,
        route("app", "/app/", &[app.url()])
    ))
    .start();
    let resp = client()
        .get(gw.url("/old/special?q=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 301);
    assert_eq!(resp.headers()["location"], "/app/new/special");
    assert!(app.requests().is_empty());
}
