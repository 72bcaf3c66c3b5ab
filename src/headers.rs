//! Request-header rewriting with nginx semantics: `set_headers` templates
//! (`$host`, `$server_port`, `$remote_addr`, `$proxy_add_x_forwarded_for`, …),
//! hop-by-hop headers, and the response `Location` scheme rewrite.
//!
//! Pure functions over plain values; the proxy applies the results to
//! Pingora's header types.

use std::net::IpAddr;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

use crate::config::{HeaderTemplate, TemplatePart};

/// Everything a `set_headers` template may refer to, for one request.
#[derive(Debug)]
pub struct RequestVars<'a> {
    /// `$host`: request host without port, lowercase.
    pub host: &'a str,
    /// `$server_port`.
    pub server_port: u16,
    /// `$server_addr`.
    pub server_addr: Option<IpAddr>,
    /// `$remote_addr`: the client address the gateway believes.
    pub remote_addr: IpAddr,
    /// The address of the connection's peer (the client, or the trusted proxy
    /// in front of the gateway): what `$proxy_add_x_forwarded_for` appends.
    pub peer_addr: IpAddr,
    /// `$scheme`.
    pub scheme: &'static str,
    /// The client's own `X-Forwarded-For`, only when the peer is a trusted proxy.
    pub forwarded_for: Option<&'a [u8]>,
    /// `$request_uri`: original path and query.
    pub request_uri: &'a str,
    /// The client request headers (`$http_*`, `$cookie_*`).
    pub headers: &'a HeaderMap,
    /// `$request_method`.
    pub method: &'a str,
    /// `$uri`: the normalized path.
    pub uri: &'a str,
    /// `$args`: the query, without `?`.
    pub args: Option<&'a str>,
    /// `$http_host`: the `Host` header as sent, or the HTTP/2 authority.
    pub http_host: Option<&'a str>,
    /// `$server_name` of the route.
    pub server_name: &'a str,
    /// `$proxy_host` of the upstream in use.
    pub proxy_host: &'a str,
    /// `$proxy_port` of the upstream in use.
    pub proxy_port: u16,
}

/// The value of one template, or `None` when the header must not be sent
/// (nginx drops headers whose value is empty) or the value is not a valid
/// header value.
pub fn expand(template: &HeaderTemplate, vars: &RequestVars<'_>) -> Option<HeaderValue> {
    if let Some(s) = template.as_static() {
        return HeaderValue::from_str(s).ok();
    }
    // The text is built in this thread's scratch string, so the only allocation is the
    // value's own bytes.
    SCRATCH
        .try_with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut out) => {
                out.clear();
                let value = expand_into(template, vars, &mut out);
                if out.capacity() > SCRATCH_KEEP {
                    // One long value (a long X-Forwarded-For chain) is not kept for good.
                    *out = String::with_capacity(256);
                }
                value
            }
            Err(_) => expand_into(template, vars, &mut String::new()),
        })
        .unwrap_or_else(|_| expand_into(template, vars, &mut String::new()))
}

/// The largest scratch string a thread keeps between requests.
const SCRATCH_KEEP: usize = 8 * 1024;

thread_local! {
    static SCRATCH: std::cell::RefCell<String> = std::cell::RefCell::new(String::with_capacity(256));
}

