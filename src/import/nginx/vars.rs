//! nginx variables in values: `set` variables resolved, `$server_name` and
//! an `upstream {}` block's `$proxy_host` made literal, `auth_request_set`
//! variables turned into identity headers, the rest kept when Gatehouse
//! knows them (`set_headers`, redirect targets) or refused with a reason.

/// A piece of a value: literal text or a variable name (without `$`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Lit(&'a str),
    Var(&'a str),
}

/// Splits `text` into literals and `$name` / `${name}` variables.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        if i > 0 {
            out.push(Piece::Lit(&rest[..i]));
        }
        let after = &rest[i + 1..];
        let (name, next) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], &inner[end + 1..]),
                None => ("", after),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            after.split_at(end)
        };
        if name.is_empty() {
            out.push(Piece::Lit("$"));
            rest = after;
            continue;
        }
        out.push(Piece::Var(name));
        rest = next;
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest));
    }
    out
}

/// Whether a value uses any variable.
pub fn has_vars(text: &str) -> bool {
    pieces(text).iter().any(|p| matches!(p, Piece::Var(_)))
}

/// What the variables of one location resolve to.
#[derive(Debug, Clone, Default)]
pub struct VarCx {
    /// `set $name value;` in effect (server level first, then the
    /// location's own; the last one wins).
    pub sets: Vec<(String, String)>,
    /// The server's first `server_name` (what nginx's `$server_name` is).
    pub server_name: String,
    /// The `upstream {}` block `proxy_pass` names, if any (`$proxy_host`).
    pub upstream_block: Option<String>,
    /// Variables a `map $http_upgrade $x { default upgrade; '' close; }` defines.
    pub connection_upgrade: Vec<String>,
    /// `auth_request_set $x $upstream_http_…;` variables → identity field.
    pub identity: Vec<(String, &'static str)>,
    /// Variables other `map`/`geo` blocks define (not supported).
    pub mapped: Vec<String>,
}

/// Variables Gatehouse's `set_headers` understands as nginx does.
const TEMPLATE_VARS: &[&str] = &[
    "host",
    "server_port",
    "remote_addr",
    "scheme",
    "proxy_add_x_forwarded_for",
    "request_uri",
    "server_addr",
    "request_method",
    "proxy_host",
    "proxy_port",
    "http_host",
    "connection_upgrade",
    "ssl_early_data",
    "uri",
    "document_uri",
    "args",
    "query_string",
    "is_args",
    "https",
];

/// Variables a redirect target understands.
const REDIRECT_VARS: &[&str] = &[
    "host",
    "scheme",
    "request_uri",
    "uri",
    "document_uri",
    "args",
    "query_string",
    "is_args",
    "server_port",
];

/// A `proxy_set_header` value, translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Translated {
    /// A Gatehouse template.
    Template(String),
    /// Exactly one identity variable: this `identity_headers` field.
    Identity(&'static str),
    /// Cannot be expressed: why.
    Unsupported(String),
}

impl VarCx {
    fn set_value(&self, name: &str) -> Option<&str> {
        self.sets
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Resolves `set` variables (up to a few levels deep), `$server_name`,
    /// and `$proxy_host` of an upstream block; other variables stay.
    pub fn resolve(&self, text: &str) -> String {
        let mut current = text.to_owned();
        for _ in 0..8 {
            let mut out = String::with_capacity(current.len());
            let mut changed = false;
            let ps = pieces(&current);
            for (i, p) in ps.iter().enumerate() {
                match p {
                    Piece::Lit(s) => out.push_str(s),
                    Piece::Var(name) => {
                        let lower = name.to_ascii_lowercase();
                        let literal = if let Some(v) = self.set_value(name) {
                            Some(v.to_owned())
                        } else if lower == "server_name" {
                            Some(self.server_name.clone())
                        } else if lower == "proxy_host" {
                            self.upstream_block.clone()
                        } else {
                            None
                        };
                        match literal {
                            Some(v) => {
                                out.push_str(&v);
                                changed = true;
                            }
                            None => push_var(&mut out, name, ps.get(i + 1)),
                        }
                    }
                }
            }
            current = out;
            if !changed {
                break;
            }
        }
        current
    }

    /// A `proxy_set_header` value as a `set_headers` template.
    pub fn header(&self, value: &str) -> Translated {
        let ps = pieces(value);
        if let [Piece::Var(name)] = ps.as_slice() {
            if let Some((_, field)) = self
                .identity
                .iter()
                .find(|(v, _)| v.eq_ignore_ascii_case(name))
            {
                return Translated::Identity(field);
            }
        }
        let resolved = self.resolve(value);
        let mut out = String::with_capacity(resolved.len());
        let ps = pieces(&resolved);
        for (i, p) in ps.iter().enumerate() {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Var(name) => {
                    let lower = name.to_ascii_lowercase();
                    if self
                        .identity
                        .iter()
                        .any(|(v, _)| v.eq_ignore_ascii_case(name))
                    {
                        return Translated::Unsupported(format!(
                            "${name} (from auth_request_set) can only be the whole value"
                        ));
                    }
                    if self
                        .connection_upgrade
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case(name))
                    {
                        push_var(&mut out, "connection_upgrade", ps.get(i + 1));
                        continue;
                    }
                    if self.mapped.iter().any(|v| v.eq_ignore_ascii_case(name)) {
                        return Translated::Unsupported(format!(
                            "${name} comes from a map/geo block, which is not imported"
                        ));
                    }
                    let known = TEMPLATE_VARS.contains(&lower.as_str())
                        || (lower.starts_with("http_") && lower.len() > 5)
                        || (lower.starts_with("cookie_") && lower.len() > 7);
                    if !known {
                        return Translated::Unsupported(unknown(name));
                    }
                    push_var(&mut out, name, ps.get(i + 1));
                }
            }
        }
        Translated::Template(out)
    }

