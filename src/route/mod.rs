//! Routing: `[[redirect]]` rules, then host and longest path prefix, and the
//! nginx `proxy_pass` URI rule. Plain functions over plain strings.

pub mod path;
pub mod public;
pub mod redirect;
pub mod strict;

use std::borrow::Cow;

use crate::config::{Config, HostPattern, Route, Upstream};

/// What the router decided for one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Routing {
    /// The index of the matched route in `Config::routes`.
    Route(usize),
    /// nginx's automatic 301 for `/plex` when a route is `/plex/`: the Location.
    AddSlash(String),
    /// Nothing matches.
    NotFound,
}

/// One route's place in a host group.
#[derive(Debug)]
struct Entry {
    path: String,
    exact: bool,
    index: usize,
}

/// The routes that share one host pattern (`None`: routes without a host),
/// longest path first.
#[derive(Debug)]
struct HostGroup {
    pattern: Option<HostPattern>,
    entries: Vec<Entry>,
}

impl HostGroup {
    /// nginx's choice among this group's locations: an exact route for the
    /// very path, else the longest prefix, except that a slash-less request
    /// for a `…/` route that no route matches as long gets the add-slash 301.
    fn find(&self, path: &str, query: Option<&str>) -> Option<Routing> {
        let mut best: Option<&Entry> = None;
        let mut slash: Option<&Entry> = None;
        for e in &self.entries {
            if e.exact {
                if e.path == path {
                    return Some(Routing::Route(e.index));
                }
                continue;
            }
            if best.is_none() && path.starts_with(e.path.as_str()) {
                best = Some(e);
            }
            let p = &e.path;
            if slash.is_none() && p.len() > 1 && p.ends_with('/') && &p[..p.len() - 1] == path {
                slash = Some(e);
            }
        }
        match (best, slash) {
            (Some(b), _) if b.path.len() == path.len() => Some(Routing::Route(b.index)),
            (_, Some(s)) => {
                let mut loc = String::with_capacity(s.path.len() + 1 + query.map_or(0, str::len));
                loc.push_str(&s.path);
                if let Some(q) = query {
                    loc.push('?');
                    loc.push_str(q);
                }
                Some(Routing::AddSlash(loc))
            }
            (Some(b), None) => Some(Routing::Route(b.index)),
            (None, None) => None,
        }
    }
}

/// Route table built once at start.
///
/// Host precedence is nginx's choice of server block: routes whose exact
/// host matches, then the longest matching `*.example.com` pattern, then
/// the longest `name.*` pattern, then routes without a host; within each,
/// nginx's location rule (exact, longest prefix). When no route of a group
/// matches the path the next group is tried.
#[derive(Debug)]
pub struct Router {
    groups: Vec<HostGroup>,
}

impl Router {
    /// Builds the table from the validated configuration.
    pub fn from_conf(config: &Config) -> Router {
        Router::new(&config.routes)
    }

    /// Builds the table from routes.
    pub fn new(routes: &[Route]) -> Router {
        let mut groups: Vec<HostGroup> = Vec::new();
        let mut add = |pattern: Option<&HostPattern>, entry: Entry| match groups
            .iter_mut()
            .find(|g| g.pattern.as_ref() == pattern)
        {
            Some(g) => g.entries.push(entry),
            None => groups.push(HostGroup {
                pattern: pattern.cloned(),
                entries: vec![entry],
            }),
        };
        for (index, r) in routes.iter().enumerate() {
            let entry = || Entry {
                path: r.path.clone(),
                exact: r.exact,
                index,
            };
            if r.hosts.is_empty() {
                add(None, entry());
            }
            for h in &r.hosts {
                add(Some(h), entry());
            }
        }
        for g in &mut groups {
            g.entries.sort_by(|a, b| {
                b.path
                    .len()
                    .cmp(&a.path.len())
                    .then_with(|| b.exact.cmp(&a.exact))
                    .then_with(|| a.index.cmp(&b.index))
            });
        }
        // Stable: equal ranks keep file order.
        groups.sort_by_key(|g| match &g.pattern {
            Some(p) => (0, p.rank()),
            None => (1, (0, std::cmp::Reverse(0))),
        });
        Router { groups }
    }

    /// Finds the route for a portless host (compared case-insensitively,
    /// one trailing dot ignored) and a normalized path.
    /// `query` is kept on the add-slash redirect, as nginx does.
    pub fn find(&self, host: &str, path: &str, query: Option<&str>) -> Routing {
        for g in &self.groups {
            if g.pattern.as_ref().is_some_and(|p| !p.matches(host)) {
                continue;
            }
            if let Some(routing) = g.find(path, query) {
                return routing;
            }
        }
        Routing::NotFound
    }
}

