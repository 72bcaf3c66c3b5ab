//! The server-wide parts of the conversion: which server is nginx's
//! default for each listener, the certificate names, `[server] listen` and
//! `tls_listen`, and the routes' final names (duplicates dropped).

use super::super::Warning;
use super::plan::{CertPlan, Plan, RoutePlan};
use super::tree::{warn_at, Server, Tree};

/// Indexes of the servers nginx uses for hosts no `server_name` matches:
/// per listen address the `default_server`, else the first one.
pub fn default_servers(servers: &[Server]) -> Vec<usize> {
    let mut by_addr: Vec<(String, usize, bool)> = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        let addrs: Vec<(String, bool)> = if s.listens.is_empty() {
            vec![("0.0.0.0:80".to_owned(), false)]
        } else {
            s.listens
                .iter()
                .map(|l| (l.addr.clone(), l.default))
                .collect()
        };
        for (addr, default) in addrs {
            match by_addr.iter_mut().find(|(a, _, _)| *a == addr) {
                Some(entry) if default && !entry.2 => *entry = (addr, i, true),
                Some(_) => {}
                None => by_addr.push((addr, i, default)),
            }
        }
    }
    let mut out: Vec<usize> = by_addr.into_iter().map(|(_, i, _)| i).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The server's certificate pair and the names it serves under.
pub fn certificate(
    server: &Server,
    hosts: &[String],
    default: bool,
    warnings: &mut Vec<Warning>,
) -> Option<CertPlan> {
    if !server.listens.iter().any(|l| l.ssl) {
        return None;
    }
    let (Some(cert), Some(key)) = (
        &server.level.ssl_certificate,
        &server.level.ssl_certificate_key,
    ) else {
        warnings.push(warn_at(&server.at, "listen", "an ssl listener without ssl_certificate and ssl_certificate_key; put NAME.crt and NAME.key into certs_dir"));
        return None;
    };
    let mut names = Vec::new();
    if default {
        names.push("default".to_owned());
    }
    for h in hosts.iter().chain(server.names.iter().filter(|_| default)) {
        let name = if let Some(rest) = h.strip_prefix("*.") {
            format!("_.{rest}")
        } else if let Some(rest) = h.strip_prefix('.') {
            names.push(rest.to_owned());
            format!("_.{rest}")
        } else if h.ends_with(".*") {
            warnings.push(warn_at(&cert.at, "ssl_certificate", format!("{h}: certificates are chosen by exact name or *.domain; copy this one as NAME.crt for each full name {h} stands for (or as default.crt)")));
            continue;
        } else {
            h.clone()
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Some(CertPlan {
        cert: cert.value.clone(),
        key: key.value.clone(),
        file: cert.at.file.to_string(),
        line: cert.at.line,
        names,
    })
}

/// `[server] listen` and `tls_listen` from every `listen`.
pub fn listeners(tree: &Tree, plan: &mut Plan) {
    let mut plain = Vec::new();
    let mut tls = Vec::new();
    for s in &tree.servers {
        for l in &s.listens {
            let list = if l.ssl { &mut tls } else { &mut plain };
            if !list.contains(&l.addr) {
                list.push(l.addr.clone());
            }
        }
    }
    for list in [&mut plain, &mut tls] {
        let v4_ports: Vec<String> = list
            .iter()
            .filter_map(|a| a.strip_prefix("0.0.0.0:").map(str::to_owned))
            .collect();
        list.retain(|a| {
            let dup = a
                .strip_prefix("[::]:")
                .is_some_and(|p| v4_ports.iter().any(|v| v == p));
            !dup
        });
    }
    for (port_list, ssl) in [(&plain, false), (&tls, true)] {
        for a in port_list.iter() {
            let port = a.rsplit(':').next().unwrap_or("");
            let had_v6 = tree
                .servers
                .iter()
                .flat_map(|s| &s.listens)
                .find(|l| l.ssl == ssl && l.addr == format!("[::]:{port}"));
            if let (Some(l), true) = (had_v6, a.starts_with("0.0.0.0:")) {
                plan.warnings.push((None, warn_at(&l.at, "listen", format!("[::]:{port} is left out: on Linux 0.0.0.0:{port} and [::]:{port} cannot both be bound by one process unless IPv6 sockets are IPv6-only; [::]:{port} alone serves both"))));
            }
        }
    }
    plan.listen = plain;
    plan.tls_listen = tls;
}

/// A later route with the same hosts, path and exactness as an earlier one
/// is dropped with a warning (nginx would pick one server block by listener).
pub fn dedupe_routes(plan: &mut Plan) {
    let mut kept: Vec<RoutePlan> = Vec::new();
    for r in std::mem::take(&mut plan.routes) {
        let clash = kept.iter().find(|k| {
            k.path == r.path
                && k.exact == r.exact
                && (k.hosts == r.hosts || k.hosts.iter().any(|h| r.hosts.contains(h)))
        });
        match clash {
            Some(k) => plan.warnings.push((
                Some(r.server),
                Warning {
                    file: r.file.clone(),
                    line: r.line,
                    directive: "location".to_owned(),
                    reason: format!(
                        "{} is already routed from {}:{} (another server block for the same hosts); Gatehouse routes do not depend on the listener, so this one is not converted",
                        r.path, k.file, k.line
                    ),
                },
            )),
            None => kept.push(r),
        }
    }
    plan.routes = kept;
}

/// Unique route names from host and path: `sonarr`, `sonarr-api`, `root`.
pub fn name_routes(plan: &mut Plan) {
    let mut used: Vec<String> = Vec::new();
    for r in &mut plan.routes {
        let host = r
            .hosts
            .first()
            .map(|h| {
                h.trim_start_matches("*.")
                    .trim_start_matches('.')
                    .trim_end_matches(".*")
            })
            .and_then(|h| h.split('.').next())
            .unwrap_or("");
        let path: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
        let mut parts: Vec<String> = Vec::new();
        if !host.is_empty() && path.first().is_none_or(|p| *p != host) {
            parts.push(host.to_owned());
        }
        parts.extend(path.iter().map(|s| s.to_string()));
        let mut base: String = parts
            .join("-")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        if base.is_empty() {
            base = "root".to_owned();
        }
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        used.push(name.clone());
        r.name = name;
    }
}
