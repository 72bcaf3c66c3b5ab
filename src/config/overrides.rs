//! `[proxy]` keys and their per-route overrides.
//!
//! The same keys are read from `[proxy]` and from every `[[route]]` into a
//! [`ProxyOverrides`] (each key `Some` only when written). A route's settings
//! are the defaults, then `[proxy]`, then the route's own keys. Like nginx,
//! a list or table given at a level replaces the inherited one as a whole: a
//! route's `set_headers` replaces `[proxy] set_headers` (a location's
//! `proxy_set_header` drops the inherited ones).

use std::time::Duration;

use http::header::HeaderName;

use super::file::{as_str, boolean, plain, uint, values, Cx, Section};
use super::model::{AddHeader, HeaderTemplate, NextUpstream, ProxySettings};
use super::template::parse_template;
use super::validate::{check_header_name, check_positive_duration, check_size};

/// Every `[proxy]` key; `None` = not written at this level.
#[derive(Debug, Clone, Default)]
pub struct ProxyOverrides {
    /// `client_max_body_size`.
    pub client_max_body_size: Option<u64>,
    /// `client_body_buffer_size`.
    pub client_body_buffer_size: Option<u64>,
    /// `connect_timeout`.
    pub connect_timeout: Option<Duration>,
    /// `read_timeout`.
    pub read_timeout: Option<Duration>,
    /// `send_timeout`.
    pub send_timeout: Option<Duration>,
    /// `client_send_timeout`.
    pub client_send_timeout: Option<Duration>,
    /// `next_upstream`.
    pub next_upstream: Option<NextUpstream>,
    /// `next_upstream_tries`.
    pub next_upstream_tries: Option<u32>,
    /// `hide_headers`.
    pub hide_headers: Option<Vec<HeaderName>>,
    /// `set_headers` (replaces the inherited table as a whole).
    pub set_headers: Option<Vec<(HeaderName, HeaderTemplate)>>,
    /// `redirect_scheme`.
    pub redirect_scheme: Option<bool>,
    /// `websocket`.
    pub websocket: Option<bool>,
    /// `keepalive`.
    pub keepalive: Option<bool>,
    /// `add_headers` (replaces the inherited table as a whole).
    pub add_headers: Option<Vec<AddHeader>>,
    /// `location_rewrite` (replaces the inherited table as a whole).
    pub location_rewrite: Option<Vec<(String, String)>>,
}

impl ProxyOverrides {
    /// Reads the `[proxy]` keys present in `sec` (which may hold other keys:
    /// the caller reports unknown ones with [`Section::finish`]).
    pub fn read(cx: &mut Cx<'_>, sec: &mut Section<'_>) -> Self {
        ProxyOverrides {
            client_max_body_size: plain(sec.get(cx, "client_max_body_size", check_size)),
            client_body_buffer_size: plain(sec.get(cx, "client_body_buffer_size", check_size)),
            connect_timeout: plain(sec.get(cx, "connect_timeout", check_positive_duration)),
            read_timeout: plain(sec.get(cx, "read_timeout", check_positive_duration)),
            send_timeout: plain(sec.get(cx, "send_timeout", check_positive_duration)),
            client_send_timeout: plain(sec.get(cx, "client_send_timeout", check_positive_duration)),
            next_upstream: read_next_upstream(cx, sec),
            next_upstream_tries: sec
                .get(cx, "next_upstream_tries", |v| uint(v, u64::from(u32::MAX)))
                .map(|a| a.value as u32),
            hide_headers: values(sec.list(cx, "hide_headers", true, |v| {
                as_str(v).and_then(check_header_name)
            })),
            set_headers: read_set_headers(cx, sec),
            redirect_scheme: sec.get(cx, "redirect_scheme", boolean).map(|a| a.value),
            websocket: sec.get(cx, "websocket", boolean).map(|a| a.value),
            keepalive: sec.get(cx, "keepalive", boolean).map(|a| a.value),
            add_headers: read_add_headers(cx, sec),
            location_rewrite: read_location_rewrite(cx, sec),
        }
    }

