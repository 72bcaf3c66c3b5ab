//! `[[redirect]]` rules: nginx `if ($http_referer ~ …) { rewrite … redirect; }`.

use crate::config::Redirect;

/// Applies the rules in file order; returns `(status, Location)` of the first
/// that matches. The query is dropped (nginx's trailing `?`).
pub fn apply(rules: &[Redirect], path: &str, referer: Option<&str>) -> Option<(u16, String)> {
    for rule in rules {
        if let Some(re) = &rule.if_referer {
            match referer {
                Some(r) if re.is_match(r) => {}
                _ => continue,
            }
        }
        if let Some(caps) = rule.from.captures(path) {
            let mut location = String::with_capacity(rule.to.len() + path.len());
            caps.expand(&rule.to, &mut location);
            return Some((rule.status, location));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn plex_rule() -> Redirect {
        Redirect {
            if_referer: Some(Regex::new("/plex/").unwrap()),
            from: Regex::new("^/web/(.*)").unwrap(),
            to: "/plex/web/$1".into(),
            status: 302,
        }
    }

    #[test]
    fn test_apply_referer_rule() {
        let rules = [plex_rule()];
        assert_eq!(
            apply(
                &rules,
                "/web/js/main.js",
                Some("http://gw/plex/web/index.html")
            ),
            Some((302, "/plex/web/js/main.js".into()))
        );
        assert_eq!(apply(&rules, "/web/js/main.js", None), None);
        assert_eq!(
            apply(&rules, "/web/js/main.js", Some("http://gw/other")),
            None
        );
        assert_eq!(apply(&rules, "/plex/web/x", Some("http://gw/plex/")), None);
    }
}
