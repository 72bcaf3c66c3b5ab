//! Whole imports of small nginx configurations: what each shape becomes,
//! and every warning with its `FILE:LINE: DIRECTIVE:` prefix.

use std::path::Path;

use super::*;
use crate::config::{AuthLevel, Config, IdentityField};

struct Imported {
    toml: String,
    warnings: Vec<String>,
    config: Config,
    _dir: tempfile::TempDir,
}

/// Writes `files` (the first is the main one, `nginx.conf`) and imports it.
fn import_files(files: &[(&str, &str)]) -> Imported {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let opts = Options {
        file: dir.path().join(files[0].0),
        prefix: Some(dir.path().join("root")),
        certs_dir: None,
    };
    let out = import(&opts).unwrap_or_else(|e| panic!("{e}"));
    let config = crate::config::parse(Path::new("out.toml"), &out.toml).unwrap();
    let base = format!("{}/", dir.path().display());
    Imported {
        warnings: out
            .warnings
            .iter()
            .map(|w| w.to_string().replace(&base, ""))
            .collect(),
        toml: out.toml,
        config,
        _dir: dir,
    }
}

fn imp(text: &str) -> Imported {
    import_files(&[("nginx.conf", text)])
}

fn has_warning(i: &Imported, prefix: &str) {
    assert!(
        i.warnings.iter().any(|w| w.starts_with(prefix)),
        "no warning starting with {prefix:?} in {:#?}\n{}",
        i.warnings,
        i.toml
    );
}

const PROXY_CONF: &str = "client_max_body_size 10m;\nclient_body_buffer_size 128k;\nproxy_bind $server_addr;\nproxy_buffers 32 4k;\nproxy_next_upstream error timeout invalid_header http_500 http_502 http_503;\nsend_timeout 5m;\nproxy_read_timeout 240;\nproxy_send_timeout 240;\nproxy_connect_timeout 240;\nproxy_hide_header X-Frame-Options;\nproxy_set_header Host $host:$server_port;\nproxy_set_header X-Real-IP $remote_addr;\nproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\nproxy_set_header X-Forwarded-Proto https;\nproxy_redirect  http://  $scheme://;\nproxy_http_version 1.1;\nproxy_set_header Connection \"\";\nproxy_no_cache $cookie_session;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection \"upgrade\";\n";

#[test]
fn test_seed_plex_block_with_proxy_conf() {
    let i = import_files(&[
        (
            "nginx.conf",
            "http {\n server {\n  listen 80;\n  location /plex/ {\n   proxy_pass http://127.0.0.1:32400/;\n   include /path/to/proxy.conf;\n   if ($http_referer ~ /plex/) {\n     rewrite ^/web/(.*) /plex/web/$1? redirect;\n   }\n  }\n }\n}\n",
        ),
        ("root/path/to/proxy.conf", PROXY_CONF),
    ]);
    let c = &i.config;
    let r = &c.routes[0];
    assert_eq!((r.name.as_str(), r.path.as_str()), ("plex", "/plex/"));
    assert_eq!(r.upstreams[0].url.as_str(), "http://127.0.0.1:32400/");
    assert_eq!(r.upstreams[0].uri_path.as_deref(), Some("/"));
    let p = &r.proxy;
    assert_eq!(p.client_max_body_size, 10 << 20);
    assert_eq!(p.read_timeout.as_secs(), 240);
    assert_eq!(p.client_send_timeout.as_secs(), 300);
    assert!(p.next_upstream.http_503 && p.next_upstream.invalid_header);
    assert!(p.redirect_scheme && p.websocket && p.keepalive);
    assert!(
        p.location_rewrite.is_empty(),
        "an explicit proxy_redirect replaces the default"
    );
    let names: Vec<&str> = p.set_headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["host", "x-real-ip", "x-forwarded-for", "x-forwarded-proto"]
    );
    assert_eq!(p.hide_headers[0].as_str(), "x-frame-options");
    assert!(
        c.redirects.is_empty(),
        "inside location /plex/ nginx never sees /web/…"
    );
    has_warning(
        &i,
        "nginx.conf:7: if: never applied by nginx: inside location /plex/",
    );
    assert_eq!(c.server.listen[0].to_string(), "0.0.0.0:80");
    assert_eq!(i.warnings.len(), 1, "{:#?}", i.warnings);
}

