//! A [`Plan`] written as Gatehouse TOML: `[server]`, a `[proxy]` holding the
//! value most routes share for every key (nginx's defaults written out,
//! since Gatehouse's differ), then each `[[route]]` with its origin and
//! warnings as comments and only the keys where it differs, then the
//! `[[redirect]]`s.

use super::super::toml_out::{comment, inline_table, key, string, strings};
use super::plan::{AuthPlan, Plan, ProxyPlan, RoutePlan};

/// The `[proxy]` keys of a route as `(key, TOML value)`.
fn fields(p: &ProxyPlan) -> Vec<(&'static str, String)> {
    let add: Vec<(String, String)> = p
        .add_headers
        .iter()
        .map(|(n, v, always)| {
            let value = if *always {
                format!("{{ value = {}, always = true }}", string(v))
            } else {
                string(v)
            };
            (n.clone(), value)
        })
        .collect();
    let pairs = |list: &[(String, String)]| -> String {
        inline_table(
            &list
                .iter()
                .map(|(k, v)| (k.clone(), string(v)))
                .collect::<Vec<_>>(),
        )
    };
    vec![
        ("client_max_body_size", string(&p.client_max_body_size)),
        (
            "client_body_buffer_size",
            string(&p.client_body_buffer_size),
        ),
        ("connect_timeout", string(&p.connect_timeout)),
        ("read_timeout", string(&p.read_timeout)),
        ("send_timeout", string(&p.send_timeout)),
        ("client_send_timeout", string(&p.client_send_timeout)),
        ("next_upstream", strings(&p.next_upstream)),
        ("next_upstream_tries", p.next_upstream_tries.to_string()),
        ("hide_headers", strings(&p.hide_headers)),
        ("set_headers", pairs(&p.set_headers)),
        ("add_headers", inline_table(&add)),
        ("location_rewrite", pairs(&p.location_rewrite)),
        ("redirect_scheme", p.redirect_scheme.to_string()),
        ("websocket", p.websocket.to_string()),
        ("keepalive", "true".to_owned()),
    ]
}

/// For every key, the value most routes have (the first on a tie).
fn common(routes: &[RoutePlan]) -> Vec<(&'static str, String)> {
    let all: Vec<Vec<(&'static str, String)>> = routes.iter().map(|r| fields(&r.proxy)).collect();
    let Some(first) = all.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|i| {
            let mut counts: Vec<(&String, usize)> = Vec::new();
            for f in &all {
                match counts.iter_mut().find(|(v, _)| **v == f[i].1) {
                    Some(c) => c.1 += 1,
                    None => counts.push((&f[i].1, 1)),
                }
            }
            let best = counts
                .iter()
                .fold(&counts[0], |b, c| if c.1 > b.1 { c } else { b });
            (first[i].0, best.0.clone())
        })
        .collect()
}

fn host_value(hosts: &[String]) -> String {
    match hosts {
        [one] => string(one),
        many => strings(many),
    }
}

