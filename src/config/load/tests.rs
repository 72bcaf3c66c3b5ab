//! Whole-file tests of [`parse`]: defaults, every validation with its line
//! and key, per-route merging, and the shipped `conf/gatehouse.toml`.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::config::model::{AuthLevel, IdentityField, LoginBackend, SsoService, TemplatePart};

fn ok(text: &str) -> Config {
    match parse(Path::new("t.toml"), text) {
        Ok(c) => c,
        Err(e) => panic!("expected a valid config, got:\n{e}"),
    }
}

fn errs(text: &str) -> Vec<String> {
    match parse(Path::new("t.toml"), text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

/// Asserts exactly one error, starting with `prefix` (`t.toml:LINE: KEY: …`).
fn one_err(text: &str, prefix: &str) -> String {
    let e = errs(text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with(prefix),
        "{:?} should start with {prefix:?}",
        e[0]
    );
    e[0].clone()
}

const ROUTE: &str =
    "[[route]]\nname = \"app\"\npath = \"/app/\"\nupstream = [\"http://127.0.0.1:9000/\"]\n";

#[test]
fn test_parse_empty_file_gets_defaults() {
    let c = ok("");
    assert_eq!(c.server.listen, vec!["127.0.0.1:8080".parse().unwrap()]);
    assert!(c.server.tls_listen.is_empty());
    assert_eq!(c.server.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(c.server.data_dir, Path::new("data"));
    assert_eq!(c.server.certs_dir, Path::new("certs"));
    assert!(c.server.threads >= 1);
    assert_eq!(c.portal.prefix, "/gatehouse");
    assert_eq!(c.portal.home.as_deref(), Some("/"));
    assert_eq!(c.session.cookie, "gatehouse_session");
    assert_eq!(c.session.domain, None);
    assert_eq!(c.session.lifetime, Duration::from_secs(86_400));
    assert_eq!(c.session.remember_me, Duration::from_secs(7 * 86_400));
    assert_eq!(c.session.idle_timeout, None);
    assert_eq!(c.login.backend, LoginBackend::Local);
    assert_eq!(
        (c.login.max_failures, c.login.window, c.login.ban),
        (5, Duration::from_secs(120), Duration::from_secs(300))
    );
    assert!(c.plex.oauth && c.plex.strict_friends);
    assert_eq!(c.plex.new_user_group, 4);
    assert_eq!(c.plex.api_url.as_str(), "https://plex.tv/");
    assert_eq!(c.plex.app_url.as_str(), "https://app.plex.tv/");
    assert!(!c.sso.plex.enabled && !c.sso.ombi.enabled && !c.sso.tautulli.enabled);
    assert_eq!(c.sso.tautulli.min_group, 4);
    assert_eq!(c.proxy.read_timeout, Duration::from_secs(240));
    assert_eq!(c.proxy.set_headers.len(), 4);
    assert!(c.routes.is_empty() && c.redirects.is_empty());
    assert_eq!(c.path, Path::new("t.toml"));
}

#[test]
fn test_parse_only_routes_is_valid() {
    let c = ok(ROUTE);
    let r = &c.routes[0];
    assert_eq!(
        (r.name.as_str(), r.path.as_str(), r.hosts.len()),
        ("app", "/app/", 0)
    );
    assert_eq!(r.auth, AuthLevel::None);
    assert!(r.sso.is_empty() && r.identity_headers.is_empty() && r.title.is_none());
    assert_eq!(r.upstreams[0].address, "127.0.0.1:9000");
    assert_eq!(r.upstreams[0].uri_path.as_deref(), Some("/"));
}

#[test]
fn test_parse_design_example_values() {
    let text = r#"
[server]
listen = ["127.0.0.1:8080", "[::1]:8080"]
tls_listen = ["0.0.0.0:8443"]
trusted_proxies = ["10.0.0.0/8", "192.168.1.1"]
threads = 2
public_url = "https://home.example.com"
[portal]
home = ""
[session]
domain = ".example.com"
idle_timeout = "30m"
[login]
backend = "plex"
[plex]
token = "abc"
machine_id = "0123456789abcdef0123456789abcdef01234567"
new_user_group = 7
[sso.ombi]
enabled = true
url = "http://127.0.0.1:3579"
[sso.tautulli]
enabled = true
urls = "http://127.0.0.1:8181/, http://127.0.0.1:8182/"
min_group = "power-user"
[[route]]
name = "plex"
path = "/plex/"
host = "Plex.Example.com:443"
upstream = ["http://127.0.0.1:32400/", "http://127.0.0.1:32401"]
auth = 4
sso = ["plex", "tautulli"]
identity_headers = { "X-WEBAUTH-USER" = "username", "X-Group" = "group_name" }
title = "Plex"
[[redirect]]
if_referer = "/plex/"
from = "^/web/(.*)"
to = "/plex/web/$1"
"#;
    let c = ok(text);
    assert_eq!(c.server.listen.len(), 2);
    assert_eq!(c.server.trusted_proxies[1].to_string(), "192.168.1.1/32");
    assert_eq!(c.server.threads, 2);
    assert_eq!(c.portal.home, None);
    assert_eq!(c.session.domain.as_deref(), Some(".example.com"));
    assert_eq!(c.session.idle_timeout, Some(Duration::from_secs(1800)));
    assert_eq!(c.login.backend, LoginBackend::Plex);
    assert_eq!(c.plex.new_user_group, 7);
    assert!(c.sso.ombi.url.is_some());
    assert_eq!(c.sso.tautulli.urls.len(), 2);
    assert_eq!(c.sso.tautulli.min_group, 3);
    let r = &c.routes[0];
    assert_eq!(r.hosts[0].to_string(), "plex.example.com");
    assert_eq!(r.server_name, "plex.example.com");
    assert_eq!(r.auth, AuthLevel::Group(4));
    assert_eq!(r.sso, vec![SsoService::Plex, SsoService::Tautulli]);
    assert_eq!(r.upstreams[1].uri_path, None);
    assert_eq!(r.identity_headers[1].1, IdentityField::GroupName);
    assert_eq!(r.title.as_deref(), Some("Plex"));
    let rd = &c.redirects[0];
    assert!(rd
        .if_referer
        .as_ref()
        .unwrap()
        .is_match("https://h/plex/web/index.html"));
    assert_eq!(
        rd.from.replace("/web/index.html", rd.to.as_str()),
        "/plex/web/index.html"
    );
    assert_eq!(rd.status, 302);
}

#[test]
fn test_parse_tautulli_urls_array() {
    let c = ok("[sso.tautulli]\nurls = [\"http://a:8181/\", \"http://b:8181/\"]\n");
    assert_eq!(c.sso.tautulli.urls.len(), 2);
}

#[test]
fn test_parse_syntax_error_one_error_with_line() {
    let e = one_err(
        "[server]\nlisten = [\"127.0.0.1:8080\"\n\n[portal]\n",
        "t.toml:",
    );
    assert!(e.contains(": toml: syntax error"), "{e}");
    let e = one_err("a = 1\nb = = 2\n", "t.toml:2: toml: syntax error");
    assert!(e.ends_with("(b = = 2)"), "{e}");
}

#[test]
fn test_parse_syntax_error_redacts_secret_line() {
    let e = one_err("[plex]\ntoken = \"abc\n", "t.toml:2: toml:");
    assert!(!e.contains("abc") && e.contains("<redacted>"), "{e}");
}

#[test]
fn test_parse_duplicate_toml_key_is_syntax_error() {
    one_err(
        "[proxy]\nread_timeout = \"1s\"\nread_timeout = \"2s\"\n",
        "t.toml:3: toml:",
    );
}

#[test]
fn test_parse_unknown_keys_everywhere() {
    let text = "frobnicate = 1\n[server]\nlistn = []\n[proxy]\nproxy_buffers = \"32 4k\"\n[sso.ombi]\ntoken = \"x\"\n[sso.jellyfin]\nenabled = true\n[[route]]\nname = \"a\"\npath = \"/a/\"\nupstream = [\"http://h/\"]\nauht = \"user\"\n";
    let e = errs(text);
    let keys: Vec<&str> = e.iter().map(|l| l.split(": ").next().unwrap()).collect();
    assert_eq!(
        keys,
        vec![
            "t.toml:1",
            "t.toml:3",
            "t.toml:5",
            "t.toml:7",
            "t.toml:8",
            "t.toml:14"
        ],
        "{e:#?}"
    );
    assert!(e[0].contains("frobnicate: unknown key (1)"));
    assert!(e[1].contains("server.listn: unknown key"));
    assert!(e[2].contains("proxy.proxy_buffers: unknown key"));
    assert!(
        e[3].contains("sso.ombi.token: unknown key (<redacted>)"),
        "{}",
        e[3]
    );
    assert!(e[4].contains("sso.jellyfin: unknown key"));
    assert!(e[5].contains("route[0].auht: unknown key"));
}

#[test]
fn test_parse_wrong_types() {
    let e = errs("[server]\nthreads = \"four\"\nlisten = 8080\n[proxy]\nwebsocket = 1\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].starts_with("t.toml:2: server.threads: expected an integer"));
    assert!(e[1].starts_with("t.toml:3: server.listen: expected an array"));
    assert!(e[2].starts_with("t.toml:5: proxy.websocket: expected true or false"));
}

#[test]
fn test_parse_section_wrong_type() {
    one_err(
        "proxy = 5\n",
        "t.toml:1: proxy: expected a table, found integer",
    );
    one_err(
        "[route]\nname = \"a\"\n",
        "t.toml:1: route: expected [[route]] tables",
    );
}

#[test]
fn test_parse_bad_size() {
    one_err(
        "\n[proxy]\nclient_max_body_size = \"10 megs\"\n",
        "t.toml:3: proxy.client_max_body_size: expected a size",
    );
}

#[test]
fn test_parse_bad_duration() {
    one_err(
        "[session]\nlifetime = \"a while\"\n",
        "t.toml:2: session.lifetime: expected a duration",
    );
    one_err(
        "[proxy]\nread_timeout = 0\n",
        "t.toml:2: proxy.read_timeout: must be greater than zero",
    );
}

#[test]
fn test_parse_integer_seconds_timeouts() {
    let c =
        ok("[proxy]\nread_timeout = 240\nsend_timeout = \"240\"\nclient_send_timeout = \"5m\"\n");
    assert_eq!(c.proxy.read_timeout, Duration::from_secs(240));
    assert_eq!(c.proxy.send_timeout, Duration::from_secs(240));
}

#[test]
fn test_parse_bad_regexes() {
    let e =
        errs("[[redirect]]\nif_referer = \"(plex\"\nfrom = \"^/web/(.*\"\nto = \"/plex/web/$1\"\n");
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(e[0].starts_with("t.toml:2: redirect[0].if_referer: invalid regex"));
    assert!(e[1].starts_with("t.toml:3: redirect[0].from: invalid regex"));
}

#[test]
fn test_parse_redirect_missing_and_status() {
    let e = errs("\n[[redirect]]\nstatus = 200\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].starts_with("t.toml:2: redirect[0].from: required key is missing"));
    assert!(e[1].starts_with("t.toml:2: redirect[0].to: required key is missing"));
    assert!(e[2].starts_with("t.toml:3: redirect[0].status: expected 301"));
}

#[test]
fn test_parse_redirect_group_reference() {
    one_err(
        "[[redirect]]\nfrom = \"^/web/(.*)\"\nto = \"/plex/$2\"\n",
        "t.toml:3: redirect[0].to: $2 refers",
    );
}

#[test]
fn test_parse_bad_upstream_urls() {
    let text = "[[route]]\nname = \"a\"\npath = \"/a/\"\nupstream = [\n  \"http://ok:1/\",\n  \"127.0.0.1:32400\",\n  \"ftp://h/\",\n]\n";
    let e = errs(text);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e[0].starts_with("t.toml:6: route[0].upstream[1]: invalid URL"),
        "{}",
        e[0]
    );
    assert!(e[1].starts_with("t.toml:7: route[0].upstream[2]: URL scheme must be http or https"));
}

#[test]
fn test_parse_route_required_keys() {
    let e = errs("x = 1\n[[route]]\ntitle = \"t\"\n");
    let keys: Vec<String> = e
        .iter()
        .filter(|l| l.starts_with("t.toml:2:"))
        .cloned()
        .collect();
    assert_eq!(keys.len(), 3, "{e:#?}");
    assert!(keys[0].contains("route[0].name: required key is missing"));
    assert!(keys[1].contains("route[0].path: required key is missing"));
    assert!(keys[2].contains("route[0].upstream: required key is missing"));
}

#[test]
fn test_parse_empty_upstream_list() {
    one_err(
        "[[route]]\nname = \"a\"\npath = \"/a/\"\nupstream = []\n",
        "t.toml:4: route[0].upstream: at least one upstream",
    );
}

#[test]
fn test_parse_duplicate_route_names() {
    let text = format!("{ROUTE}{}", ROUTE.replace("/app/", "/other/"));
    one_err(
        &text,
        "t.toml:6: route[1].name: duplicate route name (first at line 2)",
    );
}

#[test]
fn test_parse_duplicate_host_path() {
    let text = format!("{ROUTE}{}", ROUTE.replace("\"app\"", "\"app2\""));
    one_err(
        &text,
        "t.toml:7: route[1].path: same host and path as route \"app\"",
    );
    let with_host = format!(
        "{ROUTE}{}host = \"a.example.com\"\n",
        ROUTE.replace("\"app\"", "\"app2\"")
    );
    assert_eq!(ok(&with_host).routes.len(), 2);
}

#[test]
fn test_parse_route_path_must_start_with_slash() {
    one_err(
        "[[route]]\nname = \"a\"\npath = \"a/\"\nupstream = \"http://h\"\n",
        "t.toml:3: route[0].path: path must start with",
    );
}

#[test]
fn test_parse_unknown_groups() {
    let text = format!("[plex]\nnew_user_group = \"wizard\"\n[sso.tautulli]\nmin_group = 1000\n{ROUTE}auth = \"users\"\n");
    let e = errs(&text);
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].starts_with("t.toml:2: plex.new_user_group: unknown group"));
    assert!(e[1].starts_with("t.toml:4: sso.tautulli.min_group: unknown group"));
    assert!(e[2].starts_with("t.toml:9: route[0].auth: unknown group"));
}

#[test]
fn test_parse_auth_forms() {
    let text = format!(
        "{ROUTE}auth = \"none\"\n{}auth = 998\n{}auth = \"co-admin\"\n",
        ROUTE.replace("app", "b"),
        ROUTE.replace("app", "c")
    );
    let c = ok(&text);
    let auths: Vec<AuthLevel> = c.routes.iter().map(|r| r.auth).collect();
    assert_eq!(
        auths,
        vec![AuthLevel::None, AuthLevel::Group(998), AuthLevel::Group(1)]
    );
}

#[test]
fn test_parse_bad_listen_addresses() {
    let e = errs(
        "[server]\nlisten = [\"127.0.0.1:8080\", \"localhost:80\"]\ntls_listen = [\"8443\"]\n",
    );
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(e[0].starts_with("t.toml:2: server.listen[1]: expected IP:PORT"));
    assert!(e[1].starts_with("t.toml:3: server.tls_listen[0]: expected IP:PORT"));
}

#[test]
fn test_parse_no_listener() {
    one_err(
        "[server]\nlisten = []\n",
        "t.toml:1: server.listen: no listener",
    );
    assert!(
        ok("[server]\nlisten = []\ntls_listen = [\"127.0.0.1:8443\"]\n")
            .server
            .listen
            .is_empty()
    );
}

#[test]
fn test_parse_bad_public_url() {
    one_err(
        "[server]\npublic_url = \"example.com\"\n",
        "t.toml:2: server.public_url: invalid URL",
    );
    one_err(
        "[server]\npublic_url = \"ftp://example.com\"\n",
        "t.toml:2: server.public_url: URL scheme",
    );
}

#[test]
fn test_parse_bad_next_upstream() {
    one_err(
        "[proxy]\nnext_upstream = [\"error\", \"http_418\"]\n",
        "t.toml:2: proxy.next_upstream[1]: unknown condition",
    );
}

#[test]
fn test_parse_bad_header_names() {
    let text = format!("[proxy]\nhide_headers = [\"X Frame\"]\nset_headers = {{ \"Bad Header\" = \"x\" }}\n{ROUTE}identity_headers = {{ \"X User\" = \"username\" }}\n");
    let e = errs(&text);
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].starts_with("t.toml:2: proxy.hide_headers[0]: invalid header name"));
    assert!(e[1].starts_with("t.toml:3: proxy.set_headers.Bad Header: invalid header name"));
    assert!(e[2].starts_with("t.toml:8: route[0].identity_headers.X User: invalid header name"));
}