#[test]
fn test_referer_redirect_at_server_level() {
    let i = imp("server {\n listen 80;\n location /plex/ { proxy_pass http://127.0.0.1:32400/; }\n if ($http_referer ~* /plex/) {\n  rewrite ^/web/(.*) /plex/web/$1? redirect;\n }\n}\n");
    let red = &i.config.redirects[0];
    assert_eq!(red.if_referer.as_ref().unwrap().as_str(), "(?i)/plex/");
    assert_eq!(
        (
            red.from.as_str(),
            red.to.as_str(),
            red.status,
            red.keep_query
        ),
        ("^/web/(.*)", "/plex/web/$1", 302, false)
    );
    assert!(i.warnings.is_empty(), "{:#?}", i.warnings);
}

#[test]
fn test_swag_variables_and_rewrite_break() {
    let i = import_files(&[
        (
            "nginx.conf",
            "server {\n listen 443 ssl;\n server_name _;\n include /config/nginx/proxy-confs/*.subfolder.conf;\n}\n",
        ),
        (
            "root/config/nginx/proxy-confs/plex.subfolder.conf",
            "location /plex {\n    return 301 $scheme://$host/plex/;\n}\nlocation ^~ /plex/ {\n    include /config/nginx/proxy.conf;\n    set $upstream_app 127.0.0.1;\n    set $upstream_port 32400;\n    set $upstream_proto http;\n    rewrite /plex(.*) $1 break;\n    proxy_pass $upstream_proto://$upstream_app:$upstream_port;\n    proxy_set_header X-Plex-Token $http_x_plex_token;\n}\n",
        ),
        ("root/config/nginx/proxy.conf", "proxy_set_header Host $host;\nproxy_set_header X-Forwarded-Method $request_method;\nproxy_set_header X-Original-URL $scheme://$http_host$request_uri;\nproxy_set_header Early-Data $ssl_early_data;\nproxy_set_header Connection $connection_upgrade;\nproxy_set_header Upgrade $http_upgrade;\n"),
        ("root/config/nginx/proxy-confs/x.subfolder.conf.sample", "not nginx at all {"),
    ]);
    let c = &i.config;
    let r = &c.routes[0];
    assert_eq!(r.path, "/plex/");
    assert_eq!(r.upstreams[0].url.as_str(), "http://127.0.0.1:32400/");
    assert!(r.hosts.is_empty(), "the default server takes any host");
    let names: Vec<&str> = r
        .proxy
        .set_headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        names,
        ["host", "x-forwarded-method", "x-original-url", "early-data", "x-plex-token"],
        "proxy.conf is included in the location itself: one list; Upgrade/Connection become websocket"
    );
    assert!(r.proxy.websocket);
    let red = &c.redirects[0];
    assert_eq!(red.to, "$scheme://$host/plex/");
    assert!(red.from.is_match("/plex") && !red.from.is_match("/plex/web"));
    assert_eq!(red.scheme, Some("https"));
}

