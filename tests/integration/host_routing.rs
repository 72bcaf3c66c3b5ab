//! Host precedence through the real binary, as nginx picks a server block:
//! routes whose `host` matches come before host-less ones, whatever their
//! path length; wildcard forms in nginx's order; a trailing dot in `Host`
//! is the same name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::binary::{client, GatewayBuilder};
use crate::support::conf::route;
use crate::support::upstream::EchoServer;

/// GET `path` with `Host: host`; returns which server got it.
async fn who(
    gw: &crate::support::binary::Gateway,
    host: &str,
    path: &str,
    servers: &[(&str, &EchoServer)],
) -> String {
    let before: Vec<usize> = servers.iter().map(|(_, s)| s.requests().len()).collect();
    let resp = client()
        .get(gw.url(path))
        .header("Host", host)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{host}{path}");
    let hit: Vec<&str> = servers
        .iter()
        .zip(before)
        .filter(|((_, s), n)| s.requests().len() > *n)
        .map(|((name, _), _)| *name)
        .collect();
    assert_eq!(hit.len(), 1, "{host}{path}: {hit:?}");
    hit[0].to_string()
}

#[tokio::test]
async fn test_host_route_beats_longer_hostless_prefix() {
    let private = EchoServer::start();
    let app = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}host = \"private.test\"\n{}",
        route("private", "/", &[private.url()]),
        route("app", "/app/", &[app.url()]),
    ))
    .start();
    let servers = [("private", &private), ("app", &app)];
    assert_eq!(
        who(&gw, "private.test", "/app/x", &servers).await,
        "private"
    );
    assert_eq!(
        who(&gw, "private.test.", "/app/x", &servers).await,
        "private"
    );
    assert_eq!(
        who(&gw, "PRIVATE.test.:8080", "/app/x", &servers).await,
        "private"
    );
    assert_eq!(who(&gw, "public.test", "/app/x", &servers).await, "app");
}

#[tokio::test]
async fn test_host_wildcards_in_nginx_order() {
    let exact = EchoServer::start();
    let star = EchoServer::start();
    let suffix = EchoServer::start();
    let none = EchoServer::start();
    let gw = GatewayBuilder::new(&format!(
        "{}host = \"sonarr.*\"\n{}host = [\"*.example.com\", \"*.example.org\"]\n{}host = \"sonarr.example.com\"\n{}",
        route("suffix", "/", &[suffix.url()]),
        route("star", "/", &[star.url()]),
        route("exact", "/", &[exact.url()]),
        route("none", "/", &[none.url()]),
    ))
    .start();
    let servers = [
        ("exact", &exact),
        ("star", &star),
        ("suffix", &suffix),
        ("none", &none),
    ];
    assert_eq!(who(&gw, "sonarr.example.com", "/", &servers).await, "exact");
    assert_eq!(who(&gw, "radarr.example.org", "/", &servers).await, "star");
    assert_eq!(who(&gw, "sonarr.example.org", "/", &servers).await, "star");
    assert_eq!(who(&gw, "sonarr.lan", "/", &servers).await, "suffix");
    assert_eq!(who(&gw, "other.lan", "/", &servers).await, "none");
}
