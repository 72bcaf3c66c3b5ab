//! The regex side of the import: a simple anchored `location ~ ^/x` as a
//! prefix or exact path, `rewrite ^/plex(.*) $1 break;` as a prefix strip,
//! and the path regex that matches exactly the requests a prefix location
//! wins (for `return 301` locations, which become `[[redirect]]` rules
//! checked before routing).

/// What a location regex amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegexPath {
    /// `^/api`, `^/api(.*)`, `^/api.*`: a prefix.
    Prefix(String),
    /// `^/api$`: one path.
    Exact(String),
}

/// The literal start of an anchored regex and the rest, or `None`.
fn literal_prefix(re: &str) -> Option<(String, &str)> {
    let body = re.strip_prefix('^')?;
    let mut lit = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            '\\' => {
                let next = body[i + 1..].chars().next()?;
                if next.is_ascii_alphanumeric() {
                    return Some((lit, &body[i..]));
                }
                lit.push(next);
                chars.next();
                chars.next();
            }
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '$' | '^' => {
                return Some((lit, &body[i..]))
            }
            c => {
                lit.push(c);
                chars.next();
            }
        }
    }
    Some((lit, ""))
}

/// The literal text every match of an anchored regex starts with.
pub fn literal_start(re: &str) -> Option<String> {
    literal_prefix(re)
        .map(|(lit, _)| lit)
        .filter(|l| !l.is_empty())
}

/// A location regex as a path, when it is a plain anchored prefix.
pub fn regex_to_path(re: &str) -> Option<RegexPath> {
    let (lit, rest) = literal_prefix(re)?;
    if !lit.starts_with('/') {
        return None;
    }
    match rest {
        "" | "(.*)" | ".*" | "(.*)$" | ".*$" | "(?:.*)" => Some(RegexPath::Prefix(lit)),
        "$" => Some(RegexPath::Exact(lit)),
        _ => None,
    }
}

/// `rewrite REGEX REPLACEMENT break;` that strips a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strip {
    /// The literal the regex starts with (`/plex`).
    pub prefix: String,
    /// The regex allows one optional `/` after it (`^/plex/?(.*)`).
    pub optional_slash: bool,
    /// What the replacement puts before `$1` (`""` or `/`).
    pub replacement: String,
}

/// Recognizes a prefix-strip rewrite; `None` for anything else.
pub fn strip_rewrite(re: &str, replacement: &str) -> Option<Strip> {
    let anchored = if re.starts_with('^') {
        re.to_owned()
    } else {
        format!("^{re}")
    };
    let (mut prefix, rest) = literal_prefix(&anchored)?;
    let (optional_slash, rest) = match rest.strip_prefix('?') {
        Some(r) if prefix.ends_with('/') => {
            prefix.pop();
            (true, r)
        }
        _ => (false, rest),
    };
    if !prefix.starts_with('/') {
        return None;
    }
    if !matches!(rest, "(.*)" | "(.*)$" | "(/.*)" | "(/.*)$") {
        return None;
    }
    let before = replacement
        .strip_suffix("$1")
        .or_else(|| replacement.strip_suffix("${1}"))?;
    if before.contains(['$', '?']) || !(before.is_empty() || before.starts_with('/')) {
        return None;
    }
    Some(Strip {
        prefix,
        optional_slash,
        replacement: before.to_owned(),
    })
}

/// The route path and upstream URI part that give, for every request
/// under location `path`, the URI the strip rewrite gives nginx.
pub fn strip_mapping(path: &str, strip: &Strip) -> Result<(String, String), String> {
    let Some(tail) = path.strip_prefix(strip.prefix.as_str()) else {
        return Err(format!(
            "the rewrite only applies to paths starting with {}, not to every path of the location",
            strip.prefix
        ));
    };
    let mut route = path.to_owned();
    let tail = if strip.optional_slash {
        if tail.is_empty() {
            route.push('/');
            ""
        } else {
            tail.strip_prefix('/').unwrap_or(tail)
        }
    } else {
        tail
    };
    let mut uri = format!("{}{tail}", strip.replacement);
    if uri.is_empty() && !route.ends_with('/') {
        route.push('/');
        uri.push('/');
    }
    if !uri.starts_with('/') {
        return Err("the rewritten URI would not start with \"/\"".to_owned());
    }
    Ok((route, uri))
}