#[test]
fn test_nested_auth_request_off_and_organizr_identity() {
    let i = imp(
        "server {\n listen 80;\n location ~ /auth-(.*) {\n  internal;\n  proxy_pass http://127.0.0.1:8080/api/v2/auth/$1;\n  proxy_set_header Content-Length \"\";\n }\n location /sonarr {\n  auth_request /auth-1;\n  auth_request_set $auth_user $upstream_http_x_organizr_user;\n  auth_request_set $auth_email $upstream_http_x_organizr_email;\n  proxy_set_header X-WEBAUTH-USER $auth_user;\n  proxy_set_header X-WEBAUTH-EMAIL $auth_email;\n  proxy_pass http://127.0.0.1:8989/sonarr;\n  error_page 401 = @login;\n  location /sonarr/api {\n   auth_request off;\n   proxy_pass http://127.0.0.1:8989/sonarr/api;\n  }\n }\n location @login { return 302 /gatehouse/login; }\n}\n",
    );
    let c = &i.config;
    assert_eq!(c.routes.len(), 2, "{}", i.toml);
    let (main, api) = (&c.routes[0], &c.routes[1]);
    assert_eq!(
        (main.path.as_str(), main.auth),
        ("/sonarr", AuthLevel::Group(1))
    );
    assert_eq!(main.identity_headers.len(), 2);
    assert_eq!(main.identity_headers[0].0.as_str(), "x-webauth-user");
    assert_eq!(main.identity_headers[1].1, IdentityField::Email);
    assert_eq!(
        (api.path.as_str(), api.auth),
        ("/sonarr/api", AuthLevel::None)
    );
    assert!(api.identity_headers.is_empty());
    let names: Vec<&str> = api
        .proxy
        .set_headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        names,
        ["host"],
        "inherited identity headers go, $proxy_host Host comes"
    );
    assert_eq!(
        api.upstreams[0].url.as_str(),
        "http://127.0.0.1:8989/sonarr/api"
    );
    assert_eq!(
        main.proxy.location_rewrite,
        [(
            "http://127.0.0.1:8989/sonarr".to_owned(),
            "/sonarr".to_owned()
        )],
        "proxy_redirect default"
    );
    assert!(i.warnings.is_empty(), "{:#?}", i.warnings);
}

#[test]
fn test_server_names_wildcards_and_https_redirect() {
    let i = imp(
        "upstream plex_backend { server 127.0.0.1:32400 weight=5 max_fails=3; server 127.0.0.1:32401 backup; keepalive 32; }\nserver {\n listen 80 default_server;\n server_name _;\n return 301 https://$host$request_uri;\n}\nserver {\n listen 443 ssl default_server;\n server_name _;\n ssl_certificate /etc/ssl/d.crt;\n ssl_certificate_key /etc/ssl/d.key;\n location / { proxy_pass http://127.0.0.1:9; }\n}\nserver {\n listen 443 ssl http2;\n server_name plex.example.com *.plex.example.org sonarr.*;\n ssl_certificate /etc/ssl/a.crt;\n ssl_certificate_key /etc/ssl/a.key;\n location / { proxy_pass http://plex_backend; }\n}\n",
    );
    let c = &i.config;
    assert!(
        c.routes[0].hosts.is_empty(),
        "the default server answers every other host"
    );
    has_warning(
        &i,
        "nginx.conf:1: server: weight=5: weights are not supported",
    );
    has_warning(
        &i,
        "nginx.conf:1: server: max_fails=3: no passive health state",
    );
    has_warning(
        &i,
        "nginx.conf:1: server: backup: written last in the failover order",
    );
    let r = &c.routes[1];
    let hosts: Vec<String> = r.hosts.iter().map(ToString::to_string).collect();
    assert_eq!(
        hosts,
        ["plex.example.com", "*.plex.example.org", "sonarr.*"]
    );
    let ups: Vec<&str> = r.upstreams.iter().map(|u| u.url.as_str()).collect();
    assert_eq!(ups, ["http://127.0.0.1:32400/", "http://127.0.0.1:32401/"]);
    assert!(r.upstreams[0].uri_path.is_none());
    assert_eq!(
        r.proxy.set_headers[0].1.as_static(),
        Some("plex_backend"),
        "nginx's $proxy_host of an upstream block"
    );
    let red = &c.redirects[0];
    assert_eq!(
        (red.scheme, red.status, red.to.as_str()),
        (Some("http"), 301, "https://$host$request_uri")
    );
    assert!(red.hosts.is_empty());
    assert_eq!(c.server.tls_listen[0].to_string(), "0.0.0.0:443");
    assert!(
        i.toml
            .contains("cp /etc/ssl/a.crt certs/plex.example.com.crt"),
        "{}",
        i.toml
    );
    assert!(
        i.toml.contains("certs/_.plex.example.org.crt"),
        "{}",
        i.toml
    );
    assert!(
        i.toml.contains("cp /etc/ssl/d.crt certs/default.crt"),
        "{}",
        i.toml
    );
}

