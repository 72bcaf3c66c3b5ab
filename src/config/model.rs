//! The validated, internal configuration model.
//!
//! Nothing here is deserialized directly: `config::load` reads the TOML file
//! (`file.rs`), checks every value (`validate.rs`) and builds these types. Every
//! other module reads only these types, so they can rely on the values being
//! well formed (sizes parsed, regexes compiled, header names valid, groups known).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use ipnet::IpNet;
use regex::Regex;
use url::Url;

pub use super::groups::GroupNames;
pub use super::hosts::HostPattern;
pub use super::store_model::StoreSettings;

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    pub server: Server,
    pub portal: Portal,
    pub session: SessionSettings,
    pub login: Login,
    pub plex: Plex,
    pub sso: Sso,
    /// `[proxy]`: the defaults every route starts from.
    pub proxy: ProxySettings,
    /// `[[route]]` in file order.
    pub routes: Vec<Route>,
    /// `[[redirect]]` in file order.
    pub redirects: Vec<Redirect>,
    /// `[acme]`: automatic certificates.
    pub acme: Acme,
    /// `[groups]`: custom group names.
    pub groups: GroupNames,
    /// `[[link]]`: portal-home links to other sites, in file order.
    pub links: Vec<HomeLink>,
    /// `[cluster]`: several instances sharing one Redis (docs/cluster.md).
    pub cluster: super::cluster_model::Cluster,
    /// `[metrics]`: the Prometheus scrape listener.
    pub metrics: Metrics,
    /// `[store]`: the embedded SQLite file, or a PostgreSQL URL.
    pub store: StoreSettings,
}

/// `[metrics]` (`config/metrics.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    /// The scrape listener's address; `None` = metrics not served.
    pub listen: Option<SocketAddr>,
    /// The path the scrape listener answers on.
    pub path: String,
}

/// `[server]`.
#[derive(Debug, Clone)]
pub struct Server {
    pub listen: Vec<SocketAddr>,
    pub tls_listen: Vec<SocketAddr>,
    /// Directory that holds `NAME.crt` + `NAME.key` pairs (relative paths are
    /// resolved against the current directory, like nginx's prefix).
    pub certs_dir: PathBuf,
    pub public_url: Url,
    pub data_dir: PathBuf,
    pub trusted_proxies: Vec<IpNet>,
    /// Worker threads; 0 in the file is resolved to the number of cores.
    pub threads: usize,
    /// How long an idle client connection is kept open between requests
    /// (nginx `keepalive_timeout`); zero = close after each response.
    pub keepalive_timeout: Duration,
    /// Requests served on one client connection before it is closed
    /// (nginx `keepalive_requests`).
    pub keepalive_requests: u32,
    /// Plain listeners answer 308 to https (ACME challenges and health excepted).
    pub redirect_https: bool,
    /// `Strict-Transport-Security: max-age` on HTTPS responses; `None` = off.
    pub hsts: Option<Duration>,
    /// After a graceful upgrade or stop, how long requests in flight may
    /// take before the old process exits anyway.
    pub drain_timeout: Duration,
}

/// `[portal]`.
#[derive(Debug, Clone)]
pub struct Portal {
    /// Path prefix, no trailing slash, e.g. `/gatehouse`.
    pub prefix: String,
    /// Path of the app list, `None` when `home = ""`.
    pub home: Option<String>,
}

/// `[session]`.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub cookie: String,
    /// Cookie Domain (leading dot kept as written), `None` = host-only cookie.
    /// Already checked against the public suffix list.
    pub domain: Option<String>,
    pub lifetime: Duration,
    pub remember_me: Duration,
    /// `None` when `idle_timeout = "0s"`.
    pub idle_timeout: Option<Duration>,
}

impl SessionSettings {
    /// How long a new session lives: `remember_me` with "remember me",
    /// else `lifetime` (the one place this is decided).
    pub fn lifetime_for(&self, remember: bool) -> Duration {
        if remember {
            self.remember_me
        } else {
            self.lifetime
        }
    }
}

/// Which login backend checks passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginBackend {
    Local,
    Plex,
}

/// `[login]`.
#[derive(Debug, Clone)]
pub struct Login {
    pub backend: LoginBackend,
    pub max_failures: u32,
    pub window: Duration,
    pub ban: Duration,
    /// `second_factor`: whether sign-in asks for a second factor.
    pub second_factor: super::access_model::SecondFactorPolicy,
}