/// Writes the whole configuration.
pub fn emit(plan: &Plan, source: &str, certs_note: &[String]) -> String {
    let warnings = plan.all_warnings();
    let mut out = String::new();
    out += &comment(&format!(
        "Gatehouse configuration imported from nginx ({source}) by `gatehouse import nginx`.\n\
         {} routes, {} redirects, {} warnings. Every warning is also written above the\n\
         route it concerns: review them, then check the file with `gatehouse check -c FILE`.",
        plan.routes.len(),
        plan.redirects.len(),
        warnings.len()
    ));
    let global: Vec<String> = plan
        .warnings
        .iter()
        .filter(|(server, _)| server.is_none_or(|s| !plan.routes.iter().any(|r| r.server == s)))
        .map(|(_, w)| format!("warning: {w}"))
        .collect();
    if !global.is_empty() {
        out += "#\n";
        for w in dedup(global) {
            out += &comment(&w);
        }
    }
    out += "\n[server]\n";
    if !plan.listen.is_empty() || !plan.tls_listen.is_empty() {
        out += &format!("listen = {}\n", strings(&plan.listen));
        out += &format!("tls_listen = {}\n", strings(&plan.tls_listen));
    }
    if !plan.trusted_proxies.is_empty() {
        out += &format!("trusted_proxies = {}\n", strings(&plan.trusted_proxies));
    }
    for line in certs_note {
        out += line;
        out += "\n";
    }
    let common = common(&plan.routes);
    if !common.is_empty() {
        out += "\n# nginx's settings shared by most locations (nginx's defaults where it set nothing).\n[proxy]\n";
        for (k, v) in &common {
            out += &format!("{k} = {v}\n");
        }
    }
    let mut seen_servers: Vec<usize> = Vec::new();
    for r in &plan.routes {
        out += "\n";
        if !seen_servers.contains(&r.server) {
            seen_servers.push(r.server);
            let server_warnings: Vec<String> = plan
                .warnings
                .iter()
                .filter(|(s, _)| *s == Some(r.server))
                .map(|(_, w)| format!("warning: {w}"))
                .collect();
            for w in dedup(server_warnings) {
                out += &comment(&w);
            }
        }
        out += &route(r, &common);
    }
    for r in &plan.redirects {
        out += "\n";
        out += &comment(&r.origin);
        for w in &r.warnings {
            out += &comment(&format!("warning: {w}"));
        }
        out += "[[redirect]]\n";
        if !r.hosts.is_empty() {
            out += &format!("host = {}\n", host_value(&r.hosts));
        }
        if let Some(s) = r.scheme {
            out += &format!("scheme = {}\n", string(s));
        }
        if let Some(re) = &r.if_referer {
            out += &format!("if_referer = {}\n", string(re));
        }
        out += &format!(
            "from = {}\nto = {}\nstatus = {}\n",
            string(&r.from),
            string(&r.to),
            r.status
        );
        if r.keep_query {
            out += "keep_query = true\n";
        }
        if !r.add_headers.is_empty() {
            let add: Vec<(String, String)> = r
                .add_headers
                .iter()
                .map(|(n, v, always)| {
                    let value = if *always {
                        format!("{{ value = {}, always = true }}", string(v))
                    } else {
                        string(v)
                    };
                    (n.clone(), value)
                })
                .collect();
            out += &format!("add_headers = {}\n", inline_table(&add));
        }
    }
    out
}

fn dedup(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// One `[[route]]` with the keys where it differs from `[proxy]`.
fn route(r: &RoutePlan, common: &[(&'static str, String)]) -> String {
    let mut out = comment(&r.origin);
    for w in &r.warnings {
        out += &comment(&format!("warning: {w}"));
    }
    out += "[[route]]\n";
    out += &format!("name = {}\n", string(&r.name));
    if !r.hosts.is_empty() {
        out += &format!("host = {}\n", host_value(&r.hosts));
    }
    out += &format!("path = {}\n", string(&r.path));
    if r.exact {
        out += "exact = true\n";
    }
    out += &format!("upstream = {}\n", strings(&r.upstreams));
    out += &match r.auth {
        AuthPlan::None => "auth = \"none\"\n".to_owned(),
        AuthPlan::Member => "auth = \"member\"\n".to_owned(),
        AuthPlan::Group(g) => format!("auth = {g}\n"),
    };
    if !r.identity.is_empty() {
        let pairs: Vec<(String, String)> = r
            .identity
            .iter()
            .map(|(h, f)| (h.clone(), string(f)))
            .collect();
        out += &format!("identity_headers = {}\n", inline_table(&pairs));
    }
    for ((k, v), (_, c)) in fields(&r.proxy).iter().zip(common) {
        if v != c {
            out += &format!("{} = {v}\n", key(k));
        }
    }
    out
}