#[test]
fn test_parse_bad_identity_values() {
    one_err(
        &format!("{ROUTE}identity_headers = {{ \"X-Name\" = \"fullname\" }}\n"),
        "t.toml:5: route[0].identity_headers.X-Name: expected username, email, group or group_name",
    );
}

#[test]
fn test_parse_duplicate_identity_header() {
    one_err(
        &format!(
            "{ROUTE}[route.identity_headers]\n\"X-User\" = \"username\"\n\"x-user\" = \"email\"\n"
        ),
        "t.toml:7: route[0].identity_headers.x-user: duplicate header name",
    );
}

#[test]
fn test_parse_bad_sso_items() {
    one_err(
        &format!("{ROUTE}sso = [\"plex\", \"jellyfin\"]\n"),
        "t.toml:5: route[0].sso[1]: expected plex, ombi or tautulli",
    );
}

#[test]
fn test_parse_unknown_variable() {
    one_err(
        "[proxy.set_headers]\nHost = \"$host:$server_port\"\nX-Up = \"$upstream_addr\"\n",
        "t.toml:3: proxy.set_headers.X-Up: unknown variable $upstream_addr",
    );
}

#[test]
fn test_parse_public_suffix_domain() {
    for bad in ["\".duckdns.org\"", "\".com\"", "\"co.uk\""] {
        one_err(
            &format!("[session]\ndomain = {bad}\n"),
            "t.toml:2: session.domain: is a public suffix",
        );
    }
}

