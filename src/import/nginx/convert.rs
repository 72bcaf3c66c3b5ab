//! The [`Tree`] to a [`Plan`]: server blocks become host patterns (the
//! default server's routes take any host, as nginx sends it every host no
//! other server names), locations become routes with the settings nginx
//! would apply to them, redirecting directives become `[[redirect]]`s.

use super::super::Warning;
use super::auth::{self, AuthTarget};
use super::plan::{AuthPlan, Plan, ProxyPlan, RoutePlan};
use super::redirects::{self, Scope};
use super::rewrite::{
    prefix_regex_excluding, regex_to_path, strip_mapping, strip_rewrite, RegexPath, Strip,
};
use super::scope::Level;
use super::servers::{certificate, dedupe_routes, default_servers, listeners, name_routes};
use super::tree::{warn, warn_at, Location, Modifier, Server, Tree};
use super::units;
use super::vars::{has_vars, Translated, VarCx};

/// nginx's defaults for what a route needs when nothing sets it.
const NGINX_BODY_SIZE: &str = "1m";
const NGINX_BODY_BUFFER: &str = "16k";
const NGINX_TIMEOUT: &str = "60s";

/// Converts the whole tree.
pub fn convert(tree: &Tree) -> Plan {
    let mut plan = Plan::default();
    let defaults = default_servers(&tree.servers);
    for (i, server) in tree.servers.iter().enumerate() {
        convert_server(tree, i, server, defaults.contains(&i), &mut plan);
    }
    listeners(tree, &mut plan);
    plan.trusted_proxies = tree
        .trusted_proxies
        .iter()
        .map(|t| t.value.clone())
        .collect();
    for w in &tree.warnings {
        plan.warnings.push((None, w.clone()));
    }
    dedupe_routes(&mut plan);
    name_routes(&mut plan);
    plan
}

/// The server's host patterns (empty for a default server); bad names are warned.
fn server_hosts(server: &Server, default: bool, warnings: &mut Vec<Warning>) -> Vec<String> {
    if default {
        return Vec::new();
    }
    let mut hosts = Vec::new();
    for name in &server.names {
        match crate::config::hosts::parse_host_pattern(name) {
            Ok(p) => {
                let shown = p.to_string();
                if !hosts.contains(&shown) {
                    hosts.push(shown);
                }
            }
            Err(reason) => warnings.push(warn_at(
                &server.at,
                "server_name",
                format!("{name}: {reason}; this name is left out"),
            )),
        }
    }
    hosts
}

/// The base variables of a server: its `set`s and its name.
fn server_vars(tree: &Tree, server: &Server) -> VarCx {
    let mut sets = Vec::new();
    for d in &server.rewrites {
        if d.name == "set" {
            sets.push((
                d.arg(0).trim_start_matches('$').to_owned(),
                d.arg(1).to_owned(),
            ));
        }
    }
    VarCx {
        sets,
        server_name: server.first_name.clone(),
        upstream_block: None,
        connection_upgrade: tree.connection_upgrade.clone(),
        identity: Vec::new(),
        mapped: tree.mapped.clone(),
    }
}

/// One server block.
fn convert_server(tree: &Tree, index: usize, server: &Server, default: bool, plan: &mut Plan) {
    let mut warnings = server.warnings.clone();
    let hosts = server_hosts(server, default, &mut warnings);
    let scheme = match (
        server.listens.iter().all(|l| l.ssl),
        server.listens.iter().any(|l| l.ssl),
    ) {
        _ if server.listens.is_empty() => None,
        (true, _) => Some("https"),
        (false, false) => Some("http"),
        _ => None,
    };
    let vars = server_vars(tree, server);
    let scope = Scope {
        hosts: &hosts,
        scheme,
        vars: &vars,
        add_headers: redirects::fixed_add_headers(&server.level),
    };
    let mut returns_all = false;
    for d in &server.rewrites {
        match d.name.as_str() {
            "set" | "break" => {}
            "return" => match redirects::return_redirect(d, &scope, "^/".to_owned()) {
                Ok(r) => {
                    plan.redirects.push(r);
                    returns_all = true;
                }
                Err(w) => warnings.push(w),
            },
            "rewrite" => match redirects::rewrite(d, &scope) {
                Ok(Some(r)) => plan.redirects.push(r),
                Ok(None) => warnings.push(warn(
                    d,
                    "internal rewrites (last, break or none) are not supported; not converted",
                )),
                Err(w) => warnings.push(w),
            },
            "if" => match redirects::if_block(d, &scope, "^/") {
                Ok(r) => plan.redirects.push(r),
                Err(w) => warnings.push(w),
            },
            _ => {}
        }
    }
    if returns_all {
        if !server.locations.is_empty() {
            warnings.push(warn_at(&server.at, "server", "every request of this server is redirected by its return, so its locations are not converted"));
        }
    } else {
        let flat = auth::flatten(&server.locations);
        let cx = ServerCx {
            tree,
            index,
            hosts: &hosts,
            scheme,
            vars: &vars,
            flat,
        };
        for loc in &server.locations {
            cx.location(loc, plan);
        }
    }
    if let Some(cert) = certificate(server, &hosts, default, &mut warnings) {
        if !plan.certs.contains(&cert) {
            plan.certs.push(cert);
        }
    }
    for w in warnings {
        plan.warnings.push((Some(index), w));
    }
}