/// [`expand`] into `out`, which starts empty.
fn expand_into(
    template: &HeaderTemplate,
    vars: &RequestVars<'_>,
    out: &mut String,
) -> Option<HeaderValue> {
    for part in &template.parts {
        match part {
            TemplatePart::Literal(s) => out.push_str(s),
            // nginx's $host is lowercase.
            TemplatePart::Host => {
                let start = out.len();
                out.push_str(vars.host);
                if let Some(added) = out.get_mut(start..) {
                    added.make_ascii_lowercase();
                }
            }
            TemplatePart::ServerPort => push_port(out, vars.server_port),
            TemplatePart::ServerAddr => {
                if let Some(a) = vars.server_addr {
                    crate::ip_text::push_ip(out, a);
                }
            }
            TemplatePart::RemoteAddr => {
                crate::ip_text::push_ip(out, vars.remote_addr);
            }
            TemplatePart::Scheme => out.push_str(vars.scheme),
            TemplatePart::RequestUri => out.push_str(vars.request_uri),
            TemplatePart::ProxyAddXForwardedFor => {
                if let Some(xff) = vars.forwarded_for.and_then(|v| std::str::from_utf8(v).ok()) {
                    let xff = xff.trim();
                    if !xff.is_empty() {
                        out.push_str(xff);
                        out.push_str(", ");
                    }
                }
                crate::ip_text::push_ip(out, vars.peer_addr);
            }
            TemplatePart::HttpHeader(name) => {
                if let Some(v) = vars.headers.get(name).and_then(|v| v.to_str().ok()) {
                    out.push_str(v);
                }
            }
            TemplatePart::Cookie(name) => {
                for v in vars.headers.get_all(http::header::COOKIE) {
                    if let Some(c) = crate::cookie::find(v.as_bytes(), name) {
                        out.push_str(c);
                        break;
                    }
                }
            }
            TemplatePart::RequestMethod => out.push_str(vars.method),
            TemplatePart::ServerName => out.push_str(vars.server_name),
            TemplatePart::ProxyHost => out.push_str(vars.proxy_host),
            TemplatePart::ProxyPort => push_port(out, vars.proxy_port),
            TemplatePart::HttpHost => out.push_str(vars.http_host.unwrap_or("")),
            TemplatePart::ConnectionUpgrade => {
                let upgrade = vars
                    .headers
                    .get(http::header::UPGRADE)
                    .is_some_and(|v| !v.is_empty());
                out.push_str(if upgrade { "upgrade" } else { "close" });
            }
            TemplatePart::SslEarlyData => {}
            TemplatePart::Uri => out.push_str(vars.uri),
            TemplatePart::Args => out.push_str(vars.args.unwrap_or("")),
            TemplatePart::IsArgs => {
                if vars.args.is_some() {
                    out.push('?');
                }
            }
            TemplatePart::Https => {
                if vars.scheme == "https" {
                    out.push_str("on");
                }
            }
        }
    }
    if out.is_empty() {
        return None;
    }
    HeaderValue::from_str(out).ok()
}

/// A port in decimal, without `fmt`'s machinery (two ports per request in
/// the default `Host $host:$server_port`).
fn push_port(out: &mut String, port: u16) {
    let mut digits = [0u8; 20];
    let text = crate::ip_text::decimal(u64::from(port), &mut digits);
    out.extend(text.iter().map(|&d| char::from(d)));
}

/// Hop-by-hop request headers that never travel upstream as sent by the client
/// (nginx `proxy_set_header Connection ""` and HTTP/1.1 §7.6.1). `Upgrade` and
/// `Connection` are re-added by the proxy for WebSocket handshakes.
/// Header names the hot path reads, parsed once at compile time (a `&str`
/// key is parsed on every look-up).
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub const X_REQUESTED_WITH: HeaderName = HeaderName::from_static("x-requested-with");
pub const X_PLEX_TOKEN: HeaderName = HeaderName::from_static("x-plex-token");

pub const HOP_BY_HOP: [HeaderName; 6] = [
    http::header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    http::header::TE,
    http::header::TRAILER,
    http::header::UPGRADE,
];

/// nginx `proxy_redirect http:// $scheme://`: an upstream `Location` that
/// starts with `http://` is given the client's scheme. `None` = unchanged.
pub fn rewrite_location(location: &[u8], scheme: &str) -> Option<HeaderValue> {
    let rest = location.strip_prefix(b"http://")?;
    if scheme == "http" {
        return None;
    }
    let mut v = Vec::with_capacity(location.len() + 1);
    v.extend_from_slice(scheme.as_bytes());
    v.extend_from_slice(b"://");
    v.extend_from_slice(rest);
    HeaderValue::from_bytes(&v).ok()
}