#[test]
fn test_parse_portal_prefix() {
    one_err(
        "[portal]\nprefix = \"/gatehouse/\"\n",
        "t.toml:2: portal.prefix: must start with",
    );
    one_err(
        "[portal]\nprefix = \"gatehouse\"\n",
        "t.toml:2: portal.prefix: must start with",
    );
    assert_eq!(ok("[portal]\nprefix = \"/auth\"\n").portal.prefix, "/auth");
}

#[test]
fn test_parse_login_backend_and_machine_id() {
    one_err(
        "[login]\nbackend = \"ldap\"\n",
        "t.toml:2: login.backend: expected \"local\" or \"plex\"",
    );
    one_err(
        "[plex]\nmachine_id = \"xyz\"\n",
        "t.toml:2: plex.machine_id: expected 40 hexadecimal",
    );
}

#[test]
fn test_parse_sso_requires_urls_when_enabled() {
    one_err(
        "[sso.ombi]\nenabled = true\n",
        "t.toml:1: sso.ombi.url: required when sso.ombi is enabled",
    );
    one_err(
        "[sso.tautulli]\nenabled = true\nurls = \"\"\n",
        "t.toml:1: sso.tautulli.urls: at least one URL",
    );
    one_err(
        "[sso.tautulli]\nurls = \"http://a:1/,nope\"\n",
        "t.toml:2: sso.tautulli.urls[0]: nope: invalid URL",
    );
}

