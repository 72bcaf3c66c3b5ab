//! Real nginx `auth_request` → Gatehouse's Organizr-compatible auth API →
//! upstream sees `X-WEBAUTH-USER` from `auth_request_set` (README
//! "Organizr-compatible auth API").

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::require;

use crate::support::binary::client;
use crate::support::ports::free_port;
use crate::support::upstream::EchoServer;

use super::common::{add_user, builder, login, POLL, WITHIN};

/// How to get Debian's nginx (`.ci/run` installs it).
const NGINX_INSTALL: &str = "apt-get install nginx-light";

/// An nginx child process in its own prefix directory; killed on drop.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(nginx: &Path, gateway_port: u16, echo_port: u16) -> Nginx {
        let dir = tempfile::tempdir().expect("nginx prefix");
        let port = free_port();
        let p = dir.path().display();
        let conf = format!(
            "worker_processes 1;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {p}/body; proxy_temp_path {p}/proxy;\n\
               fastcgi_temp_path {p}/fcgi; uwsgi_temp_path {p}/uwsgi; scgi_temp_path {p}/scgi;\n\
               upstream gatehouse_auth {{ server 127.0.0.1:{gateway_port}; keepalive 8; }}\n\
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
               }}\n\
             }}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).expect("write nginx.conf");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-g")
            .arg(format!("daemon off; pid {p}/nginx.pid; error_log stderr;"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx");
        Nginx {
            child,
            port,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits until nginx accepts connections.
    async fn ready(&mut self) {
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited during start-up: {status}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nginx not listening"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn test_nginx_auth_request_passes_organizr_user() {
    let Some(nginx) = require::program("accounts::nginx", "nginx", NGINX_INSTALL) else {
        return;
    };
    let echo = EchoServer::start();
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    add_user(&gw, "custom", "7", "pw-custom");
    let mut nginx = Nginx::start(&nginx, gw.port, echo.port());
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