/// The request target sent upstream (nginx `proxy_pass` rule): with a URI
/// part, the matched prefix is replaced by it; without one, the (normalized)
/// path is passed unchanged. The query is always kept.
pub fn upstream_target<'a>(
    route_path: &str,
    upstream: &Upstream,
    path: &'a str,
    query: Option<&str>,
) -> Cow<'a, str> {
    let replaced: Cow<'a, str> = match &upstream.uri_path {
        None => Cow::Borrowed(path),
        Some(uri) => {
            let rest = path.strip_prefix(route_path).unwrap_or(path);
            let mut s = String::with_capacity(uri.len() + rest.len());
            s.push_str(uri);
            s.push_str(rest);
            Cow::Owned(s)
        }
    };
    match query {
        None => replaced,
        Some(q) => {
            let mut s = replaced.into_owned();
            s.push('?');
            s.push_str(q);
            Cow::Owned(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use url::Url;

    fn upstream(url: &str, uri_path: Option<&str>) -> Upstream {
        Upstream {
            url: Url::parse(url).unwrap(),
            address: "127.0.0.1:1".into(),
            tls: false,
            sni: "127.0.0.1".into(),
            uri_path: uri_path.map(str::to_string),
            proxy_host: "127.0.0.1:1".into(),
            proxy_port: 1,
        }
    }

    /// The real configuration reader and the real `Router::new`: routes
    /// are `(host TOML value or "", path, extra keys)`.
    fn router(routes: &[(&str, &str)]) -> Router {
        router_with(&routes.iter().map(|&(h, p)| (h, p, "")).collect::<Vec<_>>())
    }

    fn router_with(routes: &[(&str, &str, &str)]) -> Router {
        let mut text = String::new();
        for (i, (host, path, extra)) in routes.iter().enumerate() {
            text += &format!(
                "[[route]]\nname = \"r{i}\"\npath = {path:?}\nupstream = \"http://127.0.0.1:1/\"\n{extra}\n"
            );
            if !host.is_empty() {
                text += &format!("host = {host}\n");
            }
        }
        let config = crate::config::parse(Path::new("t.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        Router::from_conf(&config)
    }

    #[test]
    fn test_find_longest_prefix_wins() {
        let r = router(&[("", "/"), ("", "/plex/"), ("", "/plex/web/")]);
        assert_eq!(r.find("x", "/plex/web/a", None), Routing::Route(2));
        assert_eq!(r.find("x", "/plex/library", None), Routing::Route(1));
        assert_eq!(r.find("x", "/other", None), Routing::Route(0));
    }

    #[test]
    fn test_find_host_narrows() {
        let r = router(&[("", "/"), ("\"plex.example.com\"", "/")]);
        assert_eq!(r.find("plex.example.com", "/a", None), Routing::Route(1));
        assert_eq!(r.find("PLEX.example.com.", "/a", None), Routing::Route(1));
        assert_eq!(r.find("other.example.com", "/a", None), Routing::Route(0));
    }

    #[test]
    fn test_find_host_routes_before_longer_hostless_prefixes() {
        let r = router(&[("\"private.test\"", "/"), ("", "/app/")]);
        assert_eq!(r.find("private.test", "/app/x", None), Routing::Route(0));
        assert_eq!(r.find("private.test.", "/app/x", None), Routing::Route(0));
        assert_eq!(r.find("public.test", "/app/x", None), Routing::Route(1));
        assert_eq!(r.find("public.test", "/x", None), Routing::NotFound);
    }

    #[test]
    fn test_find_falls_through_to_hostless_when_host_routes_miss() {
        let r = router(&[("\"private.test\"", "/only/"), ("", "/")]);
        assert_eq!(r.find("private.test", "/only/x", None), Routing::Route(0));
        assert_eq!(r.find("private.test", "/else", None), Routing::Route(1));
    }

    #[test]
    fn test_find_wildcard_precedence_is_nginx_order() {
        let r = router(&[
            ("", "/"),
            ("\"sonarr.*\"", "/"),
            ("\"*.example.com\"", "/"),
            ("\"*.media.example.com\"", "/"),
            ("\"sonarr.media.example.com\"", "/"),
        ]);
        assert_eq!(
            r.find("sonarr.media.example.com", "/", None),
            Routing::Route(4)
        );
        assert_eq!(
            r.find("radarr.media.example.com", "/", None),
            Routing::Route(3)
        );
        assert_eq!(r.find("sonarr.example.com", "/", None), Routing::Route(2));
        assert_eq!(r.find("sonarr.lan", "/", None), Routing::Route(1));
        assert_eq!(r.find("other.lan", "/", None), Routing::Route(0));
    }

    #[test]
    fn test_find_host_list() {
        let r = router(&[("[\"a.test\", \"*.b.test\"]", "/"), ("", "/")]);
        assert_eq!(r.find("a.test", "/", None), Routing::Route(0));
        assert_eq!(r.find("x.b.test", "/", None), Routing::Route(0));
        assert_eq!(r.find("c.test", "/", None), Routing::Route(1));
    }

    #[test]
    fn test_find_exact_routes() {
        let r = router_with(&[("", "/", ""), ("", "/api", "exact = true")]);
        assert_eq!(r.find("x", "/api", None), Routing::Route(1));
        assert_eq!(r.find("x", "/api/x", None), Routing::Route(0));
        assert_eq!(r.find("x", "/apix", None), Routing::Route(0));
    }

    #[test]
    fn test_find_add_slash_keeps_query() {
        let r = router(&[("", "/"), ("", "/plex/")]);
        assert_eq!(
            r.find("x", "/plex", Some("a=1")),
            Routing::AddSlash("/plex/?a=1".into())
        );
        let r = router(&[("", "/plex/")]);
        assert_eq!(r.find("x", "/nope", None), Routing::NotFound);
        // A route for the slash-less path itself wins over the 301.
        let r = router(&[("", "/plex"), ("", "/plex/")]);
        assert_eq!(r.find("x", "/plex", None), Routing::Route(0));
    }

    #[test]
    fn test_upstream_target_proxy_pass_rule() {
        let with = upstream("http://127.0.0.1:1/", Some("/"));
        let without = upstream("http://127.0.0.1:1", None);
        let inner = upstream("http://127.0.0.1:1/inner/", Some("/inner/"));
        assert_eq!(
            upstream_target("/plex/", &with, "/plex/web/index.html", Some("x=1")),
            "/web/index.html?x=1"
        );
        assert_eq!(
            upstream_target("/plex/", &without, "/plex/web/index.html", Some("x=1")),
            "/plex/web/index.html?x=1"
        );
        assert_eq!(upstream_target("/app/", &inner, "/app/a", None), "/inner/a");
    }
}
