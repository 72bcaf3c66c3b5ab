//! The differential harness: one nginx configuration from
//! `tests/fixtures/nginx/CASE/`, run by real nginx and, after
//! `gatehouse import nginx`, by the real gateway; both proxy to the same
//! echo upstream, and nginx's `auth_request` goes to that gateway's
//! Organizr-compatible API. Every request is sent to both, with and
//! without a session, and what the upstream received (method, target,
//! body, headers) and what the client got (status, `Location`, chosen
//! response headers) must be the same.
//!
//! Placeholders in the fixtures: `@PORT@` nginx's port, `@TLS@` a TLS
//! port, `@ECHO@`/`@ECHOPORT@` the echo upstream, `@GW@`/`@GWPORT@` the
//! gateway, `@DEAD@` a port nobody listens on, `@CERTS@` the repository's
//! test certificates. Absolute includes (`/config/nginx/…`) live under the
//! case's `root/`: the import finds them with `--prefix`, nginx with the
//! paths rewritten into its copy.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::accounts::common::{add_user, builder, login};
use crate::support::binary::{client, Gateway};
use crate::support::nginx::{self, Nginx};
use crate::support::ports::free_port;
use crate::support::upstream::{dead_port, EchoServer, Recorded};

/// Upstream request headers not compared: hop-by-hop ones (Gatehouse
/// pools connections and sends `Upgrade` only on handshakes), and `Cookie`
/// (Gatehouse never passes its own session cookie upstream).
const NOT_COMPARED: &[&str] = &["connection", "keep-alive", "upgrade", "te", "cookie"];

/// One request of a case.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: &'static str,
    pub path: &'static str,
    pub host: Option<&'static str>,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    /// Send the signed-in user's session cookie.
    pub session: bool,
}

/// `GET path`.
pub fn get(path: &'static str) -> Req {
    Req {
        method: "GET",
        path,
        host: None,
        headers: vec![("X-Client-Header", "from the client".to_owned())],
        body: None,
        session: false,
    }
}

impl Req {
    /// With `Host: host`.
    pub fn host(mut self, host: &'static str) -> Req {
        self.host = Some(host);
        self
    }

    /// With a header.
    pub fn header(mut self, name: &'static str, value: &str) -> Req {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// With the session cookie of the signed-in user.
    pub fn session(mut self) -> Req {
        self.session = true;
        self
    }

    /// `POST` with `body`.
    pub fn post(mut self, body: &str) -> Req {
        self.method = "POST";
        self.body = Some(body.to_owned());
        self
    }

    /// Both ways: without and with the session.
    pub fn both(self) -> [Req; 2] {
        [self.clone(), self.session()]
    }
}

/// What one side did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub status: u16,
    pub location: Option<String>,
    pub response_headers: Vec<(String, String)>,
    /// What the upstream received, `None` when nothing reached it.
    pub upstream: Option<Upstream>,
}

/// A request as the echo upstream received it, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub method: String,
    pub target: String,
    pub body: String,
    pub headers: BTreeMap<String, Vec<String>>,
}

/// A case's files with the placeholders filled in.
struct Placeholders {
    pairs: Vec<(&'static str, String)>,
}

impl Placeholders {
    fn fill(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (k, v) in &self.pairs {
            out = out.replace(k, v);
        }
        out
    }
}

fn copy_tree(from: &Path, to: &Path, edit: &dyn Fn(&str) -> String) {
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target, edit);
        } else {
            let text = std::fs::read_to_string(entry.path()).expect("read fixture");
            std::fs::write(&target, edit(&text)).expect("write fixture copy");
        }
    }
}

/// `key:port` occurrences of `port` as `:{port}`.
fn unport(text: &str, port: u16) -> String {
    text.replace(&format!(":{port}"), ":{port}")
}

/// A `Location` as an absolute URL with the side's own address normalized.
fn location(value: &str, host: &str, port: u16) -> String {
    let absolute = if value.starts_with('/') {
        format!("http://{host}:{port}{value}")
    } else {
        value.to_owned()
    };
    unport(&absolute, port)
}

