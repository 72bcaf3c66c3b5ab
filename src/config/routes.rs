//! `[[route]]` and `[[redirect]]` tables, and the checks across them:
//! unique route names and unique (host, path) pairs.
//!
//! Routes are named `route[N]` in messages (N = 0-based position in the file),
//! redirects `redirect[N]`.

use http::header::HeaderName;
use toml_edit::{Item, TableLike, Value};

use super::access_model::SecondFactorPolicy;
use super::defaults::DEFAULT_REDIRECT_STATUS;
use super::file::{as_str, string, values, At, Cx, Section};
use super::model::{AuthLevel, IdentityField, ProxySettings, Redirect, Route};
use super::overrides::ProxyOverrides;
use super::policy::read_route_access;
use super::validate::*;

/// Every `[[name]]` table of the root (or inline `name = [{…}]` array), as sections.
fn array_tables<'a>(cx: &mut Cx<'_>, root: &mut Section<'a>, name: &str) -> Vec<Section<'a>> {
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
    /// `None` when `host` was bad; `Some(None)` = any host.
    host: Option<Option<String>>,
    route: Option<Route>,
}

/// Every `[[route]]`, each with `base` (the merged `[proxy]`) plus its overrides.
pub fn read_routes(
    cx: &mut Cx<'_>,
    root: &mut Section<'_>,
    base: &ProxySettings,
    policy: SecondFactorPolicy,
) -> Vec<Route> {
    let drafts: Vec<RouteDraft> = array_tables(cx, root, "route")
        .into_iter()
        .map(|sec| read_route(cx, sec, base, policy))
        .collect();
    check_unique_routes(cx, &drafts);
    drafts.into_iter().filter_map(|d| d.route).collect()
}

/// One `[[route]]`; `route` is `None` when a key is missing or bad.
fn read_route(
    cx: &mut Cx<'_>,
    mut sec: Section<'_>,
    base: &ProxySettings,
    policy: SecondFactorPolicy,
) -> RouteDraft {
    let errors_before = cx.errors.len();
    let name = sec.required(cx, "name", |v| match as_str(v)? {
        "" => Err("route name must not be empty".to_owned()),
        s => Ok(s.to_owned()),
    });
    let path = sec.required(cx, "path", |v| as_str(v).and_then(check_route_path));
    let host = match sec.get(cx, "host", |v| as_str(v).and_then(check_route_host)) {
        Some(at) => Some(at.value),
        None if sec.has("host") => None,
        None => Some(None),
    };
    let upstreams = read_upstreams(cx, &mut sec);
    let auth = sec
        .get(cx, "auth", check_auth)
        .map_or(AuthLevel::None, |a| a.value);
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
    let route = match (&name, &path, &host, upstreams) {
        (Some(name), Some(path), Some(host), Some(upstreams)) if valid => Some(Route {
            name: name.value.clone(),
            host: host.clone(),
            path: path.value.clone(),
            upstreams,
            auth,
            sso,
            identity_headers,
            title,
            proxy,
            access,
        }),
        _ => None,
    };
    RouteDraft {
        name,
        path,
        host,
        route,
    }
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

/// Route names are unique; so are (host, path) pairs.
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
        let (Some(path), Some(host)) = (&d.path, &d.host) else {
            continue;
        };
        let same_place = |e: &&RouteDraft| {
            e.host.as_ref() == Some(host) && e.path.as_ref().is_some_and(|p| p.value == path.value)
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
    let from = sec.required(cx, "from", |v| as_str(v).and_then(check_regex));
    let groups = from
        .as_ref()
        .map(|f| f.value.captures_len().saturating_sub(1));
    let to = sec.required(cx, "to", |v| {
        let to = as_str(v)?;
        check_redirect_target(to, groups)?;
        Ok(to.to_owned())
    });
    let status = sec
        .get(cx, "status", check_redirect_status)
        .map_or(DEFAULT_REDIRECT_STATUS, |a| a.value);
    sec.finish(cx);
    Some(Redirect {
        if_referer: if_referer.and_then(|r| r.value),
        from: from?.value,
        to: to?.value,
        status,
    })
}

/// A redirect target: not empty, no control characters, and `$N` only for
/// groups that `from` has (when `from` is valid).
fn check_redirect_target(to: &str, groups: Option<usize>) -> Result<(), String> {
    if to.is_empty() {
        return Err("redirect target must not be empty".to_owned());
    }
    if to.chars().any(char::is_control) {
        return Err("control characters are not allowed".to_owned());
    }
    let Some(groups) = groups else { return Ok(()) };
    for (i, _) in to.match_indices('$') {
        let rest = to[i + 1..].trim_start_matches('{');
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<usize>() {
            if n > groups {
                return Err(format!(
                    "${n} refers to a group that \"from\" does not have ({groups} groups)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_check_redirect_target_groups() {
        assert!(check_redirect_target("/plex/web/$1", Some(1)).is_ok());
        assert!(check_redirect_target("/plex/web/${1}", Some(1)).is_ok());
        assert!(check_redirect_target("/plex/web/$2", Some(1)).is_err());
        assert!(check_redirect_target("/plex/web/$2", None).is_ok());
        assert!(check_redirect_target("", Some(0)).is_err());
        assert!(check_redirect_target("/a\nb", Some(0)).is_err());
    }
}
