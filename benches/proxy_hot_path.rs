//! Per-request costs of the proxy's own work, without sockets: route match
//! (path normalization + host/longest-prefix) and the upstream request-header
//! values (`proxy_pass` target + `set_headers` expansion).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use gatehouse::app::{HeaderRule, RouteRuntime};
use gatehouse::config::Config;
use gatehouse::headers::{expand, RequestVars};
use gatehouse::route::{path, upstream_target, Router, Routing};
use http::{HeaderMap, HeaderValue};

const CONFIG: &str = r#"
[[route]]
name = "plex"
path = "/plex/"
upstream = ["http://127.0.0.1:32400/"]
[[route]]
name = "ombi"
path = "/ombi/"
upstream = ["http://127.0.0.1:3579"]
[[route]]
name = "tautulli"
path = "/tautulli/"
upstream = ["http://127.0.0.1:8181"]
[[route]]
name = "grafana"
path = "/grafana/"
host = "grafana.example.com"
upstream = ["http://127.0.0.1:3000/"]
[[route]]
name = "root"
path = "/"
upstream = ["http://127.0.0.1:8000"]
"#;

fn config() -> Config {
    match gatehouse::config::parse(Path::new("bench.toml"), CONFIG) {
        Ok(c) => c,
        Err(e) => panic!("bench config: {e}"),
    }
}

fn bench_route_match(c: &mut Criterion) {
    let config = config();
    let router = Router::from_conf(&config);
    c.bench_function("route_match", |b| {
        b.iter(|| {
            let p = path::normalize(black_box("/plex/web/index.html")).unwrap_or_default();
            match router.find(black_box("home.example.com"), &p, None) {
                Routing::Route(i) => i,
                _ => usize::MAX,
            }
        })
    });
}

fn bench_header_rewrite(c: &mut Criterion) {
    let config = config();
    let route = &config.routes[0];
    let runtime = RouteRuntime::from_conf(route);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("home.example.com"));
    headers.insert("user-agent", HeaderValue::from_static("Mozilla/5.0"));
    c.bench_function("upstream_request_headers", |b| {
        b.iter(|| {
            let target = upstream_target(
                &route.path,
                &route.upstreams[0],
                "/plex/web/index.html",
                Some("a=1"),
            );
            let vars = RequestVars {
                host: "home.example.com",
                server_port: 443,
                server_addr: None,
                remote_addr: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)),
                peer_addr: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)),
                scheme: "https",
                forwarded_for: None,
                request_uri: "/plex/web/index.html?a=1",
                headers: &headers,
                method: "GET",
                uri: "/plex/web/index.html",
                args: Some("a=1"),
                http_host: Some("home.example.com"),
                server_name: &route.server_name,
                proxy_host: &route.upstreams[0].proxy_host,
                proxy_port: route.upstreams[0].proxy_port,
            };
            let mut n = target.len();
            for rule in &runtime.header_rules {
                match rule {
                    HeaderRule::Static(_, v) => n += v.len(),
                    HeaderRule::Dynamic(_, t) => n += expand(t, &vars).map_or(0, |v| v.len()),
                    HeaderRule::Remove(_) => {}
                }
            }
            black_box(n)
        })
    });
}

criterion_group!(benches, bench_route_match, bench_header_rewrite);
criterion_main!(benches);
