//! Shared pieces of the gateway SSO tests: the three fakes, the config
//! they are wired into, sign-in helpers, `Set-Cookie` parsing and the real
//! `gatehouse` CLI.

use std::net::SocketAddr;

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::binary::{client, Gateway, GatewayBuilder};
use crate::support::fakes::ombi::{OmbiFake, OMBI_API_KEY};
use crate::support::fakes::plex_tv::{PlexTvFake, ALICE, MACHINE_ID};
use crate::support::fakes::tautulli::{TautulliFake, TautulliOptions, TAUTULLI_API_KEY};

/// Cheap argon2 parameters for the gateway and the CLI.
pub const ARGON2: &str = "m=64,t=1,p=1";

/// The fake upstreams one test talks to.
pub struct Fakes {
    pub plex: PlexTvFake,
    pub ombi: OmbiFake,
    /// Instance at `/`.
    pub t1: TautulliFake,
    /// Instance at `/tautulli`.
    pub t2: TautulliFake,
}

impl Fakes {
    /// plex.tv, Ombi, and two Tautulli instances (`/` and `/tautulli`).
    pub fn start() -> Fakes {
        Fakes {
            plex: PlexTvFake::start(),
            ombi: OmbiFake::start(),
            t1: TautulliFake::start(TautulliOptions::default()),
            t2: TautulliFake::start(TautulliOptions {
                root: "/tautulli".into(),
                ..TautulliOptions::default()
            }),
        }
    }
}

/// What a test varies in the configuration.
#[derive(Debug, Clone)]
pub struct Setup {
    pub backend: &'static str,
    pub strict: bool,
    pub domain: &'static str,
    pub plex_sso: bool,
    pub ombi: bool,
    pub ombi_url: bool,
    pub ombi_key: String,
    pub fallback: bool,
    pub tautulli: bool,
    /// Tautulli instance URLs (default: both fakes).
    pub tautulli_urls: Option<Vec<String>>,
    pub tautulli_key: String,
    /// Extra TOML appended at the end (routes).
    pub extra: String,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            backend: "plex",
            strict: true,
            domain: "",
            plex_sso: true,
            ombi: true,
            ombi_url: true,
            ombi_key: OMBI_API_KEY.into(),
            fallback: false,
            tautulli: true,
            tautulli_urls: None,
            tautulli_key: TAUTULLI_API_KEY.into(),
            extra: String::new(),
        }
    }
}

/// The TOML after `[server]` for `s` wired to `f`.
pub fn config(f: &Fakes, s: &Setup) -> String {
    let urls = s
        .tautulli_urls
        .clone()
        .unwrap_or_else(|| vec![f.t1.url(), f.t2.url()]);
    let urls: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    let (fb_user, fb_pw) = if s.fallback {
        ("household", "household-pw")
    } else {
        ("", "")
    };
    let ombi_url = if s.ombi_url {
        f.ombi.url()
    } else {
        String::new()
    };
    format!(
        r#"[session]
domain = "{domain}"

[login]
backend = "{backend}"

[plex]
token = "{owner}"
machine_id = "{MACHINE_ID}"
admin = "alice"
oauth = true
strict_friends = {strict}
new_user_group = "user"
api_url = "{plex}"
app_url = "{plex}"

[sso.plex]
enabled = {plex_sso}

[sso.ombi]
enabled = {ombi}
url = "{ombi_url}"
api_key = "{ombi_key}"
fallback_user = "{fb_user}"
fallback_password = "{fb_pw}"

[sso.tautulli]
enabled = {tautulli}
urls = [{urls}]
api_key = "{tkey}"
min_group = "user"

{extra}
"#,
        domain = s.domain,
        backend = s.backend,
        owner = ALICE.token,
        strict = s.strict,
        plex = f.plex.url(),
        plex_sso = s.plex_sso,
        ombi = s.ombi,
        ombi_key = s.ombi_key,
        tautulli = s.tautulli,
        urls = urls.join(", "),
        tkey = s.tautulli_key,
        extra = s.extra,
    )
}

/// Starts the gateway for `s`.
pub fn gateway(f: &Fakes, s: &Setup) -> Gateway {
    GatewayBuilder::new(&config(f, s))
        .env("GATEHOUSE_ARGON2", ARGON2)
        .start()
}