/// What every location of one server shares.
struct ServerCx<'a> {
    tree: &'a Tree,
    index: usize,
    hosts: &'a [String],
    scheme: Option<&'static str>,
    vars: &'a VarCx,
    flat: Vec<&'a Location>,
}

/// A `proxy_pass` resolved to upstream URLs.
struct Upstreams {
    /// `scheme://address` of each server, failover order.
    origins: Vec<String>,
    /// The URI part as written (`None`: no URI).
    uri: Option<String>,
    /// The URL as nginx knows it (for `proxy_redirect default`).
    url: String,
    /// The `upstream {}` block it names.
    block: Option<String>,
}

impl ServerCx<'_> {
    /// The paths of this server's other prefix locations (for `return`
    /// regexes, which must not catch what a longer location answers).
    fn prefix_paths(&self) -> Vec<&str> {
        self.flat
            .iter()
            .filter(|l| matches!(l.modifier, Modifier::Prefix | Modifier::PrefixNoRegex))
            .map(|l| l.pattern.as_str())
            .collect()
    }

    /// One location (and its nested ones).
    fn location(&self, loc: &Location, plan: &mut Plan) {
        self.one_location(loc, plan);
        for child in &loc.children {
            self.location(child, plan);
        }
    }

    fn one_location(&self, loc: &Location, plan: &mut Plan) {
        let mut warnings = loc.warnings.clone();
        let origin = format!(
            "{}:{}: location {}",
            loc.at.file,
            loc.at.line,
            location_text(loc)
        );
        let finish = |warnings: Vec<Warning>, plan: &mut Plan| {
            for w in warnings {
                plan.warnings.push((Some(self.index), w));
            }
        };
        if loc.modifier == Modifier::Named || loc.internal {
            // Reached only by error_page / auth_request / internal redirects.
            finish(warnings, plan);
            return;
        }
        let (path, exact, from) = match loc.modifier {
            Modifier::Prefix | Modifier::PrefixNoRegex => (
                loc.pattern.clone(),
                false,
                prefix_regex_excluding(&loc.pattern, &self.prefix_paths()),
            ),
            Modifier::Exact => (
                loc.pattern.clone(),
                true,
                format!("^{}$", regex::escape(&loc.pattern)),
            ),
            Modifier::Regex { caseless } => {
                let from = redirects::regex(&loc.pattern, caseless).unwrap_or_default();
                match regex_to_path(&loc.pattern) {
                    Some(RegexPath::Prefix(p)) => {
                        if caseless {
                            warnings.push(warn_at(
                                &loc.at,
                                "location",
                                format!("~* {}: matched case-sensitively, as {p}", loc.pattern),
                            ));
                        }
                        self.warn_regex_precedence(loc, &p, &mut warnings);
                        (p, false, from)
                    }
                    Some(RegexPath::Exact(p)) => (p, true, from),
                    None => {
                        warnings.push(warn_at(&loc.at, "location", format!("{} {}: only anchored prefixes (~ ^/path) are converted; add a route for the paths it serves", if caseless { "~*" } else { "~" }, loc.pattern)));
                        finish(warnings, plan);
                        return;
                    }
                }
            }
            Modifier::Named => {
                finish(warnings, plan);
                return;
            }
        };
        let mut vars = self.vars.clone();
        let mut strip: Option<Strip> = None;
        let mut redirected = false;
        let scope_hosts = self.hosts;
        for d in &loc.rewrites {
            let scope = Scope {
                hosts: scope_hosts,
                scheme: self.scheme,
                vars: &vars,
                add_headers: redirects::fixed_add_headers(&loc.level),
            };
            match d.name.as_str() {
                "set" => vars.sets.push((d.arg(0).trim_start_matches('$').to_owned(), d.arg(1).to_owned())),
                "break" => {}
                "return" => {
                    match redirects::return_redirect(d, &scope, from.clone()) {
                        Ok(mut r) => {
                            r.origin = origin.clone();
                            plan.redirects.push(r);
                        }
                        Err(w) => warnings.push(w),
                    }
                    redirected = true;
                    break;
                }
                "rewrite" => match (d.arg(2), strip_rewrite(d.arg(0), d.arg(1))) {
                    ("break", Some(s)) if strip.is_none() => strip = Some(s),
                    _ => match redirects::rewrite(d, &scope) {
                        Ok(Some(mut r)) => match within(d.arg(0), &path) {
                            Within::Never => warnings.push(never(d, loc, &path)),
                            Within::Unknown => {
                                r.warnings.push(warn(d, format!("applies to every path matching {}, not only inside location {}", d.arg(0), location_text(loc))));
                                plan.redirects.push(r);
                            }
                            Within::Inside => plan.redirects.push(r),
                        },
                        Ok(None) => warnings.push(warn(d, "only prefix strips (rewrite ^/app(.*) $1 break;) and redirects are converted; not converted")),
                        Err(w) => warnings.push(w),
                    },
                },
                "if" => match redirects::if_block(d, &scope, &from) {
                    Ok(r) => {
                        let inner = d.children().iter().find(|c| c.name == "rewrite").map(|c| c.arg(0));
                        match inner.map(|re| within(re, &path)) {
                            Some(Within::Never) => warnings.push(never(d, loc, &path)),
                            _ => plan.redirects.push(r),
                        }
                    }
                    Err(w) => warnings.push(w),
                },
                _ => {}
            }
        }
        if redirected {
            finish(warnings, plan);
            return;
        }
        if let Some(w) = &loc.not_proxy {
            warnings.push(w.clone());
            finish(warnings, plan);
            return;
        }
        let Some(pp) = &loc.proxy_pass else {
            if loc.rewrites.is_empty() || loc.rewrites.iter().all(|d| d.name == "set") {
                warnings.push(warn_at(&loc.at, "location", format!("{} has no proxy_pass (nested locations do not inherit it): nginx serves files here; not converted", location_text(loc))));
            }
            finish(warnings, plan);
            return;
        };
        let ups = match self.upstreams(&pp.value, &vars) {
            Ok(u) => u,
            Err(reason) => {
                warnings.push(warn_at(
                    &pp.at,
                    "proxy_pass",
                    format!("{reason}; location {} not converted", location_text(loc)),
                ));
                finish(warnings, plan);
                return;
            }
        };
        if ups.block.is_some() {
            vars.upstream_block = ups.block.clone();
        }
        let (route_path, uri) = match &strip {
            Some(s) => match strip_mapping(&path, s) {
                Ok((p, u)) => {
                    if p != path {
                        warnings.push(warn_at(
                            &loc.at,
                            "rewrite",
                            format!("{path} without the trailing slash now gets a 301 to {p}"),
                        ));
                    }
                    (p, Some(u))
                }
                Err(r) => {
                    warnings.push(warn_at(&loc.at, "rewrite", format!("{r}; not converted")));
                    finish(warnings, plan);
                    return;
                }
            },
            None => {
                if has_vars(&pp.value) && ups.uri.as_deref().is_some_and(|u| u != "/") && !exact {
                    warnings.push(warn_at(&pp.at, "proxy_pass", "with variables, nginx sends this URI for every request; Gatehouse replaces only the matched prefix with it"));
                }
                (path.clone(), ups.uri.clone())
            }
        };
        let upstreams: Vec<String> = ups
            .origins
            .iter()
            .map(|o| format!("{o}{}", uri.as_deref().unwrap_or("")))
            .collect();
        let level = &loc.level;
        let mut auth = self.auth(level, &mut warnings);
        vars.identity = level
            .auth_request_set
            .iter()
            .flatten()
            .filter_map(|s| auth::identity_field(&s.value.1).map(|f| (s.value.0.clone(), f)))
            .collect();
        let (proxy, identity) = self.proxy(loc, level, &vars, &ups, &route_path, &mut warnings);
        if auth == AuthPlan::None && level.auth_basic.as_ref().is_some_and(|b| b.value != "off") {
            auth = AuthPlan::Member;
        }
        let identity = if auth == AuthPlan::None {
            Vec::new()
        } else {
            identity
        };
        plan.routes.push(RoutePlan {
            origin,
            file: loc.at.file.to_string(),
            line: loc.at.line,
            warnings,
            name: String::new(),
            hosts: self.hosts.to_vec(),
            path: route_path,
            exact,
            upstreams,
            auth,
            identity,
            proxy,
            server: self.index,
        });
    }

    /// A regex location converted to a prefix loses nginx's rule that
    /// regexes beat longer prefixes: say so when it matters.
    fn warn_regex_precedence(&self, loc: &Location, prefix: &str, warnings: &mut Vec<Warning>) {
        let shadowed: Vec<&str> = self
            .flat
            .iter()
            .filter(|l| {
                l.modifier == Modifier::Prefix
                    && l.pattern.len() > prefix.len()
                    && l.pattern.starts_with(prefix)
            })
            .map(|l| l.pattern.as_str())
            .collect();
        if !shadowed.is_empty() {
            warnings.push(warn_at(
                &loc.at,
                "location",
                format!(
                    "in nginx this regex also wins over {}; in Gatehouse the longer prefix wins",
                    shadowed.join(", ")
                ),
            ));
        }
    }

    /// `proxy_pass` to upstream origins.
    fn upstreams(&self, text: &str, vars: &VarCx) -> Result<Upstreams, String> {
        let url = vars.url(text)?;
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("{url}: expected http://HOST[:PORT][/URI]"))?;
        if !matches!(scheme, "http" | "https") {
            return Err(format!("{scheme}:// upstreams are not supported"));
        }
        let (authority, uri) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(rest[i..].to_owned())),
            None => (rest, None),
        };
        if authority.starts_with("unix:") {
            return Err(
                "unix-socket upstreams are not supported: listen on 127.0.0.1 instead".to_owned(),
            );
        }
        let block = self.tree.upstreams.iter().find(|b| b.name == authority);
        let origins = match block {
            Some(b) => {
                let mut main = Vec::new();
                let mut backup = Vec::new();
                for s in &b.servers {
                    let (addr, opts) = &s.value;
                    if addr.starts_with("unix:") {
                        continue;
                    }
                    if opts.iter().any(|o| o == "down") {
                        continue;
                    }
                    let origin = format!("{scheme}://{addr}");
                    if opts.iter().any(|o| o == "backup") {
                        backup.push(origin);
                    } else {
                        main.push(origin);
                    }
                }
                main.extend(backup);
                if main.is_empty() {
                    return Err(format!("upstream {authority} has no usable server"));
                }
                main
            }
            None => vec![format!("{scheme}://{authority}")],
        };
        Ok(Upstreams {
            origins,
            uri,
            url,
            block: block.map(|b| b.name.clone()),
        })
    }

    /// The route's `auth` from the effective `auth_request` / `auth_basic`.
    fn auth(&self, level: &Level, warnings: &mut Vec<Warning>) -> AuthPlan {
        let Some(ar) = &level.auth_request else {
            if let Some(b) = level.auth_basic.as_ref().filter(|b| b.value != "off") {
                warnings.push(warn_at(&b.at, "auth_basic", "HTTP basic auth is not imported: the route admits any signed-in Gatehouse user (auth = \"member\"); add the users with gatehouse user add"));
            }
            return AuthPlan::None;
        };
        if ar.value == "off" {
            return AuthPlan::None;
        }
        match auth::resolve(&self.flat, &ar.value, self.vars) {
            AuthTarget::Group(g, note) => {
                if let Some(n) = note {
                    warnings.push(warn_at(&ar.at, "auth_request", n));
                }
                AuthPlan::Group(g)
            }
            AuthTarget::Member(reason) => {
                warnings.push(warn_at(&ar.at, "auth_request", reason));
                AuthPlan::Member
            }
            AuthTarget::Unknown(target) => {
                warnings.push(warn_at(&ar.at, "auth_request", format!("{} (reaching {target}) is not a known auth server: the route admits any signed-in user (auth = \"member\"); set auth to the group you want", ar.value)));
                AuthPlan::Member
            }
        }
    }

    /// The route's `[proxy]` keys and identity headers.
    fn proxy(
        &self,
        loc: &Location,
        level: &Level,
        vars: &VarCx,
        ups: &Upstreams,
        route_path: &str,
        warnings: &mut Vec<Warning>,
    ) -> (ProxyPlan, Vec<(String, &'static str)>) {
        let mut identity = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        for s in level.set_headers.iter().flatten() {
            let (name, value) = &s.value;
            match vars.header(value) {
                Translated::Identity(field) => identity.push((name.clone(), field)),
                Translated::Template(t) => {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                    headers.push((name.clone(), t));
                }
                Translated::Unsupported(r) => warnings.push(warn_at(
                    &s.at,
                    "proxy_set_header",
                    format!("{name}: {r}; the header is not set"),
                )),
            }
        }
        let get = |headers: &[(String, String)], n: &str| {
            headers
                .iter()
                .find(|(h, _)| h.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        let upgrade = get(&headers, "upgrade");
        let connection = get(&headers, "connection");
        let websocket = upgrade.as_deref() == Some("$http_upgrade")
            && connection.as_deref().is_some_and(|c| {
                c.eq_ignore_ascii_case("upgrade")
                    || c == "$connection_upgrade"
                    || c == "$http_connection"
            });
        headers.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("upgrade") && !n.eq_ignore_ascii_case("connection")
        });
        if get(&headers, "host").is_none() {
            let host = match &ups.block {
                Some(b) => b.clone(),
                None => "$proxy_host".to_owned(),
            };
            headers.insert(0, ("Host".to_owned(), host));
        }
        let hide_headers = level
            .hide_headers
            .iter()
            .flatten()
            .map(|s| s.value.clone())
            .collect();
        let mut add_headers = Vec::new();
        for s in level.add_headers.iter().flatten() {
            let h = &s.value;
            if has_vars(&h.value) || h.value.is_empty() {
                warnings.push(warn_at(
                    &s.at,
                    "add_header",
                    format!(
                        "{}: only fixed values are converted (no variables); not added",
                        h.name
                    ),
                ));
            } else {
                add_headers.push((h.name.clone(), h.value.clone(), h.always));
            }
        }
        let (location_rewrite, redirect_scheme) =
            self.proxy_redirect(loc, level, ups, route_path, warnings);
        let timeout = |s: &Option<super::scope::Set<String>>,
                       warnings: &mut Vec<Warning>,
                       name: &str| match s {
            None => NGINX_TIMEOUT.to_owned(),
            Some(s) => units::time(&s.value).unwrap_or_else(|r| {
                warnings.push(warn_at(
                    &s.at,
                    name,
                    format!("{r}; nginx's default 60s is used"),
                ));
                NGINX_TIMEOUT.to_owned()
            }),
        };
        let size = |s: &Option<super::scope::Set<String>>,
                    default: &str,
                    warnings: &mut Vec<Warning>,
                    name: &str| match s {
            None => default.to_owned(),
            Some(s) => units::size(&s.value).unwrap_or_else(|r| {
                warnings.push(warn_at(
                    &s.at,
                    name,
                    format!("{r}; nginx's default {default} is used"),
                ));
                default.to_owned()
            }),
        };
        let next_upstream = match &level.next_upstream {
            None => vec!["error".to_owned(), "timeout".to_owned()],
            Some(s) => {
                let known = [
                    "error",
                    "timeout",
                    "invalid_header",
                    "http_500",
                    "http_502",
                    "http_503",
                    "http_504",
                    "http_403",
                    "http_404",
                    "http_429",
                    "non_idempotent",
                    "off",
                ];
                let mut list = Vec::new();
                for item in &s.value {
                    if known.contains(&item.as_str()) {
                        list.push(item.clone());
                    } else {
                        warnings.push(warn_at(
                            &s.at,
                            "proxy_next_upstream",
                            format!("{item}: not a condition Gatehouse knows; left out"),
                        ));
                    }
                }
                if list.iter().any(|i| i == "off") {
                    list = vec!["off".to_owned()];
                }
                list
            }
        };
        let next_upstream_tries = level
            .next_tries
            .as_ref()
            .and_then(|s| s.value.parse().ok())
            .unwrap_or(0);
        for ep in level.error_pages.iter().flatten() {
            let codes: Vec<&str> = ep
                .value
                .iter()
                .take(ep.value.len().saturating_sub(1))
                .map(String::as_str)
                .filter(|c| !c.starts_with('='))
                .collect();
            let others: Vec<&str> = codes.iter().copied().filter(|c| *c != "401").collect();
            if !others.is_empty() {
                warnings.push(warn_at(&ep.at, "error_page", format!("{}: custom error pages are not supported; Gatehouse answers with its own short pages (401 goes to its login page)", others.join(" "))));
            }
        }
        let proxy = ProxyPlan {
            client_max_body_size: size(
                &level.body_size,
                NGINX_BODY_SIZE,
                warnings,
                "client_max_body_size",
            ),
            client_body_buffer_size: size(
                &level.body_buffer,
                NGINX_BODY_BUFFER,
                warnings,
                "client_body_buffer_size",
            ),
            connect_timeout: timeout(&level.connect_timeout, warnings, "proxy_connect_timeout"),
            read_timeout: timeout(&level.read_timeout, warnings, "proxy_read_timeout"),
            send_timeout: timeout(&level.send_timeout, warnings, "proxy_send_timeout"),
            client_send_timeout: timeout(&level.client_send_timeout, warnings, "send_timeout"),
            next_upstream,
            next_upstream_tries,
            hide_headers,
            set_headers: headers,
            add_headers,
            location_rewrite,
            redirect_scheme,
            websocket,
        };
        (proxy, identity)
    }

    /// `proxy_redirect` (default, off, `http:// $scheme://`, literal pairs).
    fn proxy_redirect(
        &self,
        loc: &Location,
        level: &Level,
        ups: &Upstreams,
        route_path: &str,
        warnings: &mut Vec<Warning>,
    ) -> (Vec<(String, String)>, bool) {
        let default_rule = || -> Option<(String, String)> {
            let pp = loc.proxy_pass.as_ref()?;
            if has_vars(&pp.value) {
                return None;
            }
            Some(match &ups.uri {
                Some(_) => (ups.url.clone(), route_path.to_owned()),
                None => (format!("{}/", ups.url), "/".to_owned()),
            })
        };
        let Some(rules) = &level.redirects else {
            return (default_rule().into_iter().collect(), false);
        };
        let mut out = Vec::new();
        let mut scheme = false;
        for r in rules {
            match r.value.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["off"] => {
                    out.clear();
                    scheme = false;
                }
                ["default"] => out.extend(default_rule()),
                ["http://", "$scheme://"] => scheme = true,
                [from, to] if !has_vars(from) && !has_vars(to) && !from.starts_with('~') => {
                    out.push((from.to_string(), to.to_string()))
                }
                other => warnings.push(warn_at(&r.at, "proxy_redirect", format!("{}: only default, off, http:// $scheme:// and fixed prefixes are converted; left out", other.join(" ")))),
            }
        }
        (out, scheme)
    }
}