    /// `base` with every key written at this level replaced.
    pub fn apply(&self, base: &ProxySettings) -> ProxySettings {
        let b = base.clone();
        ProxySettings {
            client_max_body_size: self.client_max_body_size.unwrap_or(b.client_max_body_size),
            client_body_buffer_size: self
                .client_body_buffer_size
                .unwrap_or(b.client_body_buffer_size),
            connect_timeout: self.connect_timeout.unwrap_or(b.connect_timeout),
            read_timeout: self.read_timeout.unwrap_or(b.read_timeout),
            send_timeout: self.send_timeout.unwrap_or(b.send_timeout),
            client_send_timeout: self.client_send_timeout.unwrap_or(b.client_send_timeout),
            next_upstream: self.next_upstream.unwrap_or(b.next_upstream),
            next_upstream_tries: self.next_upstream_tries.unwrap_or(b.next_upstream_tries),
            hide_headers: self.hide_headers.clone().unwrap_or(b.hide_headers),
            set_headers: self.set_headers.clone().unwrap_or(b.set_headers),
            redirect_scheme: self.redirect_scheme.unwrap_or(b.redirect_scheme),
            websocket: self.websocket.unwrap_or(b.websocket),
            keepalive: self.keepalive.unwrap_or(b.keepalive),
            add_headers: self.add_headers.clone().unwrap_or(b.add_headers),
            location_rewrite: self.location_rewrite.clone().unwrap_or(b.location_rewrite),
        }
    }
}

/// nginx's `proxy_next_upstream` conditions.
const NEXT_UPSTREAM_ITEMS: &str = "error, timeout, invalid_header, http_500, http_502, http_503, \
    http_504, http_403, http_404, http_429, non_idempotent or off";

/// Sets the flag called `item` in `next`; `false` for an unknown item.
fn set_next_upstream(next: &mut NextUpstream, item: &str) -> bool {
    let flag = match item {
        "error" => &mut next.error,
        "timeout" => &mut next.timeout,
        "invalid_header" => &mut next.invalid_header,
        "http_500" => &mut next.http_500,
        "http_502" => &mut next.http_502,
        "http_503" => &mut next.http_503,
        "http_504" => &mut next.http_504,
        "http_403" => &mut next.http_403,
        "http_404" => &mut next.http_404,
        "http_429" => &mut next.http_429,
        "non_idempotent" => &mut next.non_idempotent,
        _ => return false,
    };
    *flag = true;
    true
}

/// `next_upstream`: a list of nginx conditions, or `["off"]` alone.
fn read_next_upstream(cx: &mut Cx<'_>, sec: &mut Section<'_>) -> Option<NextUpstream> {
    let items = sec
        .list(cx, "next_upstream", true, |v| {
            let item = as_str(v)?;
            let known = item == "off" || set_next_upstream(&mut NextUpstream::default(), item);
            if known {
                Ok(item.to_owned())
            } else {
                Err(format!("unknown condition, expected {NEXT_UPSTREAM_ITEMS}"))
            }
        })?
        .value;
    let mut next = NextUpstream::default();
    for at in &items {
        if at.value == "off" {
            if items.len() > 1 {
                cx.report(&at.spot, "\"off\" cannot be combined with other conditions");
            }
        } else {
            set_next_upstream(&mut next, &at.value);
        }
    }
    Some(next)
}

/// `set_headers`: header name → template, names unique case-insensitively.
fn read_set_headers(
    cx: &mut Cx<'_>,
    sec: &mut Section<'_>,
) -> Option<Vec<(HeaderName, HeaderTemplate)>> {
    let present = sec.has("set_headers");
    let mut table = sec.table(cx, "set_headers");
    if !present {
        return None;
    }
    let mut out: Vec<(HeaderName, HeaderTemplate)> = Vec::new();
    for (name, spot, value) in table.entries(cx) {
        let parsed =
            check_header_name(&name).and_then(|n| Ok((n, parse_template(as_str(value)?)?)));
        match parsed {
            Ok((n, _)) if out.iter().any(|(seen, _)| *seen == n) => {
                cx.report(&spot, "duplicate header name (names are case-insensitive)");
            }
            Ok(entry) => out.push(entry),
            Err(reason) => cx.report(&spot, reason),
        }
    }
    table.finish(cx);
    Some(out)
}

/// A literal response-header value: no variables, no control characters.
fn literal_value(text: &str) -> Result<http::HeaderValue, String> {
    if text.is_empty() {
        return Err("empty value: nothing would be added".to_owned());
    }
    if text.contains('$') {
        return Err("variables are not supported here: write the value itself".to_owned());
    }
    http::HeaderValue::from_str(text)
        .map_err(|_| "control characters are not allowed in a header value".to_owned())
}