/// One parsed `Set-Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// Attributes with a value, names lower-cased (`path`, `domain`, `max-age`, …).
    pub attrs: Vec<(String, String)>,
    /// Flag attributes, lower-cased (`httponly`, `secure`).
    pub flags: Vec<String>,
}

impl SetCookie {
    /// Parses one header value.
    pub fn parse(raw: &str) -> SetCookie {
        let mut parts = raw.split(';');
        let (name, value) = parts.next().unwrap().trim().split_once('=').unwrap();
        let (mut attrs, mut flags) = (Vec::new(), Vec::new());
        for p in parts {
            match p.trim().split_once('=') {
                Some((k, v)) => attrs.push((k.trim().to_ascii_lowercase(), v.trim().to_string())),
                None => flags.push(p.trim().to_ascii_lowercase()),
            }
        }
        SetCookie {
            name: name.to_string(),
            value: value.to_string(),
            attrs,
            flags,
        }
    }

    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a flag (`httponly`, `secure`) is present.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// A removal: empty value and `Max-Age=0`.
    pub fn is_removal(&self) -> bool {
        self.value.is_empty() && self.attr("max-age") == Some("0")
    }
}

/// Every `Set-Cookie` of a response.
pub fn set_cookies(resp: &reqwest::Response) -> Vec<SetCookie> {
    crate::support::accounts::set_cookies(resp)
        .iter()
        .map(|v| SetCookie::parse(v))
        .collect()
}

/// The cookie named `name`; panics with the list when absent.
pub fn cookie<'a>(list: &'a [SetCookie], name: &str) -> &'a SetCookie {
    list.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no Set-Cookie {name}: {list:#?}"))
}

/// A `Cookie` header value carrying every non-removal cookie of `list`.
pub fn jar(list: &[SetCookie]) -> String {
    list.iter()
        .filter(|c| !c.is_removal())
        .map(|c| format!("{}={}", c.name, c.value))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The outcome of a sign-in.
#[derive(Debug)]
pub struct Login {
    pub status: u16,
    pub cookies: Vec<SetCookie>,
    pub body: Value,
}

impl Login {
    /// The `Cookie` header for the next requests.
    pub fn jar(&self) -> String {
        jar(&self.cookies)
    }
}

/// `POST /gatehouse/api/login` (JSON).
pub async fn api_login(gw: &Gateway, user: &str, password: &str, remember: bool) -> Login {
    let resp = client()
        .post(gw.url("/gatehouse/api/login"))
        .header("Content-Type", "application/json")
        .body(json!({"username": user, "password": password, "remember": remember}).to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let cookies = set_cookies(&resp);
    let body = resp.json().await.unwrap_or(Value::Null);
    Login {
        status,
        cookies,
        body,
    }
}

/// `GET` with a `Cookie` header; the response.
pub async fn get(gw: &Gateway, path: &str, cookie: &str) -> reqwest::Response {
    let mut req = client().get(gw.url(path));
    if !cookie.is_empty() {
        req = req.header("Cookie", cookie);
    }
    req.send().await.unwrap()
}

/// `GET {prefix}/debug/sso?format=json` as the holder of `cookie`.
pub async fn debug_json(gw: &Gateway, cookie: &str) -> Value {
    let resp = get(gw, "/gatehouse/admin/sso?format=json", cookie).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

pub use crate::support::accounts::cli_at as cli;

/// `gatehouse user add` with a `NAME@local.test` e-mail, which no plex.tv
/// fake account shares (so Plex sign-ins never link to these users by e-mail).
pub fn add_user(gw: &Gateway, name: &str, group: &str, password: &str) {
    crate::support::accounts::add_user_with_email(
        gw,
        name,
        group,
        password,
        &format!("{name}@local.test"),
    );
}

/// The `gatehouse user list` line of `name`, whitespace-collapsed
/// (`name email group group_name locked created`).
pub fn user_line(gw: &Gateway, name: &str) -> Option<Vec<String>> {
    let out = cli(gw.config_path(), &["user", "list"], "");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let cols: Vec<String> = l.split_whitespace().map(str::to_string).collect();
        (cols.first().map(String::as_str) == Some(name)).then_some(cols)
    })
}

/// An HTTPS client for the gateway's TLS port under `host`.
pub fn tls_client(host: &str, port: u16) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .resolve(host, SocketAddr::from(([127, 0, 0, 1], port)))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}