#[test]
fn test_parse_secrets_redacted() {
    let e = errs("[plex]\ntoken = 5\n[sso.ombi]\napi_key = true\nfallback_password = 1\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e.iter().all(|l| l.ends_with("(<redacted>)")), "{e:#?}");
}

#[test]
fn test_parse_threads_zero_is_cores() {
    let c = ok("[server]\nthreads = 0\n");
    assert_eq!(
        c.server.threads,
        std::thread::available_parallelism().map_or(1, usize::from)
    );
}

#[test]
fn test_parse_route_overrides_merge() {
    let text = format!("[proxy]\nread_timeout = \"10s\"\nhide_headers = []\n{ROUTE}read_timeout = \"1s\"\nwebsocket = false\nset_headers = {{ \"X-Forwarded-Proto\" = \"$scheme\" }}\n{}",
        ROUTE.replace("app", "plain"));
    let c = ok(&text);
    let (a, b) = (&c.routes[0].proxy, &c.routes[1].proxy);
    assert_eq!(a.read_timeout, Duration::from_secs(1));
    assert!(!a.websocket);
    assert_eq!(a.set_headers.len(), 1);
    assert_eq!(a.set_headers[0].1.parts, vec![TemplatePart::Scheme]);
    assert!(a.hide_headers.is_empty());
    assert_eq!(b.read_timeout, Duration::from_secs(10));
    assert!(b.websocket);
    assert_eq!(b.set_headers, c.proxy.set_headers);
}

#[test]
fn test_parse_several_errors_all_reported_in_line_order() {
    let text = "[[route]]\nname = \"a\"\npath = \"a\"\nupstream = [\"nope\"]\n[proxy]\nread_timeout = \"x\"\n[session]\ndomain = \".com\"\nbogus = 1\n";
    let e = errs(text);
    let lines: Vec<&str> = e.iter().map(|l| l.split(": ").next().unwrap()).collect();
    assert_eq!(
        lines,
        vec!["t.toml:3", "t.toml:4", "t.toml:6", "t.toml:8", "t.toml:9"],
        "{e:#?}"
    );
}

#[test]
fn test_parse_inline_route_array() {
    let c = ok("route = [{ name = \"a\", path = \"/a/\", upstream = \"http://h:1\" }]\n");
    assert_eq!(c.routes[0].name, "a");
}

#[test]
fn test_load_missing_file() {
    let e = load(Path::new("/nonexistent/gatehouse.toml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/gatehouse.toml:0: file: cannot read"),
        "{e}"
    );
}

/// The shipped configuration, as is.
fn shipped() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/conf/gatehouse.toml")).unwrap()
}

/// The shipped configuration with every commented example turned on: lines
/// starting with `#>` (the examples' marker) lose the marker.
fn shipped_with_examples() -> String {
    shipped()
        .lines()
        .map(|l| {
            l.strip_prefix("#> ")
                .or_else(|| l.strip_prefix("#>"))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn test_shipped_config_parses() {
    let c = ok(&shipped());
    assert_eq!(c.server.listen, vec!["127.0.0.1:8080".parse().unwrap()]);
    assert!(
        c.routes.is_empty(),
        "the default config must start with no upstream running"
    );
}

#[test]
fn test_shipped_examples_parse_when_uncommented() {
    let text = shipped_with_examples();
    assert_ne!(text, shipped(), "no #> example lines found");
    let c = ok(&text);
    let names: Vec<&str> = c.routes.iter().map(|r| r.name.as_str()).collect();
    for want in [
        "plex",
        "ombi",
        "tautulli",
        "grafana",
        "nzbhydra",
        "calibre-web",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let plex = c.routes.iter().find(|r| r.name == "plex").unwrap();
    assert_eq!(plex.path, "/plex/");
    assert_eq!(plex.upstreams[0].url.as_str(), "http://127.0.0.1:32400/");
    assert_eq!(plex.upstreams[0].uri_path.as_deref(), Some("/"));
    assert_eq!(plex.sso, vec![SsoService::Plex]);
    let rd = &c.redirects[0];
    assert_eq!(
        (rd.from.as_str(), rd.to.as_str()),
        ("^/web/(.*)", "/plex/web/$1")
    );
    assert_eq!(rd.if_referer.as_ref().map(|r| r.as_str()), Some("/plex/"));
    let grafana = c.routes.iter().find(|r| r.name == "grafana").unwrap();
    let headers: Vec<(&str, IdentityField)> = grafana
        .identity_headers
        .iter()
        .map(|(n, f)| (n.as_str(), *f))
        .collect();
    assert_eq!(
        headers,
        vec![
            ("x-webauth-user", IdentityField::Username),
            ("x-user-email", IdentityField::Email),
            ("x-user-name", IdentityField::Username),
        ]
    );
    let tautulli = c.routes.iter().find(|r| r.name == "tautulli").unwrap();
    assert_eq!(tautulli.sso, vec![SsoService::Tautulli]);
    let calibre = c.routes.iter().find(|r| r.name == "calibre-web").unwrap();
    assert_eq!(calibre.identity_headers[0].0.as_str(), "x-webauth-user");
}

fn fixture(name: &str) -> String {
    let path = format!("{}/conf/test/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn test_fixture_routes_only_parses() {
    let c = ok(&fixture("routes_only.toml"));
    assert_eq!(c.routes.len(), 2);
    assert_eq!(c.routes[1].proxy.read_timeout, Duration::from_secs(30));
    assert_eq!(c.routes[1].upstreams[0].uri_path, None);
}

#[test]
fn test_fixture_many_errors_all_reported() {
    let e = errs(&fixture("many_errors.toml"));
    let lines: Vec<&str> = e.iter().map(|l| l.split(": ").next().unwrap()).collect();
    let want = ["5", "9", "12", "13", "14", "19", "20", "25", "31"].map(|n| format!("t.toml:{n}"));
    assert_eq!(lines, want, "{e:#?}");
}
