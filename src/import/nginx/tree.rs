//! The directive tree read as nginx reads it: `upstream {}` blocks, the
//! `map` that defines `$connection_upgrade`, `server` blocks with their
//! listeners and names, and `location` blocks (nested ones too), each with
//! its merged [`Level`]. Directives are sorted into converted, silent and
//! warned; an unknown directive stops the import, as it stops nginx.

use super::super::{ImportError, Warning};
use super::directives::{stance, Stance};
use super::parser::{At, Directive};
use super::scope::{Level, Set};

/// A `location` block.
#[derive(Debug, Clone)]
pub struct Location {
    pub at: At,
    pub modifier: Modifier,
    /// The prefix, exact path, regex or `@name`.
    pub pattern: String,
    /// Settings merged from `http` down to here.
    pub level: Level,
    /// `proxy_pass` of this block (not inherited by nested locations).
    pub proxy_pass: Option<Set<String>>,
    /// `set`, `rewrite`, `return`, `if`, `break`, in order.
    pub rewrites: Vec<Directive>,
    /// `internal;`
    pub internal: bool,
    /// Warned directives written in this block.
    pub warnings: Vec<Warning>,
    /// Why this block is not a proxy (`root`, `fastcgi_pass`, …), if so.
    pub not_proxy: Option<Warning>,
    pub children: Vec<Location>,
}

/// How a `location` matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// `location /x`
    Prefix,
    /// `location ^~ /x`
    PrefixNoRegex,
    /// `location = /x`
    Exact,
    /// `location ~ re` / `~* re`
    Regex { caseless: bool },
    /// `location @name`
    Named,
}

/// One `listen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// `IP:PORT` as Gatehouse writes it.
    pub addr: String,
    pub ssl: bool,
    pub default: bool,
    pub at: At,
}

/// A `server` block (or the implicit one around top-level locations).
#[derive(Debug, Clone)]
pub struct Server {
    pub at: At,
    /// `server_name`s, `_` and `""` left out.
    pub names: Vec<String>,
    /// The first `server_name` as written (nginx's `$server_name`).
    pub first_name: String,
    pub listens: Vec<Listen>,
    /// Settings merged from `http` down to here.
    pub level: Level,
    /// Server-level `set`, `rewrite`, `return`, `if`, in order.
    pub rewrites: Vec<Directive>,
    pub locations: Vec<Location>,
    /// Warned directives written in this block.
    pub warnings: Vec<Warning>,
}

/// An `upstream NAME { server …; }` block.
#[derive(Debug, Clone)]
pub struct UpstreamBlock {
    pub name: String,
    /// `server ADDRESS options…` entries.
    pub servers: Vec<Set<(String, Vec<String>)>>,
    pub at: At,
}

/// Everything read from the configuration.
#[derive(Debug, Default)]
pub struct Tree {
    pub servers: Vec<Server>,
    pub upstreams: Vec<UpstreamBlock>,
    /// Variables defined by `map $http_upgrade $x { default upgrade; '' close; }`.
    pub connection_upgrade: Vec<String>,
    /// Variables of other `map`/`geo` blocks.
    pub mapped: Vec<String>,
    /// `set_real_ip_from` networks.
    pub trusted_proxies: Vec<Set<String>>,
    /// Warnings not tied to a server.
    pub warnings: Vec<Warning>,
}

/// A warning at a directive.
pub fn warn(d: &Directive, reason: impl Into<String>) -> Warning {
    warn_at(&d.at, &d.name, reason)
}

/// A warning at `at` about `directive`.
pub fn warn_at(at: &At, directive: &str, reason: impl Into<String>) -> Warning {
    Warning {
        file: at.file.to_string(),
        line: at.line,
        directive: directive.to_owned(),
        reason: reason.into(),
    }
}

/// The rewrite-module directives, kept in order per block.
fn is_rewrite(name: &str) -> bool {
    matches!(name, "set" | "rewrite" | "return" | "if" | "break")
}

/// Sorts a directive the reader did not consume: unknown → error, warned
/// → a warning, converted-but-not-here → a warning, silent → nothing.
fn other(d: &Directive, warnings: &mut Vec<Warning>) -> Result<(), ImportError> {
    match stance(&d.name) {
        None => Err(ImportError::at(
            &d.at.file,
            d.at.line,
            format!("unknown directive \"{}\"", d.name),
        )),
        Some(Stance::Silent) => Ok(()),
        Some(Stance::Warn(reason)) => {
            // `proxy_buffering on` and `gzip off` are what Gatehouse does anyway.
            let harmless = matches!(
                (d.name.as_str(), d.arg(0)),
                ("gzip", "off")
                    | ("proxy_buffering", "on")
                    | ("proxy_pass_request_headers", "on")
                    | ("proxy_intercept_errors", "off")
                    | ("ssi", "off")
            );
            if !harmless {
                warnings.push(warn(d, reason));
            }
            Ok(())
        }
        Some(Stance::Convert) => {
            warnings.push(warn(d, "not used in this block; nothing converted"));
            Ok(())
        }
    }
}