/// `add_headers`: header name → `"value"` or `{ value = "…", always = true }`.
pub(super) fn read_add_headers(cx: &mut Cx<'_>, sec: &mut Section<'_>) -> Option<Vec<AddHeader>> {
    let present = sec.has("add_headers");
    let mut table = sec.table(cx, "add_headers");
    if !present {
        return None;
    }
    let mut out = Vec::new();
    for (name, spot, value) in table.entries(cx) {
        let parsed = check_header_name(&name).and_then(|name| {
            let (text, always) = match value {
                toml_edit::Value::InlineTable(t) => {
                    if let Some(k) = t
                        .iter()
                        .map(|(k, _)| k)
                        .find(|k| !matches!(*k, "value" | "always"))
                    {
                        return Err(format!("unknown key {k:?}: expected value and always"));
                    }
                    let text = t
                        .get("value")
                        .ok_or_else(|| "missing value".to_owned())
                        .and_then(as_str)?;
                    let always = match t.get("always") {
                        Some(v) => boolean(v)?,
                        None => false,
                    };
                    (text, always)
                }
                v => (as_str(v)?, false),
            };
            Ok(AddHeader {
                name,
                value: literal_value(text)?,
                always,
            })
        });
        match parsed {
            Ok(h) => out.push(h),
            Err(reason) => cx.report(&spot, reason),
        }
    }
    table.finish(cx);
    Some(out)
}

