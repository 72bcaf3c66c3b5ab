//! The default of every configuration key (docs/configuration.md), as named constants, and
//! the default `[proxy]` settings (the seed's `proxy.conf`).
//!
//! A key that is absent from the file takes the value here; an empty file is a
//! valid configuration.

use std::time::Duration;

use http::header::HeaderName;

use super::model::{HeaderTemplate, NextUpstream, ProxySettings, TemplatePart};

/// `[server] listen`.
pub const DEFAULT_LISTEN: &[&str] = &["127.0.0.1:8080"];
/// `[server] certs_dir`.
pub const DEFAULT_CERTS_DIR: &str = "certs";
/// `[server] public_url`.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// `[server] data_dir`.
pub const DEFAULT_DATA_DIR: &str = "data";
/// `[server] threads` (0 = one worker per core).
pub const DEFAULT_THREADS: usize = 0;
/// `[server] keepalive_timeout`: nginx's default (`0s` = close after each response).
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(75);
/// `[server] drain_timeout`: how long an old process waits for its requests
/// in flight after an upgrade or a stop.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// `[server] keepalive_requests`: nginx's default.
pub const DEFAULT_KEEPALIVE_REQUESTS: u32 = 1000;

/// `[portal] prefix`.
pub const DEFAULT_PORTAL_PREFIX: &str = "/gatehouse";
/// `[portal] home`.
pub const DEFAULT_PORTAL_HOME: &str = "/";

/// `[session] cookie`.
pub const DEFAULT_SESSION_COOKIE: &str = "gatehouse_session";
/// `[session] lifetime`.
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(86_400);
/// `[session] remember_me`.
pub const DEFAULT_SESSION_REMEMBER_ME: Duration = Duration::from_secs(7 * 86_400);
/// `[session] idle_timeout` (0 = off).
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::ZERO;

/// `[login] max_failures`.
pub const DEFAULT_LOGIN_MAX_FAILURES: u32 = 5;
/// `[login] window`.
pub const DEFAULT_LOGIN_WINDOW: Duration = Duration::from_secs(120);
/// `[login] ban`.
pub const DEFAULT_LOGIN_BAN: Duration = Duration::from_secs(300);

/// `[plex] oauth`.
pub const DEFAULT_PLEX_OAUTH: bool = true;
/// `[plex] strict_friends`.
pub const DEFAULT_PLEX_STRICT_FRIENDS: bool = true;
/// `[plex] new_user_group` and `[sso.tautulli] min_group`.
pub const DEFAULT_USER_GROUP: u16 = crate::groups::USER;
/// `[plex] api_url`.
pub const DEFAULT_PLEX_API_URL: &str = "https://plex.tv";
/// `[plex] app_url`.
pub const DEFAULT_PLEX_APP_URL: &str = "https://app.plex.tv";

/// `[proxy] client_max_body_size` (10m).
pub const DEFAULT_CLIENT_MAX_BODY_SIZE: u64 = 10 << 20;
/// `[proxy] client_body_buffer_size` (128k).
pub const DEFAULT_CLIENT_BODY_BUFFER_SIZE: u64 = 128 << 10;
/// `[proxy] connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(240);
/// `[proxy] read_timeout`.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(240);
/// `[proxy] send_timeout` (nginx `proxy_send_timeout`).
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(240);
/// `[proxy] client_send_timeout` (nginx `send_timeout`).
pub const DEFAULT_CLIENT_SEND_TIMEOUT: Duration = Duration::from_secs(300);
/// `[proxy] next_upstream`.
pub const DEFAULT_NEXT_UPSTREAM: NextUpstream = NextUpstream {
    error: true,
    timeout: true,
    invalid_header: true,
    http_500: true,
    http_502: true,
    http_503: true,
    http_504: false,
    http_403: false,
    http_404: false,
    http_429: false,
    non_idempotent: false,
};
/// `[proxy] next_upstream_tries` (0 = each upstream once).
pub const DEFAULT_NEXT_UPSTREAM_TRIES: u32 = 0;
/// `[proxy] hide_headers`.
pub const DEFAULT_HIDE_HEADERS: &[&str] = &["x-frame-options"];
/// `[proxy] redirect_scheme`.
pub const DEFAULT_REDIRECT_SCHEME: bool = true;
/// `[proxy] websocket`.
pub const DEFAULT_WEBSOCKET: bool = true;
/// `[proxy] keepalive`.
pub const DEFAULT_KEEPALIVE: bool = true;