/// nginx `proxy_redirect FROM TO`: the first rule whose `FROM` starts the
/// upstream `Location` replaces that prefix. `None` = no rule matched.
pub fn rewrite_location_prefix(location: &[u8], rules: &[(String, String)]) -> Option<HeaderValue> {
    let (from, to) = rules
        .iter()
        .find(|(from, _)| location.starts_with(from.as_bytes()))?;
    let mut v = Vec::with_capacity(location.len() + to.len());
    v.extend_from_slice(to.as_bytes());
    v.extend_from_slice(&location[from.len()..]);
    HeaderValue::from_bytes(&v).ok()
}

/// The host of a request without port and without one trailing dot (nginx
/// treats `host.` as `host`): the `Host` header (or the URI authority for
/// HTTP/2 and absolute-form requests). Case is kept; compare ignoring it.
pub fn request_host<'a>(uri_host: Option<&'a str>, host_header: Option<&'a [u8]>) -> &'a str {
    let raw = uri_host
        .or_else(|| host_header.and_then(|h| std::str::from_utf8(h).ok()))
        .unwrap_or("");
    let host = strip_port(raw.trim());
    host.strip_suffix('.').unwrap_or(host)
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn vars<'a>(headers: &'a HeaderMap, xff: Option<&'a [u8]>) -> RequestVars<'a> {
        RequestVars {
            host: "gw.example.com",
            server_port: 8443,
            server_addr: None,
            remote_addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
            peer_addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
            scheme: "https",
            forwarded_for: xff,
            request_uri: "/plex/x?y=1",
            headers,
            method: "GET",
            uri: "/plex/x",
            args: Some("y=1"),
            http_host: Some("GW.example.com:8443"),
            server_name: "gw.example.com",
            proxy_host: "plex:32400",
            proxy_port: 32400,
        }
    }

    fn t(parts: Vec<TemplatePart>) -> HeaderTemplate {
        HeaderTemplate { parts }
    }

    #[test]
    fn test_expand_lowercases_host_and_writes_every_port() {
        let h = HeaderMap::new();
        let host = t(vec![
            TemplatePart::Host,
            TemplatePart::Literal(":".into()),
            TemplatePart::ServerPort,
            TemplatePart::Literal("/".into()),
            TemplatePart::ProxyPort,
        ]);
        for (name, port, want) in [
            ("GW.Example.COM", 0, "gw.example.com:0/0"),
            ("[2001:DB8::1]", 80, "[2001:db8::1]:80/80"),
            ("a", 9, "a:9/9"),
            ("b", 10, "b:10/10"),
            ("c", 65535, "c:65535/65535"),
        ] {
            let mut v = vars(&h, None);
            v.host = name;
            v.server_port = port;
            v.proxy_port = port;
            assert_eq!(expand(&host, &v), HeaderValue::from_str(want).ok());
        }
    }

    #[test]
    fn test_expand_host_port_and_xff() {
        let h = HeaderMap::new();
        let host = t(vec![
            TemplatePart::Host,
            TemplatePart::Literal(":".into()),
            TemplatePart::ServerPort,
        ]);
        assert_eq!(
            expand(&host, &vars(&h, None)).unwrap(),
            "gw.example.com:8443"
        );
        let xff = t(vec![TemplatePart::ProxyAddXForwardedFor]);
        assert_eq!(expand(&xff, &vars(&h, None)).unwrap(), "10.0.0.7");
        assert_eq!(
            expand(&xff, &vars(&h, Some(b"1.2.3.4"))).unwrap(),
            "1.2.3.4, 10.0.0.7"
        );
    }

    #[test]
    fn test_expand_reuses_its_scratch_without_carrying_text_over() {
        let h = HeaderMap::new();
        let xff = t(vec![TemplatePart::ProxyAddXForwardedFor]);
        // A chain longer than the scratch string a thread keeps, then short values: each
        // value is only its own text.
        let long = "192.0.2.1, ".repeat(1000);
        let long = long.trim_end_matches(", ");
        let got = expand(&xff, &vars(&h, Some(long.as_bytes()))).unwrap();
        assert_eq!(got.len(), long.len() + ", 10.0.0.7".len());
        assert!(SCRATCH.with(|s| s.borrow().capacity()) <= SCRATCH_KEEP);
        assert_eq!(expand(&xff, &vars(&h, None)).unwrap(), "10.0.0.7");
        let scheme = t(vec![TemplatePart::Scheme]);
        assert_eq!(expand(&scheme, &vars(&h, None)).unwrap(), "https");
        // An empty expansion after a full one still drops the header.
        assert_eq!(
            expand(
                &t(vec![TemplatePart::Args]),
                &RequestVars {
                    args: None,
                    ..vars(&h, None)
                }
            ),
            None
        );
    }

    #[test]
    fn test_expand_http_and_cookie_vars() {
        let mut h = HeaderMap::new();
        h.insert("user-agent", HeaderValue::from_static("curl/8"));
        h.insert("cookie", HeaderValue::from_static("a=1; session=abc"));
        let ua = t(vec![TemplatePart::HttpHeader(HeaderName::from_static(
            "user-agent",
        ))]);
        assert_eq!(expand(&ua, &vars(&h, None)).unwrap(), "curl/8");
        let c = t(vec![TemplatePart::Cookie("session".into())]);
        assert_eq!(expand(&c, &vars(&h, None)).unwrap(), "abc");
        let missing = t(vec![TemplatePart::Cookie("nope".into())]);
        assert_eq!(expand(&missing, &vars(&h, None)), None);
        assert_eq!(expand(&t(vec![]), &vars(&h, None)), None);
    }

    #[test]
    fn test_expand_request_and_upstream_vars() {
        let mut h = HeaderMap::new();
        let v = |text: &str, h: &HeaderMap| {
            let t = crate::config::template::parse_template(text).unwrap();
            expand(&t, &vars(h, None)).map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(
            v("$request_method $uri$is_args$args", &h).unwrap(),
            "GET /plex/x?y=1"
        );
        assert_eq!(
            v("$server_name|$proxy_host|$proxy_port", &h).unwrap(),
            "gw.example.com|plex:32400|32400"
        );
        assert_eq!(v("$http_host", &h).unwrap(), "GW.example.com:8443");
        assert_eq!(v("$https", &h).unwrap(), "on");
        assert_eq!(v("$ssl_early_data", &h), None);
        assert_eq!(v("$connection_upgrade", &h).unwrap(), "close");
        h.insert("upgrade", HeaderValue::from_static("websocket"));
        assert_eq!(v("$connection_upgrade", &h).unwrap(), "upgrade");
    }

    #[test]
    fn test_rewrite_location_scheme() {
        assert_eq!(
            rewrite_location(b"http://h:1/x", "https").unwrap(),
            "https://h:1/x"
        );
        assert_eq!(rewrite_location(b"http://h:1/x", "http"), None);
        assert_eq!(rewrite_location(b"/relative", "https"), None);
    }

    #[test]
    fn test_rewrite_location_prefix_first_match() {
        let rules = vec![
            ("http://127.0.0.1:8989/".to_owned(), "/sonarr/".to_owned()),
            ("http://127.0.0.1:".to_owned(), "/other/".to_owned()),
        ];
        assert_eq!(
            rewrite_location_prefix(b"http://127.0.0.1:8989/login?x=1", &rules).unwrap(),
            "/sonarr/login?x=1"
        );
        assert_eq!(
            rewrite_location_prefix(b"http://127.0.0.1:1/a", &rules).unwrap(),
            "/other/1/a"
        );
        assert_eq!(rewrite_location_prefix(b"/relative", &rules), None);
    }

    #[test]
    fn test_request_host_strips_port() {
        assert_eq!(request_host(None, Some(b"Example:8080")), "Example");
        assert_eq!(request_host(None, Some(b"[::1]:8080")), "::1");
        assert_eq!(request_host(Some("a.test"), Some(b"b.test")), "a.test");
        assert_eq!(
            request_host(None, Some(b"private.test.:80")),
            "private.test"
        );
        assert_eq!(request_host(None, Some(b"private.test.")), "private.test");
        assert_eq!(request_host(None, None), "");
    }
}