/// Reads the whole configuration.
pub fn read(top: &[Directive]) -> Result<Tree, ImportError> {
    let mut tree = Tree::default();
    http(top, &Level::default(), &mut tree)?;
    Ok(tree)
}

/// An `http` block (or the top level, which may hold `http`, `server` or
/// bare `location` blocks when the file is a fragment).
fn http(dirs: &[Directive], parent: &Level, tree: &mut Tree) -> Result<(), ImportError> {
    let mut own = Level::default();
    let mut warnings = Vec::new();
    for d in dirs {
        match d.name.as_str() {
            "http" | "server" | "location" => {}
            "events" => {}
            "upstream" => tree.upstreams.push(upstream_block(d, &mut warnings)?),
            "map" => map_block(d, tree),
            "set_real_ip_from" => tree.trusted_proxies.push(Set {
                value: d.arg(0).to_owned(),
                at: d.at.clone(),
            }),
            "real_ip_header" => {
                if !d.arg(0).eq_ignore_ascii_case("x-forwarded-for") {
                    warnings.push(warn(d, "only X-Forwarded-For is read from trusted_proxies"));
                }
            }
            "real_ip_recursive" => {}
            name if is_rewrite(name) => {
                warnings.push(warn(d, "not allowed in the http block by nginx; ignored"))
            }
            _ => {
                if !own.read(d) {
                    other(d, &mut warnings)?;
                }
            }
        }
    }
    tree.warnings.extend(warnings);
    let level = own.over(parent);
    let mut loose: Vec<&Directive> = Vec::new();
    for d in dirs {
        match d.name.as_str() {
            "http" => http(d.children(), &level, tree)?,
            "server" => {
                let s = server(d, &level)?;
                tree.servers.push(s);
            }
            "location" => loose.push(d),
            _ => {}
        }
    }
    if let Some(first) = loose.first() {
        // A fragment of location blocks (a SWAG subfolder file): they live
        // in the server that includes them; here, a server without a name.
        let mut locations = Vec::new();
        for d in &loose {
            locations.push(location(d, &level)?);
        }
        tree.servers.push(Server {
            at: first.at.clone(),
            names: Vec::new(),
            first_name: String::new(),
            listens: Vec::new(),
            level: level.clone(),
            rewrites: Vec::new(),
            locations,
            warnings: Vec::new(),
        });
    }
    Ok(())
}

/// `upstream NAME { server ADDR [options]; … }`: the servers become the
/// route's failover list; balancing and health options are warned.
fn upstream_block(
    d: &Directive,
    warnings: &mut Vec<Warning>,
) -> Result<UpstreamBlock, ImportError> {
    let mut servers = Vec::new();
    for c in d.children() {
        match c.name.as_str() {
            "server" => {
                let opts: Vec<String> = c.texts().iter().skip(1).map(|s| s.to_string()).collect();
                for o in &opts {
                    let name = o.split('=').next().unwrap_or("");
                    let reason = match name {
                        "weight" => "weights are not supported: Gatehouse tries a route's upstreams in order (failover), no load balancing",
                        "backup" => "written last in the failover order: Gatehouse tries it after the others fail, and also when only some of them failed",
                        "down" => "left out",
                        "max_fails" | "fail_timeout" | "slow_start" | "max_conns" => "no passive health state: every request tries the upstreams in order",
                        "resolve" | "service" => "resolved at connect time like any host name",
                        _ => continue,
                    };
                    warnings.push(warn(c, format!("{o}: {reason}")));
                }
                if c.arg(0).starts_with("unix:") {
                    warnings.push(warn(c, "unix-socket upstreams are not supported: listen on 127.0.0.1 instead; left out"));
                }
                servers.push(Set {
                    value: (c.arg(0).to_owned(), opts),
                    at: c.at.clone(),
                });
            }
            "keepalive" | "keepalive_timeout" | "keepalive_requests" | "keepalive_time"
            | "zone" => {}
            "least_conn" | "ip_hash" | "hash" | "random" | "ntlm" | "sticky" | "least_time" => {
                warnings.push(warn(
                    c,
                    "no load balancing: Gatehouse tries a route's upstreams in order (failover)",
                ))
            }
            _ => other(c, warnings)?,
        }
    }
    Ok(UpstreamBlock {
        name: d.arg(0).to_owned(),
        servers,
        at: d.at.clone(),
    })
}