/// Sends `req` to `base` (`http://127.0.0.1:PORT`) and records the outcome.
async fn send(
    req: &Req,
    port: u16,
    cookie: &str,
    echo: &EchoServer,
    response_headers: &[&str],
) -> Seen {
    let before = echo.requests().len();
    let url = format!("http://127.0.0.1:{port}{}", req.path);
    let method = http::Method::from_bytes(req.method.as_bytes()).expect("method");
    let mut r = client().request(method, &url);
    if let Some(h) = req.host {
        r = r.header("Host", h);
    }
    for (k, v) in &req.headers {
        r = r.header(*k, v.as_str());
    }
    if req.session {
        r = r.header("Cookie", cookie);
    }
    if let Some(b) = &req.body {
        r = r.body(b.clone());
    }
    let resp = r
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {url}: {e}", req.method));
    let status = resp.status().as_u16();
    let host = req.host.unwrap_or("127.0.0.1");
    let location = resp
        .headers()
        .get("location")
        .map(|v| location(v.to_str().unwrap_or(""), host, port));
    let mut response = Vec::new();
    for name in response_headers {
        for v in resp.headers().get_all(*name) {
            response.push((name.to_string(), v.to_str().unwrap_or("").to_owned()));
        }
    }
    let _ = resp.bytes().await;
    let requests = echo.requests();
    let upstream =
        (requests.len() > before).then(|| normalize(&requests[requests.len() - 1], port));
    assert!(
        requests.len() <= before + 1,
        "{url}: more than one upstream request"
    );
    Seen {
        status,
        location,
        response_headers: response,
        upstream,
    }
}

fn normalize(r: &Recorded, port: u16) -> Upstream {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (n, v) in &r.headers {
        let n = n.to_ascii_lowercase();
        if NOT_COMPARED.contains(&n.as_str()) {
            continue;
        }
        headers.entry(n).or_default().push(unport(v, port));
    }
    Upstream {
        method: r.method.clone(),
        target: r.target.clone(),
        body: String::from_utf8_lossy(&r.body).into_owned(),
        headers,
    }
}

/// What a run of a case gives, for extra assertions.
pub struct Ran {
    pub toml: String,
    pub stderr: String,
    /// Per request: (nginx, gateway).
    pub seen: Vec<(Seen, Seen)>,
}

/// Runs `case` with `requests`; `None` when nginx is not installed (skipped).
pub async fn run(case: &str, requests: &[Req], response_headers: &[&str]) -> Option<Ran> {
    if !nginx::available(&format!("import_nginx::{case}")) {
        return None;
    }
    let echo = EchoServer::start();
    let gw_port = free_port();
    let nginx_port = free_port();
    let tls_port = free_port();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = repo.join("tests/fixtures/nginx").join(case);
    let tmp = tempfile::tempdir().expect("temp dir");
    let ph = Placeholders {
        pairs: vec![
            ("@PORT@", nginx_port.to_string()),
            ("@TLS@", tls_port.to_string()),
            ("@ECHOPORT@", echo.port().to_string()),
            ("@ECHO@", format!("127.0.0.1:{}", echo.port())),
            ("@GWPORT@", gw_port.to_string()),
            ("@GW@", format!("127.0.0.1:{gw_port}")),
            ("@DEAD@", dead_port().to_string()),
            ("@CERTS@", repo.join("certs").display().to_string()),
        ],
    };
    let import_dir = tmp.path().join("import");
    let nginx_dir = tmp.path().join("nginx");
    std::fs::create_dir_all(&import_dir).expect("mkdir");
    std::fs::create_dir_all(&nginx_dir).expect("mkdir");
    copy_tree(&fixture, &import_dir, &|t| ph.fill(t));
    let nginx_root = nginx_dir.join("root").display().to_string();
    copy_tree(&fixture, &nginx_dir, &|t| {
        ph.fill(t)
            .replace("include /", &format!("include {nginx_root}/"))
    });

    // The import, through the real binary.
    let out_toml = tmp.path().join("imported.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["import", "nginx"])
        .arg(import_dir.join("site.conf"))
        .arg("--prefix")
        .arg(import_dir.join("root"))
        .arg("-o")
        .arg(&out_toml)
        .output()
        .expect("run gatehouse import nginx");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "import of {case} failed:\n{stderr}");
    let toml = std::fs::read_to_string(&out_toml).expect("imported toml");
    let mut doc: toml_edit::DocumentMut = toml.parse().expect("imported toml parses");
    doc.remove("server");

    let gw: Gateway = builder(&doc.to_string()).port(gw_port).start();
    add_user(&gw, "alice", "co-admin", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;

    let mut ngx = Nginx::start(
        &nginx_dir.join("prefix"),
        &format!("include {};", nginx_dir.join("site.conf").display()),
        nginx_port,
    );
    ngx.ready().await;

    let mut seen = Vec::new();
    for req in requests {
        let n = send(req, nginx_port, &cookie, &echo, response_headers).await;
        let mut g = send(req, gw_port, &cookie, &echo, response_headers).await;
        // The one intended difference: signed in but in too high a group,
        // Gatehouse answers 403 where Organizr's auth API makes nginx say 401.
        if req.session && n.status == 401 && g.status == 403 && g.upstream.is_none() {
            g.status = 401;
        }
        assert_eq!(
            n, g,
            "\n{case}: {} {} (host {:?}, session {}) differs: left nginx, right Gatehouse\n--- imported configuration:\n{toml}\n--- nginx log:\n{}",
            req.method, req.path, req.host, req.session, ngx.log()
        );
        seen.push((n, g));
    }
    Some(Ran { toml, stderr, seen })
}
