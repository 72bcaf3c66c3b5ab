//! What the converter produces before it is written as TOML: one
//! [`RoutePlan`] per proxied location, one [`RedirectPlan`] per redirect,
//! the listeners, trusted proxies and certificates, and the warnings.

use super::super::Warning;

/// The `[proxy]` keys of one route, as TOML values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyPlan {
    pub client_max_body_size: String,
    pub client_body_buffer_size: String,
    pub connect_timeout: String,
    pub read_timeout: String,
    pub send_timeout: String,
    pub client_send_timeout: String,
    pub next_upstream: Vec<String>,
    pub next_upstream_tries: u32,
    pub hide_headers: Vec<String>,
    pub set_headers: Vec<(String, String)>,
    pub add_headers: Vec<(String, String, bool)>,
    pub location_rewrite: Vec<(String, String)>,
    pub redirect_scheme: bool,
    pub websocket: bool,
}

/// A route's `auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPlan {
    None,
    Group(u16),
    Member,
}

/// One `[[route]]`.
#[derive(Debug, Clone)]
pub struct RoutePlan {
    /// `FILE:LINE: location …`, the origin shown above the route.
    pub origin: String,
    /// Where the location is.
    pub file: String,
    pub line: usize,
    pub warnings: Vec<Warning>,
    pub name: String,
    pub hosts: Vec<String>,
    pub path: String,
    pub exact: bool,
    pub upstreams: Vec<String>,
    pub auth: AuthPlan,
    pub identity: Vec<(String, &'static str)>,
    pub proxy: ProxyPlan,
    /// Index of the server block it came from (routes are grouped by it).
    pub server: usize,
}

/// One `[[redirect]]`.
#[derive(Debug, Clone)]
pub struct RedirectPlan {
    pub origin: String,
    pub warnings: Vec<Warning>,
    pub hosts: Vec<String>,
    pub scheme: Option<&'static str>,
    pub if_referer: Option<String>,
    pub from: String,
    pub to: String,
    pub status: u16,
    pub keep_query: bool,
    /// `add_header`s of the block it is written in.
    pub add_headers: Vec<(String, String, bool)>,
}

/// A certificate pair to make available in `certs_dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPlan {
    /// `ssl_certificate` path as written.
    pub cert: String,
    /// `ssl_certificate_key` path as written.
    pub key: String,
    /// Where `ssl_certificate` is written (file, line).
    pub file: String,
    pub line: usize,
    /// Base names in `certs_dir` (`plex.example.com`, `_.example.com`, `default`).
    pub names: Vec<String>,
}

/// Everything converted.
#[derive(Debug, Default)]
pub struct Plan {
    pub routes: Vec<RoutePlan>,
    pub redirects: Vec<RedirectPlan>,
    pub listen: Vec<String>,
    pub tls_listen: Vec<String>,
    pub trusted_proxies: Vec<String>,
    pub certs: Vec<CertPlan>,
    /// Warnings that concern no single route, with the server they belong
    /// to (`None`: the whole file).
    pub warnings: Vec<(Option<usize>, Warning)>,
}

impl Plan {
    /// Every warning once (a directive in a file included by several
    /// locations is reported once), in the order found.
    pub fn all_warnings(&self) -> Vec<Warning> {
        let mut out: Vec<Warning> = Vec::new();
        let all = self
            .warnings
            .iter()
            .map(|(_, w)| w)
            .chain(self.routes.iter().flat_map(|r| &r.warnings))
            .chain(self.redirects.iter().flat_map(|r| &r.warnings));
        for w in all {
            if !out.contains(w) {
                out.push(w.clone());
            }
        }
        out
    }
}