/// `location_rewrite`: `Location` prefix → replacement, in file order.
fn read_location_rewrite(cx: &mut Cx<'_>, sec: &mut Section<'_>) -> Option<Vec<(String, String)>> {
    let present = sec.has("location_rewrite");
    let mut table = sec.table(cx, "location_rewrite");
    if !present {
        return None;
    }
    let mut out = Vec::new();
    for (from, spot, value) in table.entries(cx) {
        let to = as_str(value).and_then(|to| {
            if from.is_empty() || to.is_empty() {
                return Err("neither the prefix nor its replacement may be empty".to_owned());
            }
            if from.contains('$') || to.contains('$') {
                return Err(
                    "variables are not supported here (use redirect_scheme for $scheme)".to_owned(),
                );
            }
            literal_value(to)?;
            Ok(to.to_owned())
        });
        match to {
            Ok(to) => out.push((from, to)),
            Err(reason) => cx.report(&spot, reason),
        }
    }
    table.finish(cx);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::defaults::default_proxy_settings;
    use crate::config::locate::Source;
    use std::path::Path;
    use toml_edit::{ImDocument, TableLike};

    fn read(text: &str) -> (ProxyOverrides, Vec<String>) {
        let doc = ImDocument::parse(text).unwrap();
        let mut cx = Cx::new(Source::new(Path::new("p.toml"), text));
        let mut sec = Section::new("proxy", Some(doc.as_table() as &dyn TableLike), 1);
        let o = ProxyOverrides::read(&mut cx, &mut sec);
        sec.finish(&mut cx);
        (o, cx.errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn test_read_nothing_is_all_none() {
        let (o, errs) = read("");
        assert!(errs.is_empty());
        assert!(o.set_headers.is_none() && o.read_timeout.is_none() && o.next_upstream.is_none());
    }

    #[test]
    fn test_read_units_and_integer_seconds() {
        let (o, errs) = read(
            "client_max_body_size = \"1g\"\nread_timeout = 240\nconnect_timeout = \"1h30m\"\n",
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(o.client_max_body_size, Some(1 << 30));
        assert_eq!(o.read_timeout, Some(Duration::from_secs(240)));
        assert_eq!(o.connect_timeout, Some(Duration::from_secs(5400)));
    }

    #[test]
    fn test_read_bad_values_each_reported() {
        let (_, errs) =
            read("client_max_body_size = \"10q\"\nread_timeout = \"soon\"\nwebsocket = \"yes\"\n");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("p.toml:1: proxy.client_max_body_size: "));
        assert!(errs[1].starts_with("p.toml:2: proxy.read_timeout: "));
        assert!(errs[2].starts_with("p.toml:3: proxy.websocket: "));
    }

    #[test]
    fn test_read_next_upstream() {
        let (o, errs) = read("next_upstream = [\"error\", \"http_429\", \"non_idempotent\"]\n");
        assert!(errs.is_empty());
        let n = o.next_upstream.unwrap();
        assert!(n.error && n.http_429 && n.non_idempotent && !n.timeout);
    }

    #[test]
    fn test_read_next_upstream_off() {
        let (o, _) = read("next_upstream = [\"off\"]\n");
        assert_eq!(o.next_upstream, Some(NextUpstream::default()));
        let (_, errs) = read("next_upstream = [\"off\", \"error\"]\n");
        assert_eq!(errs.len(), 1);
        let (_, errs) = read("next_upstream = [\"error\", \"http_418\"]\n");
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].contains("proxy.next_upstream[1]: unknown condition"),
            "{errs:?}"
        );
    }

    #[test]
    fn test_read_set_headers_in_order() {
        let (o, errs) = read("set_headers = { \"X-B\" = \"$scheme\", \"X-A\" = \"\" }\n");
        assert!(errs.is_empty(), "{errs:?}");
        let h = o.set_headers.unwrap();
        assert_eq!(h[0].0.as_str(), "x-b");
        assert!(h[1].1.is_removal());
    }

    #[test]
    fn test_read_set_headers_duplicate_case_insensitive() {
        let (_, errs) = read("[set_headers]\nHost = \"$host\"\nhost = \"x\"\n");
        assert_eq!(errs, vec!["p.toml:3: proxy.set_headers.host: duplicate header name (names are case-insensitive) (\"x\")"]);
    }

    #[test]
    fn test_read_set_headers_bad_name_and_variable() {
        let (_, errs) =
            read("set_headers = { \"Bad Name\" = \"x\", \"X-Up\" = \"$upstream_addr\" }\n");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("invalid header name"));
        assert!(errs[1].contains("unknown variable $upstream_addr"));
    }

    #[test]
    fn test_read_hide_headers_bad_name() {
        let (_, errs) = read("hide_headers = [\"X-Frame-Options\", \"no good\"]\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("proxy.hide_headers[1]: invalid header name"));
    }

    #[test]
    fn test_apply_replaces_only_written_keys() {
        let base = default_proxy_settings();
        let over = ProxyOverrides {
            read_timeout: Some(Duration::from_secs(5)),
            websocket: Some(false),
            ..ProxyOverrides::default()
        };
        let merged = over.apply(&base);
        assert_eq!(merged.read_timeout, Duration::from_secs(5));
        assert!(!merged.websocket);
        assert_eq!(merged.connect_timeout, base.connect_timeout);
        assert_eq!(merged.set_headers, base.set_headers);
    }

    #[test]
    fn test_apply_set_headers_replaces_whole_table() {
        let base = default_proxy_settings();
        let (over, _) = read("set_headers = { \"X-Only\" = \"1\" }\n");
        let merged = over.apply(&base);
        assert_eq!(merged.set_headers.len(), 1);
        assert_eq!(merged.set_headers[0].0.as_str(), "x-only");
    }

    #[test]
    fn test_read_add_headers_forms() {
        let (o, errs) = read(
            "[add_headers]\nX-Frame-Options = \"SAMEORIGIN\"\n\"X-XSS-Protection\" = { value = \"1; mode=block\", always = true }\n",
        );
        assert!(errs.is_empty(), "{errs:?}");
        let h = o.add_headers.unwrap();
        assert_eq!(
            (h[0].name.as_str(), h[0].always),
            ("x-frame-options", false)
        );
        assert_eq!(
            (h[1].value.to_str().unwrap(), h[1].always),
            ("1; mode=block", true)
        );
        assert!(!h[0].applies(404) && h[0].applies(304) && h[1].applies(500));
    }

    #[test]
    fn test_read_add_headers_errors() {
        let (_, errs) = read(
            "[add_headers]\nA = \"$host\"\nB = \"\"\nC = { value = \"x\", sometimes = true }\nD = 5\n",
        );
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs[0].starts_with("p.toml:2: proxy.add_headers.A: variables are not supported"));
        assert!(errs[1].starts_with("p.toml:3: proxy.add_headers.B: empty value"));
        assert!(errs[2].starts_with("p.toml:4: proxy.add_headers.C: unknown key \"sometimes\""));
        assert!(errs[3].starts_with("p.toml:5: proxy.add_headers.D: expected a string"));
    }

    #[test]
    fn test_read_location_rewrite() {
        let (o, errs) = read("location_rewrite = { \"http://127.0.0.1:8989/\" = \"/sonarr/\" }\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            o.location_rewrite.unwrap(),
            [("http://127.0.0.1:8989/".to_owned(), "/sonarr/".to_owned())]
        );
        let (_, errs) = read("location_rewrite = { \"http://a/\" = \"$scheme://b/\" }\n");
        assert!(errs[0].contains("variables are not supported"), "{errs:?}");
    }

    #[test]
    fn test_apply_twice_layers() {
        let (proxy, _) = read("read_timeout = \"10s\"\nsend_timeout = \"20s\"\n");
        let (route, _) = read("read_timeout = \"1s\"\n");
        let merged = route.apply(&proxy.apply(&default_proxy_settings()));
        assert_eq!(merged.read_timeout, Duration::from_secs(1));
        assert_eq!(merged.send_timeout, Duration::from_secs(20));
    }
}