/// `[plex]`. `Debug` redacts the token.
#[derive(Clone)]
pub struct Plex {
    pub token: String,
    pub machine_id: String,
    pub admin: String,
    pub oauth: bool,
    pub strict_friends: bool,
    pub new_user_group: u16,
    pub api_url: Url,
    pub app_url: Url,
}

impl std::fmt::Debug for Plex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plex")
            .field("token", &redacted(&self.token))
            .field("machine_id", &self.machine_id)
            .field("admin", &self.admin)
            .field("oauth", &self.oauth)
            .field("strict_friends", &self.strict_friends)
            .field("new_user_group", &self.new_user_group)
            .field("api_url", &self.api_url.as_str())
            .field("app_url", &self.app_url.as_str())
            .finish()
    }
}

/// `[sso.*]`.
#[derive(Debug, Clone)]
pub struct Sso {
    pub plex: SsoPlex,
    pub ombi: SsoOmbi,
    pub tautulli: SsoTautulli,
}

/// `[sso.plex]`.
#[derive(Debug, Clone)]
pub struct SsoPlex {
    pub enabled: bool,
}

/// `[sso.ombi]`. `Debug` redacts the secrets.
#[derive(Clone)]
pub struct SsoOmbi {
    pub enabled: bool,
    pub url: Option<Url>,
    pub api_key: String,
    pub fallback_user: String,
    pub fallback_password: String,
}

impl std::fmt::Debug for SsoOmbi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoOmbi")
            .field("enabled", &self.enabled)
            .field("url", &self.url.as_ref().map(Url::as_str))
            .field("api_key", &redacted(&self.api_key))
            .field("fallback_user", &self.fallback_user)
            .field("fallback_password", &redacted(&self.fallback_password))
            .finish()
    }
}

/// `[sso.tautulli]`. `Debug` redacts the API key.
#[derive(Clone)]
pub struct SsoTautulli {
    pub enabled: bool,
    pub urls: Vec<Url>,
    pub api_key: String,
    pub min_group: u16,
}

impl std::fmt::Debug for SsoTautulli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoTautulli")
            .field("enabled", &self.enabled)
            .field(
                "urls",
                &self.urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            )
            .field("api_key", &redacted(&self.api_key))
            .field("min_group", &self.min_group)
            .finish()
    }
}

fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() {
        ""
    } else {
        "<redacted>"
    }
}

/// Conditions of `next_upstream` (nginx `proxy_next_upstream`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NextUpstream {
    pub error: bool,
    pub timeout: bool,
    pub invalid_header: bool,
    pub http_500: bool,
    pub http_502: bool,
    pub http_503: bool,
    pub http_504: bool,
    pub http_403: bool,
    pub http_404: bool,
    pub http_429: bool,
    /// nginx `non_idempotent`: also retry POST/LOCK/PATCH after the request was sent.
    pub non_idempotent: bool,
}

impl NextUpstream {
    /// Whether an upstream response status is a reason to try the next upstream.
    pub fn on_status(&self, status: u16) -> bool {
        match status {
            500 => self.http_500,
            502 => self.http_502,
            503 => self.http_503,
            504 => self.http_504,
            403 => self.http_403,
            404 => self.http_404,
            429 => self.http_429,
            _ => false,
        }
    }
}

/// One piece of a `set_headers` value: literal text or an nginx variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Literal(String),
    /// `$host`: Host header (or :authority) without port, else the listener address.
    Host,
    /// `$server_port`: the port of the listener that accepted the request.
    ServerPort,
    /// `$remote_addr`: the client address (after `trusted_proxies`).
    RemoteAddr,
    /// `$scheme`: `http` or `https`.
    Scheme,
    /// `$proxy_add_x_forwarded_for`.
    ProxyAddXForwardedFor,
    /// `$http_<name>`: a request header (name lowercased, `_` already turned into `-`).
    HttpHeader(HeaderName),
    /// `$cookie_<name>`: a request cookie.
    Cookie(String),
    /// `$request_uri`: the original path and query.
    RequestUri,
    /// `$server_addr`: the local address the request arrived on.
    ServerAddr,
    /// `$request_method`.
    RequestMethod,
    /// `$server_name`: the route's first host as written, else `public_url`'s host.
    ServerName,
    /// `$proxy_host`: the upstream's host, and port unless it is the default.
    ProxyHost,
    /// `$proxy_port`: the upstream's port.
    ProxyPort,
    /// `$http_host`: the `Host` header as sent (or the HTTP/2 authority).
    HttpHost,
    /// `$connection_upgrade`: `upgrade` when the client sent `Upgrade`, else
    /// `close` (the `map` every WebSocket guide declares).
    ConnectionUpgrade,
    /// `$ssl_early_data`: always empty (Gatehouse accepts no TLS early data).
    SslEarlyData,
    /// `$uri` / `$document_uri`: the normalized path, no query.
    Uri,
    /// `$args` / `$query_string`: the query, without `?`.
    Args,
    /// `$is_args`: `?` when there is a query, else empty.
    IsArgs,
    /// `$https`: `on` over HTTPS, else empty.
    Https,
}