/// `[redirect] status`.
pub const DEFAULT_REDIRECT_STATUS: u16 = 302;

/// `[proxy] set_headers`: the seed's four `proxy_set_header` lines, in order:
/// `Host $host:$server_port`, `X-Real-IP $remote_addr`,
/// `X-Forwarded-For $proxy_add_x_forwarded_for`, `X-Forwarded-Proto https`.
pub fn default_set_headers() -> Vec<(HeaderName, HeaderTemplate)> {
    let template = |parts| HeaderTemplate { parts };
    vec![
        (
            http::header::HOST,
            template(vec![
                TemplatePart::Host,
                TemplatePart::Literal(":".to_owned()),
                TemplatePart::ServerPort,
            ]),
        ),
        (
            HeaderName::from_static("x-real-ip"),
            template(vec![TemplatePart::RemoteAddr]),
        ),
        (
            HeaderName::from_static("x-forwarded-for"),
            template(vec![TemplatePart::ProxyAddXForwardedFor]),
        ),
        (
            HeaderName::from_static("x-forwarded-proto"),
            template(vec![TemplatePart::Literal("https".to_owned())]),
        ),
    ]
}

/// The `[proxy]` settings of an empty file.
pub fn default_proxy_settings() -> ProxySettings {
    ProxySettings {
        client_max_body_size: DEFAULT_CLIENT_MAX_BODY_SIZE,
        client_body_buffer_size: DEFAULT_CLIENT_BODY_BUFFER_SIZE,
        connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        read_timeout: DEFAULT_READ_TIMEOUT,
        send_timeout: DEFAULT_SEND_TIMEOUT,
        client_send_timeout: DEFAULT_CLIENT_SEND_TIMEOUT,
        next_upstream: DEFAULT_NEXT_UPSTREAM,
        next_upstream_tries: DEFAULT_NEXT_UPSTREAM_TRIES,
        hide_headers: DEFAULT_HIDE_HEADERS
            .iter()
            .map(|h| HeaderName::from_static(h))
            .collect(),
        set_headers: default_set_headers(),
        redirect_scheme: DEFAULT_REDIRECT_SCHEME,
        websocket: DEFAULT_WEBSOCKET,
        keepalive: DEFAULT_KEEPALIVE,
        add_headers: Vec::new(),
        location_rewrite: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::template::parse_template;

    #[test]
    fn test_default_set_headers_match_design() {
        let expected = [
            ("host", "$host:$server_port"),
            ("x-real-ip", "$remote_addr"),
            ("x-forwarded-for", "$proxy_add_x_forwarded_for"),
            ("x-forwarded-proto", "https"),
        ];
        let got = default_set_headers();
        assert_eq!(got.len(), expected.len());
        for ((name, template), (want_name, want_text)) in got.iter().zip(expected) {
            assert_eq!(name.as_str(), want_name);
            assert_eq!(template, &parse_template(want_text).unwrap());
        }
    }

    #[test]
    fn test_default_proxy_settings_values() {
        let p = default_proxy_settings();
        assert_eq!(p.client_max_body_size, 10 * 1024 * 1024);
        assert_eq!(p.client_body_buffer_size, 128 * 1024);
        assert_eq!(p.client_send_timeout, Duration::from_secs(300));
        assert_eq!(
            p.hide_headers,
            vec![HeaderName::from_static("x-frame-options")]
        );
        assert!(p.next_upstream.http_503 && !p.next_upstream.http_504);
        assert!(p.redirect_scheme && p.websocket && p.keepalive);
    }
}