/// `map $src $dst { … }`: the WebSocket `$connection_upgrade` map is
/// understood; every other map is warned about (its variable is refused
/// where it is used).
fn map_block(d: &Directive, tree: &mut Tree) {
    let dst = d.arg(1).trim_start_matches('$').to_owned();
    let entries: Vec<(String, String)> = d
        .children()
        .iter()
        .map(|c| (c.name.clone(), c.arg(0).to_owned()))
        .collect();
    let upgrade_map = d.arg(0) == "$http_upgrade"
        && entries.len() == 2
        && entries
            .iter()
            .any(|(k, v)| k == "default" && v.eq_ignore_ascii_case("upgrade"))
        && entries
            .iter()
            .any(|(k, v)| k.is_empty() && v.eq_ignore_ascii_case("close"));
    if upgrade_map {
        tree.connection_upgrade.push(dst);
    } else {
        tree.warnings.push(warn(
            d,
            format!("maps are not imported: ${dst} is refused where it is used"),
        ));
        tree.mapped.push(dst);
    }
}

/// Parses one `listen`.
fn listen(d: &Directive, warnings: &mut Vec<Warning>) -> Option<Listen> {
    let raw = d.arg(0);
    let mut ssl = false;
    let mut default = false;
    for flag in d.texts().iter().skip(1) {
        match *flag {
            "ssl" => ssl = true,
            "default_server" | "default" => default = true,
            "quic" => warnings.push(warn(
                d,
                "HTTP/3 is not supported: clients use HTTP/2 or HTTP/1.1 over TLS",
            )),
            "proxy_protocol" => warnings.push(warn(
                d,
                "PROXY protocol is not supported: use trusted_proxies with X-Forwarded-For",
            )),
            _ => {}
        }
    }
    let addr = if raw.bytes().all(|b| b.is_ascii_digit()) {
        format!("0.0.0.0:{raw}")
    } else if let Some(port) = raw.strip_prefix("*:") {
        format!("0.0.0.0:{port}")
    } else if let Some(port) = raw.strip_prefix("localhost:") {
        format!("127.0.0.1:{port}")
    } else if raw.parse::<std::net::SocketAddr>().is_ok() {
        raw.to_owned()
    } else if raw.parse::<std::net::IpAddr>().is_ok() {
        format!("{raw}:80")
    } else {
        warnings.push(warn(
            d,
            format!("{raw}: Gatehouse listens on IP:PORT only; not converted"),
        ));
        return None;
    };
    Some(Listen {
        addr,
        ssl,
        default,
        at: d.at.clone(),
    })
}

/// A `server` block.
fn server(d: &Directive, parent: &Level) -> Result<Server, ImportError> {
    let mut own = Level::default();
    let mut warnings = Vec::new();
    let mut names = Vec::new();
    let mut first_name: Option<String> = None;
    let mut listens = Vec::new();
    let mut rewrites = Vec::new();
    let mut ssl_on = false;
    for c in d.children() {
        match c.name.as_str() {
            "location" => {}
            "listen" => listens.extend(listen(c, &mut warnings)),
            "server_name" => {
                for n in c.texts() {
                    first_name.get_or_insert_with(|| n.to_owned());
                    if n != "_" && !n.is_empty() {
                        names.push(n.to_owned());
                    }
                }
            }
            "ssl" => ssl_on = c.arg(0) == "on",
            "http2" => {}
            name if is_rewrite(name) => rewrites.push(c.clone()),
            _ => {
                if !own.read(c) {
                    other(c, &mut warnings)?;
                }
            }
        }
    }
    if ssl_on {
        for l in &mut listens {
            l.ssl = true;
        }
    }
    let level = own.over(parent);
    let mut locations = Vec::new();
    for c in d.children() {
        if c.name == "location" {
            locations.push(location(c, &level)?);
        }
    }
    Ok(Server {
        at: d.at.clone(),
        names,
        first_name: first_name.unwrap_or_default(),
        listens,
        level,
        rewrites,
        locations,
        warnings,
    })
}

/// Directives that make a location serve something other than a proxy.
const NOT_PROXY: &[&str] = &[
    "root",
    "alias",
    "try_files",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
    "autoindex",
    "stub_status",
];