/// A `set_headers` value. An empty template (`""`) removes the header, as in nginx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderTemplate {
    pub parts: Vec<TemplatePart>,
}

impl HeaderTemplate {
    /// `true` for `""`: nginx does not pass a header whose value is empty.
    pub fn is_removal(&self) -> bool {
        self.parts.is_empty()
    }

    /// The value when it contains no variable (prebuilt once at start).
    pub fn as_static(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [TemplatePart::Literal(s)] => Some(s),
            _ => None,
        }
    }
}

/// `[proxy]` (and its per-route overrides), merged and validated.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    pub client_max_body_size: u64,
    pub client_body_buffer_size: u64,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub send_timeout: Duration,
    pub client_send_timeout: Duration,
    pub next_upstream: NextUpstream,
    /// 0 = every upstream of the route once.
    pub next_upstream_tries: u32,
    pub hide_headers: Vec<HeaderName>,
    /// In file order; names are unique (case-insensitively).
    pub set_headers: Vec<(HeaderName, HeaderTemplate)>,
    pub redirect_scheme: bool,
    pub websocket: bool,
    pub keepalive: bool,
    /// `add_headers` (nginx `add_header`): response headers added to
    /// proxied responses.
    pub add_headers: Vec<AddHeader>,
    /// `location_rewrite` (nginx `proxy_redirect FROM TO`): an upstream
    /// `Location` starting with `FROM` gets `TO` instead, first match wins.
    pub location_rewrite: Vec<(String, String)>,
}

/// One `add_headers` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddHeader {
    pub name: HeaderName,
    pub value: HeaderValue,
    /// nginx `always`: also on error statuses, not only 200, 201, 204, 206,
    /// 301, 302, 303, 304, 307 and 308.
    pub always: bool,
}

impl AddHeader {
    /// Whether the header goes on a response with `status` (nginx's rule).
    pub fn applies(&self, status: u16) -> bool {
        self.always
            || matches!(
                status,
                200 | 201 | 204 | 206 | 301 | 302 | 303 | 304 | 307 | 308
            )
    }
}

/// Route access level: public, or the highest Organizr group number admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLevel {
    /// `auth = "none"`: public, no identity headers.
    None,
    /// `auth = N`: users whose group number is <= N. Guests count as 999.
    Group(u16),
}

/// An SSO service a route takes part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SsoService {
    Plex,
    Ombi,
    Tautulli,
}

/// A value an identity header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityField {
    Username,
    Email,
    Group,
    GroupName,
}

/// One upstream of a route (nginx `proxy_pass`).
#[derive(Debug, Clone)]
pub struct Upstream {
    /// As written, for logs and messages.
    pub url: Url,
    /// `host:port` to connect to.
    pub address: String,
    pub tls: bool,
    /// TLS server name (the URL's host).
    pub sni: String,
    /// The URI part of `proxy_pass` (e.g. `/` in `http://plex:32400/`); `None`
    /// when the URL has no path at all, in which case the request URI is passed
    /// unchanged.
    pub uri_path: Option<String>,
    /// nginx `$proxy_host`: host, plus `:port` unless it is the scheme's default.
    pub proxy_host: String,
    /// nginx `$proxy_port`.
    pub proxy_port: u16,
}

