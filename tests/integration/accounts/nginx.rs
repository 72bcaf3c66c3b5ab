//! Real nginx `auth_request` → Gatehouse's Organizr-compatible auth API →
//! upstream sees `X-WEBAUTH-USER` from `auth_request_set` (README
//! "Organizr-compatible auth API").

use crate::support::binary::client;
use crate::support::nginx::{self, Nginx};
use crate::support::ports::free_port;
use crate::support::upstream::EchoServer;

use super::common::{add_user, builder, login};

/// The nginx configuration: `auth_request` to Gatehouse's Organizr API.
fn nginx_http(port: u16, gateway_port: u16, echo_port: u16) -> String {
    format!(
        "upstream gatehouse_auth {{ server 127.0.0.1:{gateway_port}; keepalive 8; }}\n\
         server {{\n\
           listen 127.0.0.1:{port};\n\
           location = /auth {{\n\
             internal;\n\
             proxy_pass http://gatehouse_auth/api/v2/auth/4;\n\
             proxy_http_version 1.1;\n\
             proxy_set_header Connection \"\";\n\
             proxy_pass_request_body off;\n\
             proxy_set_header Content-Length \"\";\n\
             proxy_set_header Cookie $http_cookie;\n\
           }}\n\
           location / {{\n\
             auth_request /auth;\n\
             auth_request_set $auth_user $upstream_http_x_organizr_user;\n\
             proxy_set_header X-WEBAUTH-USER $auth_user;\n\
             proxy_pass http://127.0.0.1:{echo_port};\n\
           }}\n\
         }}\n"
    )
}

#[tokio::test]
async fn test_nginx_auth_request_passes_organizr_user() {
    if !nginx::available("test_nginx_auth_request_passes_organizr_user") {
        return;
    }
    let echo = EchoServer::start();
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    add_user(&gw, "custom", "7", "pw-custom");
    let prefix = tempfile::tempdir().expect("nginx prefix");
    let port = free_port();
    let mut nginx = Nginx::start(prefix.path(), &nginx_http(port, gw.port, echo.port()), port);
    nginx.ready().await;

    // Signed out: the auth API says 401, nginx refuses, the upstream sees nothing.
    let resp = client().get(nginx.url("/sonarr/")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(echo.requests().is_empty());

    // Signed in (group 4 <= 4): nginx passes the user on from X-Organizr-User.
    let cookie = login(&gw, "alice", "pw-alice").await;
    let resp = client()
        .get(nginx.url("/sonarr/api?x=1"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = echo.last();
    assert_eq!(seen.target, "/sonarr/api?x=1");
    assert_eq!(seen.header_all("X-WEBAUTH-USER"), ["alice"]);

    // Group 7 > 4: refused (the API never answers 403, nginx turns 401 into 401).
    let other = login(&gw, "custom", "pw-custom").await;
    let resp = client()
        .get(nginx.url("/sonarr/"))
        .header("Cookie", &other)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(echo.requests().len(), 1);
}