/// An anchored regex for the paths the prefix location `path` wins, given
/// the other (longer) prefix locations of the same server.
pub fn prefix_regex_excluding(path: &str, others: &[&str]) -> String {
    let suffixes: Vec<&str> = others
        .iter()
        .filter(|o| o.len() > path.len() && o.starts_with(path))
        .map(|o| &o[path.len()..])
        .collect();
    format!("^{}{}", regex::escape(path), exclude(&suffixes))
}

/// A regex for strings none of `suffixes` (all non-empty) starts.
fn exclude(suffixes: &[&str]) -> String {
    if suffixes.is_empty() {
        return String::new();
    }
    let mut firsts: Vec<char> = suffixes.iter().filter_map(|s| s.chars().next()).collect();
    firsts.sort_unstable();
    firsts.dedup();
    let class: String = firsts
        .iter()
        .map(|c| format!("\\x{{{:x}}}", *c as u32))
        .collect();
    let mut alts = vec!["$".to_owned(), format!("[^{class}]")];
    for c in firsts {
        let rest: Vec<&str> = suffixes
            .iter()
            .filter(|s| s.starts_with(c))
            .map(|s| &s[c.len_utf8()..])
            .collect();
        if rest.iter().any(|r| r.is_empty()) {
            continue;
        }
        alts.push(format!(
            "{}{}",
            regex::escape(&c.to_string()),
            exclude(&rest)
        ));
    }
    format!("(?:{})", alts.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    #[test]
    fn test_regex_to_path() {
        assert_eq!(
            regex_to_path("^/api"),
            Some(RegexPath::Prefix("/api".into()))
        );
        assert_eq!(
            regex_to_path("^/sonarr/api(.*)"),
            Some(RegexPath::Prefix("/sonarr/api".into()))
        );
        assert_eq!(
            regex_to_path("^/a\\.b$"),
            Some(RegexPath::Exact("/a.b".into()))
        );
        for no in [
            "/auth-(.*)",
            "^/(sonarr|radarr)",
            "\\.php$",
            "(/sonarr)?/api",
            "^/x/?$",
            "^/x\\d",
        ] {
            assert_eq!(regex_to_path(no), None, "{no}");
        }
    }

    #[test]
    fn test_strip_rewrite_and_mapping() {
        let s = strip_rewrite("/plex(.*)", "$1").unwrap();
        assert_eq!(
            strip_mapping("/plex/", &s).unwrap(),
            ("/plex/".into(), "/".into())
        );
        assert_eq!(
            strip_mapping("/plex", &s).unwrap(),
            ("/plex/".into(), "/".into())
        );
        let s = strip_rewrite("^/app/(.*)$", "/$1").unwrap();
        assert_eq!(
            strip_mapping("/app/", &s).unwrap(),
            ("/app/".into(), "/".into())
        );
        assert_eq!(
            strip_mapping("/app/x/", &s).unwrap(),
            ("/app/x/".into(), "/x/".into())
        );
        let s = strip_rewrite("^/app/?(.*)", "/$1").unwrap();
        assert_eq!(
            strip_mapping("/app", &s).unwrap(),
            ("/app/".into(), "/".into())
        );
        let s = strip_rewrite("^/app(.*)", "/base$1").unwrap();
        assert_eq!(
            strip_mapping("/app/", &s).unwrap(),
            ("/app/".into(), "/base/".into())
        );
        assert!(strip_mapping("/other/", &s).is_err());
        assert!(strip_rewrite("^/app(.*)", "$1?").is_none());
        assert!(strip_rewrite("^/app/(\\d+)", "/$1").is_none());
        let s = strip_rewrite("^/app/(.*)", "$1").unwrap();
        assert!(
            strip_mapping("/app/", &s).is_err(),
            "nginx would send a URI without /"
        );
    }

    #[test]
    fn test_prefix_regex_excluding() {
        let re = Regex::new(&prefix_regex_excluding("/plex", &["/plex/", "/", "/plexy"])).unwrap();
        assert!(re.is_match("/plex") && re.is_match("/plexfoo"));
        assert!(!re.is_match("/plex/") && !re.is_match("/plex/web"));
        assert!(!re.is_match("/plexy") && !re.is_match("/plexy/x"));
        assert!(re.is_match("/plexz"));
        let re = Regex::new(&prefix_regex_excluding("/a", &["/a/web"])).unwrap();
        assert!(re.is_match("/a/") && re.is_match("/a/we") && re.is_match("/a/wex"));
        assert!(!re.is_match("/a/web") && !re.is_match("/a/web/x"));
        assert_eq!(prefix_regex_excluding("/a.b", &[]), "^/a\\.b");
    }
}