/// Whether a rewrite regex can match inside a prefix location.
enum Within {
    Inside,
    Never,
    Unknown,
}

/// Compares the literal start of an anchored regex with the location path.
fn within(re: &str, path: &str) -> Within {
    match super::rewrite::literal_start(re) {
        Some(lit) if lit.starts_with(path) => Within::Inside,
        Some(lit) if path.starts_with(&lit) => Within::Unknown,
        Some(_) => Within::Never,
        None => Within::Unknown,
    }
}

/// The warning for a rewrite nginx never applies.
fn never(d: &super::parser::Directive, loc: &Location, path: &str) -> Warning {
    let re = if d.name == "if" {
        d.children()
            .iter()
            .find(|c| c.name == "rewrite")
            .map_or("", |c| c.arg(0))
    } else {
        d.arg(0)
    };
    warn(
        d,
        format!(
            "never applied by nginx: inside location {} every path starts with {path}, which {re} cannot match; not converted (put it at server level, as Organizr's plex.conf does, to get the redirect)",
            location_text(loc)
        ),
    )
}

/// How a location was written, for messages.
fn location_text(loc: &Location) -> String {
    match loc.modifier {
        Modifier::Prefix | Modifier::Named => loc.pattern.clone(),
        Modifier::PrefixNoRegex => format!("^~ {}", loc.pattern),
        Modifier::Exact => format!("= {}", loc.pattern),
        Modifier::Regex { caseless: false } => format!("~ {}", loc.pattern),
        Modifier::Regex { caseless: true } => format!("~* {}", loc.pattern),
    }
}