#[test]
fn test_locations_exact_regex_and_add_header() {
    let i = imp(
        "server {\n listen 80;\n add_header X-Frame-Options SAMEORIGIN;\n add_header X-Xss-Protection \"1; mode=block\" always;\n location = /health { proxy_pass http://127.0.0.1:9000; }\n location ~ ^/api(.*) { proxy_pass http://127.0.0.1:9001; }\n location ~* \\.php$ { fastcgi_pass 127.0.0.1:9000; }\n location / { proxy_pass http://127.0.0.1:9002/; add_header Cache-Control no-store; }\n}\n",
    );
    let c = &i.config;
    let exact = c.routes.iter().find(|r| r.path == "/health").unwrap();
    assert!(exact.exact);
    assert_eq!(exact.proxy.add_headers.len(), 2);
    assert!(exact.proxy.add_headers[1].always);
    assert!(c.routes.iter().any(|r| r.path == "/api" && !r.exact));
    let root = c.routes.iter().find(|r| r.path == "/").unwrap();
    assert_eq!(
        root.proxy.add_headers.len(),
        1,
        "a location's add_header replaces the server's"
    );
    has_warning(
        &i,
        "nginx.conf:7: location: ~* \\.php$: only anchored prefixes",
    );
}

#[test]
fn test_every_warning_names_its_line() {
    let i = imp(
        "http {\n gzip on;\n map $geoip_country_code $allowed { default no; US yes; }\n server {\n  listen 80;\n  location /app/ {\n   proxy_pass http://127.0.0.1:9000/;\n   sub_filter '</head>' '<link>';\n   proxy_cache_valid 200 1m;\n   proxy_buffering off;\n   proxy_pass_request_headers off;\n   limit_req zone=one;\n   auth_basic \"Restricted\";\n   proxy_set_header X-Port $remote_port;\n   proxy_set_header X-Country $allowed;\n   add_header Set-Cookie $cookie_x;\n   proxy_redirect ~^http://(.*)$ /$1;\n   error_page 404 /404.html;\n   allow 192.168.0.0/16;\n   deny all;\n   proxy_cookie_path / \"/; Secure\";\n   if ($request_method = OPTIONS) { return 204; }\n   rewrite ^/app/old /app/new last;\n  }\n  location /static/ { root /var/www; }\n  location /files/ { try_files $uri =404; }\n  location ~ ^/(sonarr|radarr) { proxy_pass http://127.0.0.1:1; }\n  location /teapot { return 418; }\n  location /nested { proxy_pass http://127.0.0.1:2; location /nested/inner { auth_request off; } }\n }\n}\n",
    );
    for prefix in [
        "nginx.conf:2: gzip: responses are passed",
        "nginx.conf:3: map: maps are not imported",
        "nginx.conf:8: sub_filter: response bodies are passed unchanged",
        "nginx.conf:9: proxy_cache_valid: Gatehouse has no response cache",
        "nginx.conf:10: proxy_buffering: Gatehouse always streams",
        "nginx.conf:11: proxy_pass_request_headers: the client's headers are always passed",
        "nginx.conf:12: limit_req: no request rate limit",
        "nginx.conf:13: auth_basic: HTTP basic auth is not imported",
        "nginx.conf:14: proxy_set_header: X-Port: $remote_port has no Gatehouse equivalent",
        "nginx.conf:15: proxy_set_header: X-Country: $allowed comes from a map/geo block",
        "nginx.conf:16: add_header: Set-Cookie: only fixed values are converted",
        "nginx.conf:17: proxy_redirect: ~^http://(.*)$ /$1: only default, off",
        "nginx.conf:18: error_page: 404: custom error pages are not supported",
        "nginx.conf:19: allow: no IP allow/deny lists",
        "nginx.conf:20: deny: no IP allow/deny lists",
        "nginx.conf:21: proxy_cookie_path: Set-Cookie from upstreams is passed unchanged",
        "nginx.conf:22: if: ($request_method = OPTIONS): only if ($http_referer",
        "nginx.conf:23: rewrite: only prefix strips",
        "nginx.conf:25: root: Gatehouse serves no static files",
        "nginx.conf:26: try_files: Gatehouse serves no static files",
        "nginx.conf:27: location: ~ ^/(sonarr|radarr): only anchored prefixes",
        "nginx.conf:28: return: return 418: Gatehouse has no key for a fixed answer",
        "nginx.conf:29: location: /nested/inner has no proxy_pass",
    ] {
        has_warning(&i, prefix);
    }
    let app = &i.config.routes[0];
    assert_eq!(
        app.auth,
        AuthLevel::Group(crate::groups::MEMBER),
        "auth_basic keeps the route protected"
    );
    assert!(
        i.toml.contains("# warning: "),
        "warnings are comments above the route too"
    );
}