    /// A `proxy_pass` URL with every variable resolved; `Err` names the
    /// first variable that cannot be.
    pub fn url(&self, value: &str) -> Result<String, String> {
        let resolved = self.resolve(value);
        match pieces(&resolved).iter().find_map(|p| match p {
            Piece::Var(n) => Some(*n),
            Piece::Lit(_) => None,
        }) {
            Some(name) => Err(format!(
                "${name} is only known per request; write the address itself"
            )),
            None => Ok(resolved),
        }
    }

    /// A redirect target (`rewrite` replacement or `return` URL) in the
    /// `[[redirect]] to` syntax; `$1`… stay as captures.
    pub fn redirect(&self, value: &str) -> Result<String, String> {
        let resolved = self.resolve(value);
        let mut out = String::with_capacity(resolved.len());
        let ps = pieces(&resolved);
        for (i, p) in ps.iter().enumerate() {
            match p {
                Piece::Lit(s) => out.push_str(&s.replace('$', "$$")),
                Piece::Var(name) => {
                    let lower = name.to_ascii_lowercase();
                    if !(name.bytes().all(|b| b.is_ascii_digit())
                        || REDIRECT_VARS.contains(&lower.as_str()))
                    {
                        return Err(format!(
                            "${name} is not available in redirect targets (only $1…, {})",
                            REDIRECT_VARS
                                .iter()
                                .map(|v| format!("${v}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    push_var(&mut out, name, ps.get(i + 1));
                }
            }
        }
        Ok(out)
    }
}

/// Why an unknown variable is refused.
fn unknown(name: &str) -> String {
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return format!("${name} is a regex capture, which Gatehouse headers cannot use");
    }
    format!("${name} has no Gatehouse equivalent")
}

/// Writes `$name`, braced when the next piece would run into it.
fn push_var(out: &mut String, name: &str, next: Option<&Piece<'_>>) {
    let runs_on = matches!(next, Some(Piece::Lit(s)) if s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
    if runs_on {
        out.push_str("${");
        out.push_str(name);
        out.push('}');
    } else {
        out.push('$');
        out.push_str(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> VarCx {
        VarCx {
            sets: vec![
                ("upstream_app".into(), "127.0.0.1".into()),
                ("upstream_port".into(), "32400".into()),
                ("upstream_proto".into(), "http".into()),
            ],
            server_name: "plex.example.com".into(),
            upstream_block: None,
            connection_upgrade: vec!["connection_upgrade".into()],
            identity: vec![("auth_user".into(), "username")],
            mapped: vec!["allowed_country".into()],
        }
    }

    #[test]
    fn test_pieces() {
        assert_eq!(
            pieces("a$b${c}d$"),
            [
                Piece::Lit("a"),
                Piece::Var("b"),
                Piece::Var("c"),
                Piece::Lit("d"),
                Piece::Lit("$")
            ]
        );
    }

    #[test]
    fn test_url_resolves_swag_variables() {
        assert_eq!(
            cx().url("$upstream_proto://$upstream_app:$upstream_port")
                .unwrap(),
            "http://127.0.0.1:32400"
        );
        assert!(cx().url("http://$host:1").unwrap_err().contains("$host"));
    }

    #[test]
    fn test_header_translation() {
        let c = cx();
        assert_eq!(
            c.header("$host:$server_port"),
            Translated::Template("$host:$server_port".into())
        );
        assert_eq!(
            c.header("$server_name"),
            Translated::Template("plex.example.com".into())
        );
        assert_eq!(c.header("$auth_user"), Translated::Identity("username"));
        assert_eq!(
            c.header("$connection_upgrade"),
            Translated::Template("$connection_upgrade".into())
        );
        assert_eq!(
            c.header("${scheme}x"),
            Translated::Template("${scheme}x".into())
        );
        assert!(
            matches!(c.header("$remote_port"), Translated::Unsupported(r) if r.contains("no Gatehouse equivalent"))
        );
        assert!(
            matches!(c.header("$allowed_country"), Translated::Unsupported(r) if r.contains("map/geo"))
        );
        assert!(matches!(
            c.header("x$auth_user"),
            Translated::Unsupported(_)
        ));
    }

    #[test]
    fn test_redirect_translation() {
        let c = cx();
        assert_eq!(c.redirect("/plex/web/$1").unwrap(), "/plex/web/$1");
        assert_eq!(
            c.redirect("$scheme://$host$request_uri").unwrap(),
            "$scheme://$host$request_uri"
        );
        assert_eq!(
            c.redirect("https://$server_name/").unwrap(),
            "https://plex.example.com/"
        );
        assert!(c.redirect("https://$http_host/").is_err());
    }
}