/// A `location` block and its nested locations.
fn location(d: &Directive, parent: &Level) -> Result<Location, ImportError> {
    let args = d.texts();
    let (modifier, pattern) = match args.as_slice() {
        ["=", p] => (Modifier::Exact, *p),
        ["^~", p] => (Modifier::PrefixNoRegex, *p),
        ["~", p] => (Modifier::Regex { caseless: false }, *p),
        ["~*", p] => (Modifier::Regex { caseless: true }, *p),
        [p] if p.starts_with('@') => (Modifier::Named, *p),
        [p] if p.starts_with('=') => (Modifier::Exact, &p[1..]),
        [p] => (Modifier::Prefix, *p),
        _ => {
            return Err(ImportError::at(
                &d.at.file,
                d.at.line,
                format!("location: unexpected arguments {:?}", args.join(" ")),
            ))
        }
    };
    let mut own = Level::default();
    let mut warnings = Vec::new();
    let mut proxy_pass = None;
    let mut rewrites = Vec::new();
    let mut internal = false;
    let mut not_proxy = None;
    for c in d.children() {
        match c.name.as_str() {
            "location" => {}
            "proxy_pass" => {
                proxy_pass = Some(Set {
                    value: c.arg(0).to_owned(),
                    at: c.at.clone(),
                })
            }
            "internal" => internal = true,
            "proxy_http_version" | "proxy_pass_request_body" => {}
            name if is_rewrite(name) => rewrites.push(c.clone()),
            name if NOT_PROXY.contains(&name) => {
                if not_proxy.is_none() {
                    if let Some(Stance::Warn(reason)) = stance(name) {
                        not_proxy = Some(warn(
                            c,
                            format!("{reason}; location {pattern} not converted"),
                        ));
                    }
                }
            }
            _ => {
                if !own.read(c) {
                    other(c, &mut warnings)?;
                }
            }
        }
    }
    let level = own.over(parent);
    let mut children = Vec::new();
    for c in d.children() {
        if c.name == "location" {
            children.push(location(c, &level)?);
        }
    }
    Ok(Location {
        at: d.at.clone(),
        modifier,
        pattern: pattern.to_owned(),
        level,
        proxy_pass,
        rewrites,
        internal,
        warnings,
        not_proxy,
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::nginx::{lexer::tokenize, parser::parse};
    use std::rc::Rc;

    fn tree(text: &str) -> Result<Tree, ImportError> {
        let file: Rc<str> = Rc::from("t.conf");
        read(&parse(&file, tokenize("t.conf", text.as_bytes())?)?)
    }

    #[test]
    fn test_read_servers_locations_and_inheritance() {
        let t = tree(
            "http {\n proxy_read_timeout 240;\n upstream plex { server 127.0.0.1:32400; }\n map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n server {\n  listen 443 ssl http2 default_server;\n  listen [::]:443 ssl;\n  server_name plex.example.com *.example.org;\n  location /a/ {\n   proxy_pass http://plex;\n   location /a/api { auth_request off; proxy_pass http://plex; }\n  }\n }\n}\n",
        )
        .unwrap();
        assert_eq!(t.upstreams[0].servers[0].value.0, "127.0.0.1:32400");
        assert_eq!(t.connection_upgrade, ["connection_upgrade"]);
        let s = &t.servers[0];
        assert_eq!(s.names, ["plex.example.com", "*.example.org"]);
        assert_eq!(s.listens[0].addr, "0.0.0.0:443");
        assert!(s.listens[0].ssl && s.listens[0].default);
        assert_eq!(s.listens[1].addr, "[::]:443");
        let loc = &s.locations[0];
        assert_eq!(loc.level.read_timeout.as_ref().unwrap().value, "240");
        assert_eq!(
            loc.children[0].level.auth_request.as_ref().unwrap().value,
            "off"
        );
    }

    #[test]
    fn test_read_fragment_of_locations() {
        let t = tree("location ^~ /sonarr {\n proxy_pass http://127.0.0.1:8989;\n}\n").unwrap();
        assert_eq!(t.servers.len(), 1);
        assert_eq!(t.servers[0].locations[0].modifier, Modifier::PrefixNoRegex);
    }

    #[test]
    fn test_unknown_directive_in_location_is_an_error() {
        let e = tree("server {\n location / {\n  proxy_pas http://x;\n }\n}\n").unwrap_err();
        assert_eq!(e.to_string(), "t.conf:3: unknown directive \"proxy_pas\"");
    }

    #[test]
    fn test_warned_directives_name_the_line() {
        let t = tree("server {\n gzip on;\n location / {\n  proxy_pass http://x;\n  sub_filter a b;\n }\n}\n").unwrap();
        assert!(t.servers[0].warnings[0]
            .to_string()
            .starts_with("t.conf:2: gzip: responses are passed"));
        assert!(t.servers[0].locations[0].warnings[0]
            .to_string()
            .starts_with("t.conf:5: sub_filter: response bodies are passed unchanged"));
    }
}
