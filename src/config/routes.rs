//! `[[route]]` and `[[redirect]]` tables, and the checks across them:
//! unique route names and unique (host, path, exact) triples.
//!
//! Routes are named `route[N]` in messages (N = 0-based position in the file),
//! redirects `redirect[N]`.

use http::header::HeaderName;
use toml_edit::{Item, TableLike, Value};

use super::access_model::SecondFactorPolicy;
use regex::Regex;

use super::defaults::DEFAULT_REDIRECT_STATUS;
use super::file::{as_str, boolean, string, values, At, Cx, Section};
use super::model::{
    AuthLevel, HostPattern, IdentityField, ProxySettings, Redirect, RedirectPart, Route,
};
use super::overrides::ProxyOverrides;
use super::policy::read_route_access;
use super::validate::*;

/// Every `[[name]]` table of the root (or inline `name = [{…}]` array), as sections.
pub(super) fn array_tables<'a>(
    cx: &mut Cx<'_>,
    root: &mut Section<'a>,
    name: &str,
) -> Vec<Section<'a>> {
    let Some((spot, item)) = root.item(cx, name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match item {
        Item::ArrayOfTables(tables) => {
            for (i, table) in tables.iter().enumerate() {
                let line = cx.src.line_of_span(table.span()).unwrap_or(spot.line);
                out.push(Section::new(
                    format!("{name}[{i}]"),
                    Some(table as &dyn TableLike),
                    line,
                ));
            }
        }
        Item::Value(Value::Array(array)) => {
            for (i, value) in array.iter().enumerate() {
                let line = cx.src.line_of_span(value.span()).unwrap_or(spot.line);
                match value.as_inline_table() {
                    Some(t) => out.push(Section::new(
                        format!("{name}[{i}]"),
                        Some(t as &dyn TableLike),
                        line,
                    )),
                    None => {
                        let mut at = spot.clone();
                        at.key = format!("{name}[{i}]");
                        at.line = line;
                        at.raw = cx.src.raw(value.span());
                        cx.report(
                            &at,
                            format!("expected a table, found {}", value.type_name()),
                        );
                    }
                }
            }
        }
        other => cx.report(
            &spot,
            format!("expected [[{name}]] tables, found {}", other.type_name()),
        ),
    }
    out
}

/// A route as read: the keys the cross-route checks need (each `None` when
/// missing or bad), and the route itself when everything was valid.
struct RouteDraft {
    name: Option<At<String>>,
    path: Option<At<String>>,
    /// `None` when `host` was bad; empty = any host.
    hosts: Option<Vec<HostPattern>>,
    exact: bool,
    route: Option<Route>,
}

/// Every `[[route]]`, each with `base` (the merged `[proxy]`) plus its
/// overrides; `public_host` is `$server_name` of routes without a host.
pub fn read_routes(
    cx: &mut Cx<'_>,
    root: &mut Section<'_>,
    base: &ProxySettings,
    public_host: &str,
    policy: SecondFactorPolicy,
) -> Vec<Route> {
    let drafts: Vec<RouteDraft> = array_tables(cx, root, "route")
        .into_iter()
        .map(|sec| read_route(cx, sec, base, public_host, policy))
        .collect();
    check_unique_routes(cx, &drafts);
    drafts.into_iter().filter_map(|d| d.route).collect()
}

