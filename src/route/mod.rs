//! Routing: `[[redirect]]` rules, then host and longest path prefix, and the
//! nginx `proxy_pass` URI rule. Plain functions over plain strings.

pub mod path;
pub mod public;
pub mod redirect;
pub mod strict;

use std::borrow::Cow;

use crate::config::{Config, Route, Upstream};

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

/// Route table built once at start.
#[derive(Debug)]
pub struct Router {
    /// `(host, path, index)`, sorted longest path first, host-specific before
    /// host-less on equal length.
    entries: Vec<(Option<String>, String, usize)>,
}

impl Router {
    /// Builds the table from the validated configuration.
    pub fn from_conf(config: &Config) -> Router {
        Router::new(&config.routes)
    }

    /// Builds the table from routes.
    pub fn new(routes: &[Route]) -> Router {
        let mut entries: Vec<_> = routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.host.clone(), r.path.clone(), i))
            .collect();
        entries.sort_by(|a, b| {
            b.1.len()
                .cmp(&a.1.len())
                .then_with(|| b.0.is_some().cmp(&a.0.is_some()))
                .then_with(|| a.2.cmp(&b.2))
        });
        Router { entries }
    }

    /// Finds the route for a portless host (compared case-insensitively) and a
    /// normalized path.
    /// `query` is kept on the add-slash redirect, as nginx does.
    pub fn find(&self, host: &str, path: &str, query: Option<&str>) -> Routing {
        let host_ok =
            |h: &Option<String>| h.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(host));
        // nginx: a prefix location ending in '/' answers its slash-less form with 301.
        for (h, p, _) in &self.entries {
            if host_ok(h) && p.len() > 1 && p.ends_with('/') && &p[..p.len() - 1] == path {
                let mut loc = String::with_capacity(p.len() + 1 + query.map_or(0, str::len));
                loc.push_str(p);
                if let Some(q) = query {
                    loc.push('?');
                    loc.push_str(q);
                }
                return Routing::AddSlash(loc);
            }
        }
        for (h, p, i) in &self.entries {
            if host_ok(h) && path.starts_with(p.as_str()) {
                return Routing::Route(*i);
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
    use url::Url;

    fn upstream(url: &str, uri_path: Option<&str>) -> Upstream {
        Upstream {
            url: Url::parse(url).unwrap(),
            address: "127.0.0.1:1".into(),
            tls: false,
            sni: "127.0.0.1".into(),
            uri_path: uri_path.map(str::to_string),
        }
    }

    fn router(routes: &[(Option<&str>, &str)]) -> Router {
        let mut entries: Vec<_> = routes
            .iter()
            .enumerate()
            .map(|(i, (h, p))| (h.map(str::to_string), p.to_string(), i))
            .collect();
        entries.sort_by(|a, b| {
            b.1.len()
                .cmp(&a.1.len())
                .then_with(|| b.0.is_some().cmp(&a.0.is_some()))
                .then_with(|| a.2.cmp(&b.2))
        });
        Router { entries }
    }

    #[test]
    fn test_find_longest_prefix_wins() {
        let r = router(&[(None, "/"), (None, "/plex/"), (None, "/plex/web/")]);
        assert_eq!(r.find("x", "/plex/web/a", None), Routing::Route(2));
        assert_eq!(r.find("x", "/plex/library", None), Routing::Route(1));
        assert_eq!(r.find("x", "/other", None), Routing::Route(0));
    }

    #[test]
    fn test_find_host_narrows() {
        let r = router(&[(None, "/"), (Some("plex.example.com"), "/")]);
        assert_eq!(r.find("plex.example.com", "/a", None), Routing::Route(1));
        assert_eq!(r.find("other.example.com", "/a", None), Routing::Route(0));
    }

    #[test]
    fn test_find_add_slash_keeps_query() {
        let r = router(&[(None, "/"), (None, "/plex/")]);
        assert_eq!(
            r.find("x", "/plex", Some("a=1")),
            Routing::AddSlash("/plex/?a=1".into())
        );
        let r = router(&[(None, "/plex/")]);
        assert_eq!(r.find("x", "/nope", None), Routing::NotFound);
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