#[test]
fn test_other_auth_servers_become_member() {
    let i = import_files(&[
        ("nginx.conf", "server {\n listen 80;\n location /authelia { internal; proxy_pass http://authelia:9091/api/verify; }\n location / {\n  include /config/nginx/authelia-location.conf;\n  proxy_pass http://127.0.0.1:9000;\n }\n}\n"),
        ("root/config/nginx/authelia-location.conf", "auth_request /authelia;\nauth_request_set $user $upstream_http_remote_user;\nauth_request_set $groups $upstream_http_remote_groups;\nproxy_set_header Remote-User $user;\nproxy_set_header Remote-Groups $groups;\nerror_page 401 =302 https://auth.example.com/?rd=$target_url;\n"),
    ]);
    let r = &i.config.routes[0];
    assert_eq!(r.auth, AuthLevel::Group(crate::groups::MEMBER));
    assert_eq!(r.identity_headers.len(), 2);
    assert_eq!(r.identity_headers[1].1, IdentityField::GroupName);
    has_warning(
        &i,
        "root/config/nginx/authelia-location.conf:1: auth_request: Authelia is not imported",
    );
}

#[test]
fn test_bad_input_errors_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "trunc.conf",
            b"http {\n server {\n  listen 80;\n",
            "trunc.conf:3: unexpected end of file, expecting \"}\"",
        ),
        (
            "unknown.conf",
            b"server {\n location / {\n  proxy_passs http://x;\n }\n}\n",
            "unknown.conf:3: unknown directive \"proxy_passs\"",
        ),
        (
            "binary.conf",
            b"\x7fELF\x02\x01\x01\0\0\0",
            "binary.conf:1: not a text file",
        ),
        (
            "missing.conf",
            b"http {\n include /nowhere/proxy.conf;\n}\n",
            "missing.conf:2: include: cannot open",
        ),
    ];
    for (name, bytes, want) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = import(&Options {
            file: p,
            prefix: None,
            certs_dir: None,
        })
        .unwrap_err()
        .to_string();
        let e = e.replace(&format!("{}/", d.path().display()), "");
        assert!(e.starts_with(want), "{name}: {e}");
    }
}

#[test]
fn test_server_and_listener_warnings_name_the_line() {
    let i = imp(
        "http {\n real_ip_header CF-Connecting-IP;\n set_real_ip_from 10.0.0.0/8;\n rewrite ^ /x;\n proxy_pass http://x;\n server {\n  listen 443 ssl quic;\n  listen [::]:443 ssl;\n  listen 80 proxy_protocol;\n  listen localhost:8080;\n  listen myhost:81;\n  server_name ~^(?<app>.+)\\.example\\.com$ app.example.com;\n  rewrite ^/a /b last;\n  location / { proxy_pass http://127.0.0.1:9; }\n }\n server {\n  listen 443 ssl;\n  server_name other.test;\n  return 301 https://x.test/;\n  location / { proxy_pass http://127.0.0.1:9; }\n }\n server {\n  listen 443 ssl;\n  server_name cert.test sonarr.* ~^x$;\n  ssl_certificate /etc/ssl/c.crt;\n  ssl_certificate_key /etc/ssl/c.key;\n  location / { proxy_pass http://127.0.0.1:9; }\n }\n}\n",
    );
    for prefix in [
        "nginx.conf:2: real_ip_header: only X-Forwarded-For is read",
        "nginx.conf:4: rewrite: not allowed in the http block by nginx",
        "nginx.conf:5: proxy_pass: not used in this block",
        "nginx.conf:7: listen: HTTP/3 is not supported",
        "nginx.conf:8: listen: [::]:443 is left out",
        "nginx.conf:9: listen: PROXY protocol is not supported",
        "nginx.conf:11: listen: myhost:81: Gatehouse listens on IP:PORT only",
        "nginx.conf:22: server_name: ~^x$: regular-expression host names are not supported",
        "nginx.conf:13: rewrite: internal rewrites (last, break or none) are not supported",
        "nginx.conf:16: server: every request of this server is redirected by its return",
        "nginx.conf:16: listen: an ssl listener without ssl_certificate",
        "nginx.conf:25: ssl_certificate: sonarr.*: certificates are chosen by exact name or *.domain",
        "nginx.conf:25: ssl_certificate: not copied: Gatehouse reads certificates from certs_dir",
    ] {
        has_warning(&i, prefix);
    }
    assert_eq!(i.config.server.trusted_proxies[0].to_string(), "10.0.0.0/8");
    assert_eq!(i.config.server.listen[1].to_string(), "127.0.0.1:8080");
}