/// One `[[route]]`; `route` is `None` when a key is missing or bad.
fn read_route(
    cx: &mut Cx<'_>,
    mut sec: Section<'_>,
    base: &ProxySettings,
    public_host: &str,
    policy: SecondFactorPolicy,
) -> RouteDraft {
    let errors_before = cx.errors.len();
    let groups = cx.groups.clone();
    let name = sec.required(cx, "name", |v| match as_str(v)? {
        "" => Err("route name must not be empty".to_owned()),
        s => Ok(s.to_owned()),
    });
    let path = sec.required(cx, "path", |v| as_str(v).and_then(check_route_path));
    let hosts = read_hosts(cx, &mut sec);
    let exact = sec.get(cx, "exact", boolean).is_some_and(|a| a.value);
    let upstreams = read_upstreams(cx, &mut sec);
    let auth = sec
        .get(cx, "auth", |v| check_auth(v, &groups))
        .map_or(AuthLevel::None, |a| a.value);
    let home_min_group = sec
        .get(cx, "home_min_group", |v| check_group(v, &groups))
        .map_or(0, |a| a.value);
    let mut sso = Vec::new();
    for service in values(sec.list(cx, "sso", true, check_sso_service)).unwrap_or_default() {
        if !sso.contains(&service) {
            sso.push(service);
        }
    }
    let identity_headers = read_identity_headers(cx, &mut sec);
    let title = sec
        .get(cx, "title", string)
        .map(|a| a.value)
        .filter(|t| !t.is_empty());
    let proxy = ProxyOverrides::read(cx, &mut sec).apply(base);
    let route_path = path.as_ref().map(|p| p.value.as_str());
    let access = read_route_access(cx, &mut sec, route_path, auth, policy);
    sec.finish(cx);
    let valid = cx.errors.len() == errors_before;
    let route = match (&name, &path, &hosts, upstreams) {
        (Some(name), Some(path), Some(hosts), Some(upstreams)) if valid => Some(Route {
            name: name.value.clone(),
            server_name: hosts
                .first()
                .map_or_else(|| public_host.to_owned(), ToString::to_string),
            hosts: hosts.clone(),
            path: path.value.clone(),
            exact,
            upstreams,
            auth,
            sso,
            identity_headers,
            title,
            home_min_group,
            proxy,
            access,
        }),
        _ => None,
    };
    RouteDraft {
        name,
        path,
        hosts,
        exact,
        route,
    }
}

/// `host`: one pattern or a list (`""` alone = any host); `None` when bad.
pub(super) fn read_hosts(cx: &mut Cx<'_>, sec: &mut Section<'_>) -> Option<Vec<HostPattern>> {
    if !sec.has("host") {
        return Some(Vec::new());
    }
    let errors_before = cx.errors.len();
    let list = sec.list(cx, "host", true, |v| {
        let text = as_str(v)?;
        Ok((!text.trim().is_empty()).then(|| text.to_owned()))
    })?;
    let lone_empty = list.value.len() == 1 && list.value[0].value.is_none();
    let mut out: Vec<HostPattern> = Vec::new();
    for at in &list.value {
        let parsed = match &at.value {
            None if lone_empty => continue,
            None => Err("empty host name".to_owned()),
            Some(text) => check_host_pattern(text),
        };
        match parsed {
            Ok(p) if !out.contains(&p) => out.push(p),
            Ok(_) => {}
            Err(reason) => cx.report(&at.spot, reason),
        }
    }
    (cx.errors.len() == errors_before).then_some(out)
}

/// `upstream`: one URL or a non-empty list (failover order).
fn read_upstreams(cx: &mut Cx<'_>, sec: &mut Section<'_>) -> Option<Vec<super::model::Upstream>> {
    if !sec.has("upstream") {
        sec.report_missing(cx, "upstream", "required key is missing");
    }
    let errors_before = cx.errors.len();
    let list = sec.list(cx, "upstream", true, |v| as_str(v).and_then(check_upstream))?;
    if cx.errors.len() > errors_before {
        return None;
    }
    if list.value.is_empty() {
        cx.report(&list.spot, "at least one upstream is required");
        return None;
    }
    values(Some(list))
}

/// `identity_headers`: header name → username | email | group | group_name.
fn read_identity_headers(
    cx: &mut Cx<'_>,
    sec: &mut Section<'_>,
) -> Vec<(HeaderName, IdentityField)> {
    let mut table = sec.table(cx, "identity_headers");
    let mut out: Vec<(HeaderName, IdentityField)> = Vec::new();
    for (name, spot, value) in table.entries(cx) {
        match check_header_name(&name).and_then(|n| Ok((n, check_identity_field(value)?))) {
            Ok((n, _)) if out.iter().any(|(seen, _)| *seen == n) => {
                cx.report(&spot, "duplicate header name (names are case-insensitive)");
            }
            Ok(entry) => out.push(entry),
            Err(reason) => cx.report(&spot, reason),
        }
    }
    table.finish(cx);
    out
}

