//! `[[redirect]]` rules: nginx `if ($http_referer ~ …) { rewrite … redirect; }`,
//! `rewrite … redirect|permanent` and `return 30x …`, optionally narrowed to
//! hosts and to one scheme (`return 301 https://$host$request_uri` on the
//! plain-HTTP server).

use crate::config::{Redirect, RedirectPart};

/// What a redirect rule may test and refer to, for one request.
#[derive(Debug, Clone, Copy)]
pub struct RedirectRequest<'a> {
    /// The normalized path (`$uri`), matched by `from`.
    pub path: &'a str,
    /// The query, without `?`.
    pub query: Option<&'a str>,
    /// `$host`: request host without port.
    pub host: &'a str,
    /// `$scheme`.
    pub scheme: &'a str,
    /// `$request_uri`: path and query as sent.
    pub request_uri: &'a str,
    /// `$server_port`.
    pub server_port: u16,
    /// The `Referer` header.
    pub referer: Option<&'a str>,
}

/// A redirect the rules chose.
#[derive(Debug)]
pub struct Redirected<'a> {
    pub status: u16,
    pub location: String,
    /// The rule (for its `add_headers`).
    pub rule: &'a Redirect,
}

/// Applies the rules in file order; returns the first that matches, with
/// its `Location`. The query is dropped (nginx's trailing `?`) unless the
/// rule has `keep_query`.
pub fn apply<'a>(rules: &'a [Redirect], req: &RedirectRequest<'_>) -> Option<Redirected<'a>> {
    for rule in rules {
        if rule.scheme.is_some_and(|s| s != req.scheme) {
            continue;
        }
        if !rule.hosts.is_empty() && !rule.hosts.iter().any(|h| h.matches(req.host)) {
            continue;
        }
        if let Some(re) = &rule.if_referer {
            match req.referer {
                Some(r) if re.is_match(r) => {}
                _ => continue,
            }
        }
        if let Some(caps) = rule.from.captures(req.path) {
            let mut location = String::with_capacity(rule.to.len() + req.request_uri.len());
            for part in &rule.target {
                match part {
                    RedirectPart::Literal(s) => location.push_str(s),
                    RedirectPart::Group(n) => {
                        location.push_str(caps.get(*n).map_or("", |m| m.as_str()))
                    }
                    RedirectPart::Named(n) => {
                        location.push_str(caps.name(n).map_or("", |m| m.as_str()))
                    }
                    RedirectPart::Host => location.push_str(&req.host.to_ascii_lowercase()),
                    RedirectPart::Scheme => location.push_str(req.scheme),
                    RedirectPart::RequestUri => location.push_str(req.request_uri),
                    RedirectPart::Uri => location.push_str(req.path),
                    RedirectPart::Args => location.push_str(req.query.unwrap_or("")),
                    RedirectPart::IsArgs => {
                        if req.query.is_some() {
                            location.push('?');
                        }
                    }
                    RedirectPart::ServerPort => location.push_str(&req.server_port.to_string()),
                }
            }
            if let Some(q) = req.query.filter(|_| rule.keep_query) {
                location.push(if location.contains('?') { '&' } else { '?' });
                location.push_str(q);
            }
            return Some(Redirected {
                status: rule.status,
                location,
                rule,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rules(text: &str) -> Vec<Redirect> {
        crate::config::parse(Path::new("t.toml"), text)
            .unwrap_or_else(|e| panic!("{e}"))
            .redirects
    }

    fn apply_(rules: &[Redirect], req: &RedirectRequest<'_>) -> Option<(u16, String)> {
        apply(rules, req).map(|r| (r.status, r.location))
    }

    fn req<'a>(path: &'a str, referer: Option<&'a str>) -> RedirectRequest<'a> {
        RedirectRequest {
            path,
            query: Some("a=1"),
            host: "Gw.Test",
            scheme: "http",
            request_uri: "/raw%2Fpath?a=1",
            server_port: 8080,
            referer,
        }
    }

    const PLEX: &str =
        "[[redirect]]\nif_referer = \"/plex/\"\nfrom = \"^/web/(.*)\"\nto = \"/plex/web/$1\"\n";

    #[test]
    fn test_apply_referer_rule() {
        let rules = rules(PLEX);
        assert_eq!(
            apply_(
                &rules,
                &req("/web/js/main.js", Some("http://gw/plex/web/index.html"))
            ),
            Some((302, "/plex/web/js/main.js".into()))
        );
        assert_eq!(apply_(&rules, &req("/web/js/main.js", None)), None);
        assert_eq!(
            apply_(&rules, &req("/web/js/main.js", Some("http://gw/other"))),
            None
        );
        assert_eq!(
            apply_(&rules, &req("/plex/web/x", Some("http://gw/plex/"))),
            None
        );
    }

    #[test]
    fn test_apply_https_redirect_server() {
        let rules = rules(
            "[[redirect]]\nscheme = \"http\"\nhost = [\"gw.test\", \"*.gw.test\"]\nfrom = \"^/\"\n\
             to = \"https://$host$request_uri\"\nstatus = 301\n",
        );
        assert_eq!(
            apply_(&rules, &req("/raw/path", None)),
            Some((301, "https://gw.test/raw%2Fpath?a=1".into()))
        );
        let mut https = req("/x", None);
        https.scheme = "https";
        assert_eq!(apply_(&rules, &https), None);
        let mut other = req("/x", None);
        other.host = "else.test";
        assert_eq!(apply_(&rules, &other), None);
    }

    #[test]
    fn test_apply_keep_query_and_variables() {
        let rules = rules(
            "[[redirect]]\nfrom = \"^/old/(?P<rest>.*)\"\nto = \"$scheme://$host:$server_port/new/$rest\"\nkeep_query = true\n",
        );
        assert_eq!(
            apply_(&rules, &req("/old/x", None)),
            Some((302, "http://gw.test:8080/new/x?a=1".into()))
        );
    }
}