/// `[[route]]`.
#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    /// Host patterns this route is narrowed to; empty = any host.
    pub hosts: Vec<HostPattern>,
    /// Path prefix, e.g. `/plex/` (the whole path when `exact`).
    pub path: String,
    /// nginx `location =`: only this exact path matches.
    pub exact: bool,
    pub upstreams: Vec<Upstream>,
    pub auth: AuthLevel,
    pub sso: Vec<SsoService>,
    pub identity_headers: Vec<(HeaderName, IdentityField)>,
    /// Shown on the portal home when set.
    pub title: Option<String>,
    /// Organizr's `group_id_max`: the tile is hidden from groups numbered
    /// below this (more privileged); 0 = shown to all it admits.
    pub home_min_group: u16,
    /// `$server_name`: the first host as written, else `public_url`'s host.
    pub server_name: String,
    /// `[proxy]` merged with this route's overrides.
    pub proxy: ProxySettings,
    /// Public paths, trusted networks, machine clients, second factor.
    pub access: super::access_model::RouteAccess,
}

/// `[[redirect]]`: nginx `rewrite ... redirect` / `return 30x` with optional
/// Referer, host and scheme conditions.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub if_referer: Option<Regex>,
    /// Host patterns the rule is narrowed to; empty = any host.
    pub hosts: Vec<HostPattern>,
    /// `Some("http")` / `Some("https")`: only requests with this `$scheme`.
    pub scheme: Option<&'static str>,
    pub from: Regex,
    /// The target as written (`$1`…, `$host`, `$request_uri`, …).
    pub to: String,
    /// `to`, parsed once.
    pub target: Vec<RedirectPart>,
    pub status: u16,
    /// Append the request's query (nginx `rewrite` without a trailing `?`).
    pub keep_query: bool,
    /// `add_headers` on the redirect response (nginx's `add_header` of the
    /// block the redirect is written in).
    pub add_headers: Vec<AddHeader>,
}

/// A piece of a redirect target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectPart {
    Literal(String),
    /// `$1`, `${2}`: a numbered capture of `from`.
    Group(usize),
    /// `$name`: a named capture of `from`.
    Named(String),
    /// `$host`.
    Host,
    /// `$scheme`.
    Scheme,
    /// `$request_uri`: path and query as the client sent them.
    RequestUri,
    /// `$uri`: the normalized path.
    Uri,
    /// `$args`.
    Args,
    /// `$is_args`.
    IsArgs,
    /// `$server_port`.
    ServerPort,
}

/// `[[link]]`: a portal-home tile for a site Gatehouse does not proxy.
#[derive(Debug, Clone)]
pub struct HomeLink {
    pub title: String,
    pub url: Url,
    /// Shown to users whose group number is <= this (999 = everyone).
    pub group: u16,
    /// Hidden from groups numbered below this (Organizr's `group_id_max`).
    pub home_min_group: u16,
}

/// A prebuilt header value, for things computed once at start.
pub type StaticValue = HeaderValue;

/// How the CA checks that this server controls a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcmeChallenge {
    /// `http-01`: `GET /.well-known/acme-challenge/TOKEN` on port 80.
    Http01,
    /// `tls-alpn-01`: a TLS handshake with ALPN `acme-tls/1` on port 443.
    TlsAlpn01,
    /// `dns-01`: a TXT record set by `dns_hook`.
    Dns01,
}

impl AcmeChallenge {
    /// The name used in the file and by RFC 8555.
    pub fn as_str(self) -> &'static str {
        match self {
            AcmeChallenge::Http01 => "http-01",
            AcmeChallenge::TlsAlpn01 => "tls-alpn-01",
            AcmeChallenge::Dns01 => "dns-01",
        }
    }
}

/// `[acme]`, validated.
#[derive(Debug, Clone)]
pub struct Acme {
    /// Whether certificates are obtained at all.
    pub enabled: bool,
    /// Account contact.
    pub email: String,
    /// The CA's directory URL (https).
    pub directory: Url,
    /// Extra PEM roots to trust for the directory (`None` = the usual web roots).
    pub ca_roots: Option<PathBuf>,
    /// How the CA checks control of a name.
    pub challenge: AcmeChallenge,
    /// One certificate per name, lowercased; `*.example.com` only with dns-01.
    /// Resolved: the written list, or every route `host` plus `public_url`'s host.
    pub domains: Vec<String>,
    /// Renew when this much validity is left.
    pub renew_before: Duration,
    /// dns-01: run as `HOOK present|cleanup FQDN VALUE`.
    pub dns_hook: Option<PathBuf>,
    /// dns-01: pause after the hook before asking the CA to look.
    pub dns_wait: Duration,
}