/// Whether two host lists can answer the same request host first.
fn same_hosts(a: &[HostPattern], b: &[HostPattern]) -> bool {
    (a.is_empty() && b.is_empty()) || a.iter().any(|h| b.contains(h))
}

/// Route names are unique; so are (host, path, exact) triples.
fn check_unique_routes(cx: &mut Cx<'_>, drafts: &[RouteDraft]) {
    for (i, d) in drafts.iter().enumerate() {
        let earlier = &drafts[..i];
        if let Some(name) = &d.name {
            let same_name =
                |e: &&RouteDraft| e.name.as_ref().is_some_and(|n| n.value == name.value);
            if let Some(first) = earlier.iter().find(same_name).and_then(|e| e.name.as_ref()) {
                let reason = format!("duplicate route name (first at line {})", first.spot.line);
                cx.report(&name.spot, reason);
            }
        }
        let (Some(path), Some(hosts)) = (&d.path, &d.hosts) else {
            continue;
        };
        let same_place = |e: &&RouteDraft| {
            e.hosts.as_ref().is_some_and(|h| same_hosts(h, hosts))
                && e.exact == d.exact
                && e.path.as_ref().is_some_and(|p| p.value == path.value)
        };
        if let Some(first) = earlier.iter().find(same_place) {
            let first_name = first.name.as_ref().map_or("?", |n| n.value.as_str());
            let first_line = first.path.as_ref().map_or(0, |p| p.spot.line);
            let reason = format!("same host and path as route {first_name:?} (line {first_line})");
            cx.report(&path.spot, reason);
        }
    }
}

/// Every `[[redirect]]`, in file order.
pub fn read_redirects(cx: &mut Cx<'_>, root: &mut Section<'_>) -> Vec<Redirect> {
    array_tables(cx, root, "redirect")
        .into_iter()
        .filter_map(|sec| read_redirect(cx, sec))
        .collect()
}

/// One `[[redirect]]`: `from` and `to` are required.
fn read_redirect(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Option<Redirect> {
    let if_referer = sec.get(cx, "if_referer", |v| match as_str(v)? {
        "" => Ok(None),
        text => check_regex(text).map(Some),
    });
    let hosts = read_hosts(cx, &mut sec);
    let scheme = sec.get(cx, "scheme", |v| match as_str(v)? {
        "" => Ok(None),
        "http" => Ok(Some("http")),
        "https" => Ok(Some("https")),
        _ => Err("expected \"http\" or \"https\" (or \"\" for both)".to_owned()),
    });
    let from = sec.required(cx, "from", |v| as_str(v).and_then(check_regex));
    let to = sec.required(cx, "to", |v| {
        let to = as_str(v)?;
        let target = parse_redirect_target(to, from.as_ref().map(|f| &f.value))?;
        Ok((to.to_owned(), target))
    });
    let status = sec
        .get(cx, "status", check_redirect_status)
        .map_or(DEFAULT_REDIRECT_STATUS, |a| a.value);
    let keep_query = sec.get(cx, "keep_query", boolean).is_some_and(|a| a.value);
    let add_headers = super::overrides::read_add_headers(cx, &mut sec).unwrap_or_default();
    sec.finish(cx);
    let (to, target) = to?.value;
    Some(Redirect {
        if_referer: if_referer.and_then(|r| r.value),
        hosts: hosts?,
        scheme: scheme.and_then(|s| s.value),
        from: from?.value,
        to,
        target,
        status,
        keep_query,
        add_headers,
    })
}

/// The variables a redirect target understands, for messages.
const REDIRECT_VARIABLES: &str =
    "$1…, $host, $scheme, $request_uri, $uri, $args, $is_args, $server_port";

/// Parses a redirect target: not empty, no control characters, `$N` only
/// for groups that `from` has (when `from` is valid), `$name` a named group
/// of `from` or one of [`REDIRECT_VARIABLES`], `$$` a literal `$`.
fn parse_redirect_target(to: &str, from: Option<&Regex>) -> Result<Vec<RedirectPart>, String> {
    if to.is_empty() {
        return Err("redirect target must not be empty".to_owned());
    }
    if to.chars().any(char::is_control) {
        return Err("control characters are not allowed".to_owned());
    }
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = to;
    while let Some(i) = rest.find('$') {
        literal.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            literal.push('$');
            rest = tail;
            continue;
        }
        let (name, next) = match after.strip_prefix('{') {
            Some(inner) => {
                let end = inner
                    .find('}')
                    .ok_or_else(|| "unterminated \"${\" in redirect target".to_owned())?;
                (&inner[..end], &inner[end + 1..])
            }
            None if after.starts_with(|c: char| c.is_ascii_digit()) => {
                let end = after
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(after.len());
                after.split_at(end)
            }
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                after.split_at(end)
            }
        };
        if name.is_empty() {
            return Err(format!(
                "\"$\" must be followed by a group number or a variable ({REDIRECT_VARIABLES}; $$ for \"$\")"
            ));
        }
        let part = redirect_part(name, from)?;
        if !literal.is_empty() {
            parts.push(RedirectPart::Literal(std::mem::take(&mut literal)));
        }
        parts.push(part);
        rest = next;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(RedirectPart::Literal(literal));
    }
    Ok(parts)
}