#[test]
fn test_location_and_value_warnings_name_the_line() {
    let i = imp(
        "upstream empty { server unix:/run/app.sock; least_conn; }\nserver {\n listen 80;\n location ~* ^/Media { proxy_pass http://127.0.0.1:1; }\n location /Media/longer/ { proxy_pass http://127.0.0.1:2; }\n location /strip/ { rewrite ^/other(.*) $1 break; proxy_pass http://127.0.0.1:3; }\n location /vars/ { set $app 127.0.0.1; proxy_pass http://$app:4/fixed; }\n location /sock/ { proxy_pass http://unix:/run/x.sock; }\n location /empty/ { proxy_pass http://empty; }\n location /unknown/ { auth_request /checker; proxy_pass http://127.0.0.1:5; }\n location /wl/ { auth_request /auth-0; proxy_pass http://127.0.0.1:6; }\n location ~ /auth-(.*) { internal; proxy_pass http://127.0.0.1:81/api/v2/auth/$1/whitelist/10.0.0.1; }\n location /t/ {\n  proxy_read_timeout soon;\n  client_max_body_size 5q;\n  proxy_next_upstream error http_418;\n  add_header X-Empty \"\";\n  proxy_redirect http://a/ $scheme://b/;\n  rewrite ^/elsewhere(.*) /x redirect;\n  rewrite ^/t/(.*) /new/$1 redirect;\n  rewrite ([a-z]+) /z redirect;\n  proxy_pass http://127.0.0.1:7;\n }\n}\n",
    );
    for prefix in [
        "nginx.conf:4: location: ~* ^/Media: matched case-sensitively, as /Media",
        "nginx.conf:4: location: in nginx this regex also wins over /Media/longer/",
        "nginx.conf:6: rewrite: the rewrite only applies to paths starting with /other",
        "nginx.conf:7: proxy_pass: with variables, nginx sends this URI for every request",
        "nginx.conf:8: proxy_pass: unix-socket upstreams are not supported",
        "nginx.conf:9: proxy_pass: upstream empty has no usable server",
        "nginx.conf:1: server: unix-socket upstreams are not supported",
        "nginx.conf:1: least_conn: no load balancing",
        "nginx.conf:10: auth_request: /checker (reaching /checker) is not a known auth server",
        "nginx.conf:11: auth_request: Organizr's IP white/blacklist is not imported",
        "nginx.conf:14: proxy_read_timeout: \"soon\" is not an nginx time",
        "nginx.conf:15: client_max_body_size: \"5q\" is not an nginx size",
        "nginx.conf:16: proxy_next_upstream: http_418: not a condition Gatehouse knows",
        "nginx.conf:17: add_header: X-Empty: only fixed values are converted",
        "nginx.conf:18: proxy_redirect: http://a/ $scheme://b/: only default, off",
        "nginx.conf:19: rewrite: never applied by nginx: inside location /t/ every path starts with /t/",
        "nginx.conf:21: rewrite: applies to every path matching ([a-z]+), not only inside location /t/",
    ] {
        has_warning(&i, prefix);
    }
    let t = i.config.routes.iter().find(|r| r.path == "/t/").unwrap();
    assert_eq!(
        t.proxy.read_timeout.as_secs(),
        60,
        "nginx's default after the bad value"
    );
    assert!(
        i.config.redirects.iter().any(|r| r.to == "/new/$1"),
        "the rewrite inside its location is kept"
    );
}
