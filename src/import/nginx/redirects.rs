//! nginx's redirecting directives as `[[redirect]]` rules: `rewrite …
//! redirect|permanent`, `return 30x URL`, and `if ($http_referer ~ …) {
//! rewrite … redirect; }`, at server or location level.

use regex::Regex;

use super::super::Warning;
use super::parser::Directive;
use super::plan::RedirectPlan;
use super::tree::warn;
use super::vars::VarCx;

/// Where a redirect applies.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub hosts: &'a [String],
    pub scheme: Option<&'static str>,
    pub vars: &'a VarCx,
    /// The block's `add_header`s (fixed values only).
    pub add_headers: Vec<(String, String, bool)>,
}

/// The fixed-value `add_header`s of a level.
pub fn fixed_add_headers(level: &super::scope::Level) -> Vec<(String, String, bool)> {
    level
        .add_headers
        .iter()
        .flatten()
        .filter(|s| !s.value.value.is_empty() && !super::vars::has_vars(&s.value.value))
        .map(|s| (s.value.name.clone(), s.value.value.clone(), s.value.always))
        .collect()
}

/// An nginx regex as a Rust one (validated), `(?i)` for case-insensitive.
pub fn regex(text: &str, caseless: bool) -> Result<String, String> {
    let re = if caseless {
        format!("(?i){text}")
    } else {
        text.to_owned()
    };
    Regex::new(&re).map_err(|e| {
        let msg = e.to_string();
        let detail = msg.lines().last().unwrap_or("invalid").trim().to_owned();
        format!("the regex {text:?} is not supported ({detail})")
    })?;
    Ok(re)
}

fn plan(
    d: &Directive,
    scope: &Scope<'_>,
    from: String,
    to: String,
    status: u16,
    keep_query: bool,
) -> RedirectPlan {
    RedirectPlan {
        origin: format!(
            "{}:{}: {} {}",
            d.at.file,
            d.at.line,
            d.name,
            d.texts().join(" ")
        ),
        warnings: Vec::new(),
        hosts: scope.hosts.to_vec(),
        scheme: scope.scheme,
        if_referer: None,
        from,
        to,
        status,
        keep_query,
        add_headers: scope.add_headers.clone(),
    }
}

/// `rewrite REGEX REPLACEMENT redirect|permanent;` (or an absolute
/// replacement). `Ok(None)`: not a redirect (an internal rewrite).
pub fn rewrite(d: &Directive, scope: &Scope<'_>) -> Result<Option<RedirectPlan>, Warning> {
    let (re, repl, flag) = (d.arg(0), d.arg(1), d.arg(2));
    let absolute =
        repl.starts_with("http://") || repl.starts_with("https://") || repl.starts_with("$scheme");
    if !(matches!(flag, "redirect" | "permanent") || absolute) {
        return Ok(None);
    }
    let status = if flag == "permanent" { 301 } else { 302 };
    let keep_query = !repl.ends_with('?');
    let to = scope
        .vars
        .redirect(repl.trim_end_matches('?'))
        .map_err(|r| warn(d, format!("{r}; not converted")))?;
    let from = regex(re, false).map_err(|r| warn(d, format!("{r}; not converted")))?;
    Ok(Some(plan(d, scope, from, to, status, keep_query)))
}

/// `return CODE URL;` / `return URL;` as `(status, target)`; `Err` for a
/// `return` that is not a redirect.
pub fn return_target(d: &Directive, vars: &VarCx) -> Result<(u16, String), Warning> {
    let (code, url) = match d.texts().as_slice() {
        [url]
            if url.starts_with("http://")
                || url.starts_with("https://")
                || url.starts_with("$scheme") =>
        {
            (302, *url)
        }
        [code, url] => (code.parse::<u16>().unwrap_or(0), *url),
        _ => (d.arg(0).parse::<u16>().unwrap_or(0), ""),
    };
    if !matches!(code, 301 | 302 | 303 | 307 | 308) || url.is_empty() {
        return Err(warn(
            d,
            format!(
                "return {}: Gatehouse has no key for a fixed answer (only redirects are converted); the requests reach the route or get 404",
                d.texts().join(" ")
            ),
        ));
    }
    let to = vars
        .redirect(url)
        .map_err(|r| warn(d, format!("{r}; not converted")))?;
    Ok((code, to))
}

/// `return 30x URL;` for every path matching `from`.
pub fn return_redirect(
    d: &Directive,
    scope: &Scope<'_>,
    from: String,
) -> Result<RedirectPlan, Warning> {
    let (status, to) = return_target(d, scope.vars)?;
    Ok(plan(d, scope, from, to, status, false))
}

/// `if ($http_referer ~ REGEX) { rewrite … redirect; }`.
pub fn if_block(
    d: &Directive,
    scope: &Scope<'_>,
    default_from: &str,
) -> Result<RedirectPlan, Warning> {
    let unsupported = || {
        warn(
            d,
            format!(
                "({}): only if ($http_referer ~ …) {{ rewrite … redirect; }} is converted; write the condition as a route or drop it",
                d.texts().join(" ").trim_matches(['(', ')'])
            ),
        )
    };
    let cond = d.texts().join(" ");
    let cond = cond
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let mut parts = cond.splitn(3, ' ');
    let (var, op, value) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if !var.eq_ignore_ascii_case("$http_referer") || !matches!(op, "~" | "~*") || value.is_empty() {
        return Err(unsupported());
    }
    let referer = regex(value.trim_matches(['"', '\'']), op == "~*").map_err(|r| warn(d, r))?;
    let body: Vec<&Directive> = d.children().iter().filter(|c| c.name != "break").collect();
    let mut redirect = match body.as_slice() {
        [c] if c.name == "rewrite" => rewrite(c, scope)?.ok_or_else(unsupported)?,
        [c] if c.name == "return" => return_redirect(c, scope, default_from.to_owned())?,
        _ => return Err(unsupported()),
    };
    redirect.origin = format!("{}:{}: if {}", d.at.file, d.at.line, d.texts().join(" "));
    redirect.if_referer = Some(referer);
    Ok(redirect)
}