/// The meaning of `$name` in a redirect target.
fn redirect_part(name: &str, from: Option<&Regex>) -> Result<RedirectPart, String> {
    if let Ok(n) = name.parse::<usize>() {
        let groups = from.map(|f| f.captures_len().saturating_sub(1));
        if let Some(groups) = groups.filter(|&g| n > g) {
            return Err(format!(
                "${n} refers to a group that \"from\" does not have ({groups} groups)"
            ));
        }
        return Ok(RedirectPart::Group(n));
    }
    if from.is_some_and(|f| f.capture_names().flatten().any(|c| c == name)) {
        return Ok(RedirectPart::Named(name.to_owned()));
    }
    let part = match name.to_ascii_lowercase().as_str() {
        "host" => RedirectPart::Host,
        "scheme" => RedirectPart::Scheme,
        "request_uri" => RedirectPart::RequestUri,
        "uri" | "document_uri" => RedirectPart::Uri,
        "args" | "query_string" => RedirectPart::Args,
        "is_args" => RedirectPart::IsArgs,
        "server_port" => RedirectPart::ServerPort,
        _ if from.is_none() => RedirectPart::Named(name.to_owned()),
        _ => {
            return Err(format!(
                "unknown variable ${name} (supported: {REDIRECT_VARIABLES})"
            ))
        }
    };
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_redirect_target_groups() {
        let one = Regex::new("^/web/(.*)").unwrap();
        let none = Regex::new("^/").unwrap();
        assert!(parse_redirect_target("/plex/web/$1", Some(&one)).is_ok());
        assert!(parse_redirect_target("/plex/web/${1}", Some(&one)).is_ok());
        assert!(parse_redirect_target("/plex/web/$2", Some(&one)).is_err());
        assert!(parse_redirect_target("/plex/web/$2", None).is_ok());
        assert!(parse_redirect_target("", Some(&none)).is_err());
        assert!(parse_redirect_target("/a\nb", Some(&none)).is_err());
    }

    #[test]
    fn test_parse_redirect_target_variables() {
        let re = Regex::new("^/(?P<app>[a-z]+)/(.*)").unwrap();
        assert_eq!(
            parse_redirect_target("https://$host$request_uri", Some(&re)).unwrap(),
            [
                RedirectPart::Literal("https://".into()),
                RedirectPart::Host,
                RedirectPart::RequestUri
            ]
        );
        assert_eq!(
            parse_redirect_target("/$app/x$$y${2}", Some(&re)).unwrap(),
            [
                RedirectPart::Literal("/".into()),
                RedirectPart::Named("app".into()),
                RedirectPart::Literal("/x$y".into()),
                RedirectPart::Group(2),
            ]
        );
        let err = parse_redirect_target("/$hostname", Some(&re)).unwrap_err();
        assert!(err.starts_with("unknown variable $hostname"), "{err}");
        assert!(parse_redirect_target("/a$", Some(&re)).is_err());
    }
}
