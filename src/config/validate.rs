//! Small named checks, one per kind of value: each takes the value as written
//! and returns the model type or a short reason. The section readers apply
//! them key by key, so a bad value is reported with its own line.

use std::net::SocketAddr;
use std::time::Duration;

use http::header::HeaderName;
use ipnet::IpNet;
use regex::Regex;
use toml_edit::Value;
use url::Url;

use super::file::as_str;
use super::model::{
    AuthLevel, GroupNames, HostPattern, IdentityField, LoginBackend, SsoService, Upstream,
};
use super::units;
use crate::groups;

/// A listen address: `IP:PORT` (`127.0.0.1:8080`, `[::]:443`).
pub fn check_listen(text: &str) -> Result<SocketAddr, String> {
    text.trim()
        .parse()
        .map_err(|_| "expected IP:PORT, e.g. 127.0.0.1:8080 or [::]:8443".to_owned())
}

/// `[metrics] listen`: empty (metrics off) or a listen address.
pub fn check_metrics_listen(text: &str) -> Result<Option<SocketAddr>, String> {
    match text.trim() {
        "" => Ok(None),
        t => check_listen(t).map(Some),
    }
}

/// `[metrics] path`: an absolute path of plain characters (`/metrics`).
pub fn check_metrics_path(text: &str) -> Result<String, String> {
    let t = text.trim();
    let plain = t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if !t.starts_with('/') || !plain || t.contains("//") {
        return Err("expected an absolute path like /metrics (letters, digits, / - _ . ~)".into());
    }
    Ok(t.to_owned())
}

/// A trusted proxy: a CIDR (`10.0.0.0/8`) or a single IP.
pub fn check_cidr(text: &str) -> Result<IpNet, String> {
    let t = text.trim();
    t.parse::<IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| "expected a CIDR like 10.0.0.0/8 or an IP address".to_owned())
}

/// An `http://` or `https://` URL with a host, no query and no fragment.
pub fn check_http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("invalid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("URL scheme must be http or https".to_owned());
    }
    let written_host = text.trim().split_once("://").map(|(_, rest)| rest);
    let no_written_host =
        written_host.is_none_or(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']));
    if no_written_host || url.host_str().is_none_or(str::is_empty) {
        return Err("URL has no host: expected http://HOST[:PORT][/PATH]".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("URL must not have a query or fragment".to_owned());
    }
    Ok(url)
}

/// A `proxy_pass`-style upstream: `http(s)://host[:port][/path]`.
///
/// `uri_path` is `Some` only when the text has a path after the authority
/// (`http://h:32400/` → `Some("/")`, `http://h:32400` → `None`).
pub fn check_upstream(text: &str) -> Result<Upstream, String> {
    let url = check_http_url(text)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in an upstream URL are not supported".to_owned());
    }
    let host = url.host().ok_or_else(|| "URL has no host".to_owned())?;
    let sni = match host {
        url::Host::Domain(d) => d.to_owned(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "URL has no port".to_owned())?;
    let host_text = url.host_str().unwrap_or_default();
    let address = format!("{host_text}:{port}");
    let uri_path = has_written_path(text.trim()).then(|| url.path().to_owned());
    let proxy_host = match url.port() {
        Some(p) => format!("{host_text}:{p}"),
        None => host_text.to_owned(),
    };
    Ok(Upstream {
        tls: url.scheme() == "https",
        address,
        sni,
        uri_path,
        proxy_host,
        proxy_port: port,
        url,
    })
}

/// Whether `scheme://authority` in `text` is followed by a `/`.
fn has_written_path(text: &str) -> bool {
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    after_scheme
        .find(['/', '?', '#'])
        .is_some_and(|i| after_scheme[i..].starts_with('/'))
}

/// `[portal] prefix`: starts with `/`, does not end with `/`.
pub fn check_portal_prefix(text: &str) -> Result<String, String> {
    if !text.starts_with('/') || text.ends_with('/') {
        return Err("must start with \"/\" and not end with \"/\", e.g. /gatehouse".to_owned());
    }
    check_path_chars(text)
}

/// `[portal] home`: `""` (off) or a path.
pub fn check_home(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    if !text.starts_with('/') {
        return Err("must be \"\" or a path starting with \"/\"".to_owned());
    }
    check_path_chars(text).map(Some)
}

/// A `[[route]] path` prefix: starts with `/`.
pub fn check_route_path(text: &str) -> Result<String, String> {
    if !text.starts_with('/') {
        return Err("path must start with \"/\"".to_owned());
    }
    check_path_chars(text)
}

/// Refuses whitespace and control characters in a path.
fn check_path_chars(text: &str) -> Result<String, String> {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("path must not contain spaces or control characters".to_owned());
    }
    Ok(text.to_owned())
}

/// A route or redirect `host` item: a host pattern (see `hosts.rs`).
pub fn check_host_pattern(text: &str) -> Result<HostPattern, String> {
    super::hosts::parse_host_pattern(text)
}

/// `[session] cookie` name prefixes (RFC 6265bis §4.1.3): a `__Host-`
/// cookie must be Secure, host-only (no `Domain`) and `Path=/`; a
/// `__Secure-` cookie must be Secure. Gatehouse always sets `Path=/` and
/// sets `Secure` whenever `public_url` is https, so the prefix needs an https
/// `public_url` (and, for `__Host-`, no `[session] domain`). `https` is
/// `None` when `public_url` itself was invalid (reported there).
pub fn check_cookie_prefix(
    name: &str,
    has_domain: bool,
    https: Option<bool>,
) -> Result<(), String> {
    let host = name.starts_with("__Host-");
    if !host && !name.starts_with("__Secure-") {
        return Ok(());
    }
    if host && has_domain {
        return Err(
            "a __Host- cookie cannot have a Domain: leave [session] domain empty, or drop the prefix"
                .to_owned(),
        );
    }
    if https == Some(false) {
        return Err(
            "a cookie with this prefix must be Secure: [server] public_url must be https"
                .to_owned(),
        );
    }
    Ok(())
}

/// `[session] cookie`: a cookie name (RFC 6265 token).
pub fn check_cookie_name(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if ok {
        Ok(text.to_owned())
    } else {
        Err("expected a cookie name (letters, digits, - _ . and similar)".to_owned())
    }
}

/// `[session] domain`: `""` (host-only) or a domain that is not a public suffix.
pub fn check_cookie_domain(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let lower = text.trim().to_ascii_lowercase();
    let bare = lower.strip_prefix('.').unwrap_or(&lower);
    let valid = !bare.is_empty()
        && bare.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        return Err("expected a domain like .example.com".to_owned());
    }
    if psl::suffix_str(bare) == Some(bare) {
        return Err("is a public suffix: browsers refuse cookies for it".to_owned());
    }
    Ok(Some(lower))
}

/// `[login] backend`: `local` or `plex`.
pub fn check_login_backend(text: &str) -> Result<LoginBackend, String> {
    match text {
        "local" => Ok(LoginBackend::Local),
        "plex" => Ok(LoginBackend::Plex),
        _ => Err("expected \"local\" or \"plex\"".to_owned()),
    }
}

/// `[plex] machine_id`: `""` or 40 hex digits.
pub fn check_machine_id(text: &str) -> Result<String, String> {
    if text.is_empty() || (text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())) {
        Ok(text.to_owned())
    } else {
        Err("expected 40 hexadecimal characters (or \"\")".to_owned())
    }
}

/// A group: a name (`user`, `power-user`, …, or a `[groups]` name) or a
/// number 0..999, as a string or a TOML integer.
pub fn check_group(value: &Value, custom: &GroupNames) -> Result<u16, String> {
    let parsed = match value {
        Value::Integer(n) => u16::try_from(*n.value()).ok().filter(|&g| g <= groups::MAX),
        Value::String(s) => custom.parse(s.value()),
        other => {
            return Err(format!(
                "expected a group name or number, found {}",
                other.type_name()
            ))
        }
    };
    parsed.ok_or_else(|| unknown_group(custom))
}

/// A route's `auth`: `"none"` or a group.
pub fn check_auth(value: &Value, custom: &GroupNames) -> Result<AuthLevel, String> {
    if value
        .as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("none"))
    {
        return Ok(AuthLevel::None);
    }
    check_group(value, custom)
        .map(AuthLevel::Group)
        .map_err(|_| format!("{}, or \"none\"", unknown_group(custom)))
}

fn unknown_group(custom: &GroupNames) -> String {
    let names = custom.all_names();
    format!(
        "unknown group: expected {} or a number 0..999",
        names.join(", ")
    )
}

/// A header name (`X-WEBAUTH-USER`).
pub fn check_header_name(text: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(text.as_bytes()).map_err(|_| "invalid header name".to_owned())
}

/// An identity header value: `username`, `email`, `group` or `group_name`.
pub fn check_identity_field(value: &Value) -> Result<IdentityField, String> {
    match as_str(value)? {
        "username" => Ok(IdentityField::Username),
        "email" => Ok(IdentityField::Email),
        "group" => Ok(IdentityField::Group),
        "group_name" => Ok(IdentityField::GroupName),
        _ => Err("expected username, email, group or group_name".to_owned()),
    }
}

/// An `sso` item: `plex`, `ombi` or `tautulli`.
pub fn check_sso_service(value: &Value) -> Result<SsoService, String> {
    match as_str(value)? {
        "plex" => Ok(SsoService::Plex),
        "ombi" => Ok(SsoService::Ombi),
        "tautulli" => Ok(SsoService::Tautulli),
        _ => Err("expected plex, ombi or tautulli".to_owned()),
    }
}

/// A regular expression (Rust `regex` syntax, close to PCRE without
/// look-around or back-references).
pub fn check_regex(text: &str) -> Result<Regex, String> {
    Regex::new(text).map_err(|e| {
        let msg = e.to_string();
        let detail = msg
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or(msg.lines().last().unwrap_or("invalid"));
        format!("invalid regex: {detail}")
    })
}

/// `[[redirect]] status`: 301, 302, 303, 307 or 308.
pub fn check_redirect_status(value: &Value) -> Result<u16, String> {
    value
        .as_integer()
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| matches!(n, 301 | 302 | 303 | 307 | 308))
        .ok_or_else(|| "expected 301, 302, 303, 307 or 308".to_owned())
}

/// A size: `"10m"`, `"128k"`, `"1g"`, `"4096"` or an integer number of bytes.
pub fn check_size(value: &Value) -> Result<u64, String> {
    match value {
        Value::String(s) => units::parse_size(s.value()),
        Value::Integer(n) => units::size_from_integer(*n.value()),
        other => Err(format!(
            "expected a size like \"10m\", found {}",
            other.type_name()
        )),
    }
}

/// A duration: `"240s"`, `"1h30m"`, `"240"` or an integer number of seconds.
pub fn check_duration(value: &Value) -> Result<Duration, String> {
    match value {
        Value::String(s) => units::parse_duration(s.value()),
        Value::Integer(n) => units::duration_from_integer(*n.value()),
        other => Err(format!(
            "expected a duration like \"240s\", found {}",
            other.type_name()
        )),
    }
}

/// A duration that must not be zero (timeouts, lifetimes, windows).
pub fn check_positive_duration(value: &Value) -> Result<Duration, String> {
    let d = check_duration(value)?;
    if d.is_zero() {
        return Err("must be greater than zero".to_owned());
    }
    Ok(d)
}

/// `[server] drain_timeout`: whole seconds (Pingora counts seconds), from
/// 1 s to 1 h.
pub fn check_drain_timeout(value: &Value) -> Result<Duration, String> {
    let d = check_positive_duration(value)?;
    if d.subsec_nanos() != 0 {
        return Err("must be whole seconds".to_owned());
    }
    if d > Duration::from_secs(3600) {
        return Err("must be at most 1h".to_owned());
    }
    Ok(d)
}

/// `[server] threads`: 0 means one worker per core.
pub fn resolve_threads(threads: usize) -> usize {
    if threads > 0 {
        return threads;
    }
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(toml_value: &str) -> Value {
        toml_value.parse().unwrap()
    }

    fn check_group_(value: &Value) -> Result<u16, String> {
        check_group(value, &GroupNames::default())
    }

    fn check_auth_(value: &Value) -> Result<AuthLevel, String> {
        check_auth(value, &GroupNames::default())
    }

    #[test]
    fn test_check_drain_timeout() {
        assert_eq!(
            check_drain_timeout(&v("\"45s\"")).unwrap(),
            Duration::from_secs(45)
        );
        assert!(check_drain_timeout(&v("\"0s\"")).is_err());
        assert!(check_drain_timeout(&v("\"1500ms\""))
            .unwrap_err()
            .contains("whole seconds"));
        assert!(check_drain_timeout(&v("\"2h\""))
            .unwrap_err()
            .contains("at most 1h"));
    }

    #[test]
    fn test_check_metrics_keys() {
        assert_eq!(check_metrics_listen("").unwrap(), None);
        assert_eq!(check_metrics_listen(" ").unwrap(), None);
        assert_eq!(
            check_metrics_listen("127.0.0.1:9090").unwrap(),
            Some("127.0.0.1:9090".parse().unwrap())
        );
        assert!(check_metrics_listen("9090").is_err());
        assert_eq!(check_metrics_path("/metrics").unwrap(), "/metrics");
        assert_eq!(
            check_metrics_path("/gh/metrics-1").unwrap(),
            "/gh/metrics-1"
        );
        for bad in ["metrics", "", "/a b", "/a?x=1", "//m", "/m%20"] {
            assert!(check_metrics_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_listen() {
        assert_eq!(check_listen("127.0.0.1:8080").unwrap().port(), 8080);
        assert!(check_listen("[::]:8443").is_ok());
        for bad in ["localhost:8080", "8080", "127.0.0.1", "1.2.3.4:99999"] {
            assert!(check_listen(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_cidr() {
        assert_eq!(check_cidr("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            check_cidr("192.168.1.2").unwrap().to_string(),
            "192.168.1.2/32"
        );
        assert!(check_cidr("10.0.0.0/33").is_err());
        assert!(check_cidr("lan").is_err());
    }

    #[test]
    fn test_check_http_url() {
        assert!(check_http_url("https://plex.tv").is_ok());
        for bad in [
            "ftp://h/",
            "http://",
            "plex.tv",
            "http://h/?q=1",
            "http://h/#x",
            "/relative",
            "http:h",
            "http:///x",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_upstream_with_path() {
        let u = check_upstream("http://127.0.0.1:32400/").unwrap();
        assert_eq!(u.address, "127.0.0.1:32400");
        assert_eq!(u.uri_path.as_deref(), Some("/"));
        assert_eq!(u.sni, "127.0.0.1");
        assert!(!u.tls);
        let u = check_upstream("http://h:8080/app/").unwrap();
        assert_eq!(u.uri_path.as_deref(), Some("/app/"));
    }

    #[test]
    fn test_check_upstream_without_path() {
        let u = check_upstream("http://h:32400").unwrap();
        assert_eq!(u.uri_path, None);
        assert_eq!(u.address, "h:32400");
        assert_eq!((u.proxy_host.as_str(), u.proxy_port), ("h:32400", 32400));
        let u = check_upstream("http://h:80/x").unwrap();
        assert_eq!((u.proxy_host.as_str(), u.proxy_port), ("h", 80));
    }

    #[test]
    fn test_check_upstream_default_ports_and_tls() {
        assert_eq!(
            check_upstream("http://grafana.lan").unwrap().address,
            "grafana.lan:80"
        );
        let u = check_upstream("https://Secure.Example.com/").unwrap();
        assert_eq!(u.address, "secure.example.com:443");
        assert_eq!(u.sni, "secure.example.com");
        assert!(u.tls);
    }

    #[test]
    fn test_check_upstream_ipv6() {
        let u = check_upstream("http://[::1]:9000").unwrap();
        assert_eq!(u.address, "[::1]:9000");
        assert_eq!(u.sni, "::1");
    }

    #[test]
    fn test_check_upstream_rejects_bad() {
        for bad in [
            "127.0.0.1:32400",
            "unix:/tmp/sock",
            "ws://h/",
            "http://user:pw@h/",
            "http:///x",
        ] {
            assert!(check_upstream(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_portal_prefix() {
        assert_eq!(check_portal_prefix("/gatehouse").unwrap(), "/gatehouse");
        for bad in ["gatehouse", "/gatehouse/", "/", "", "/a b"] {
            assert!(check_portal_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_home() {
        assert_eq!(check_home("").unwrap(), None);
        assert_eq!(check_home("/").unwrap().as_deref(), Some("/"));
        assert!(check_home("home").is_err());
    }

    #[test]
    fn test_check_route_path() {
        assert!(check_route_path("/plex/").is_ok());
        assert!(check_route_path("plex/").is_err());
        assert!(check_route_path("").is_err());
    }

    #[test]
    fn test_check_host_pattern() {
        assert!(check_host_pattern("").is_err());
        assert_eq!(
            check_host_pattern("Plex.Example.COM").unwrap().to_string(),
            "plex.example.com"
        );
        assert_eq!(
            check_host_pattern("plex.example.com:443")
                .unwrap()
                .to_string(),
            "plex.example.com"
        );
        assert_eq!(
            check_host_pattern("[::1]:8080").unwrap().to_string(),
            "[::1]"
        );
        assert!(check_host_pattern("bad host").is_err());
        assert!(check_host_pattern("a/b").is_err());
    }

    #[test]
    fn test_check_cookie_prefix() {
        assert!(check_cookie_prefix("gatehouse_session", true, Some(false)).is_ok());
        assert!(check_cookie_prefix("__Host-gatehouse_session", false, Some(true)).is_ok());
        assert!(check_cookie_prefix("__Host-gatehouse_session", true, Some(true)).is_err());
        assert!(check_cookie_prefix("__Host-gatehouse_session", false, Some(false)).is_err());
        assert!(check_cookie_prefix("__Secure-s", true, Some(true)).is_ok());
        assert!(check_cookie_prefix("__Secure-s", false, Some(false)).is_err());
        assert!(check_cookie_prefix("__Host-s", false, None).is_ok());
    }

    #[test]
    fn test_check_cookie_name() {
        assert!(check_cookie_name("gatehouse_session").is_ok());
        for bad in ["", "a b", "a;b", "a=b"] {
            assert!(check_cookie_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_cookie_domain_public_suffix() {
        for bad in [".duckdns.org", ".com", "co.uk", ".co.uk", "com"] {
            let err = check_cookie_domain(bad).unwrap_err();
            assert!(err.contains("public suffix"), "{bad}: {err}");
        }
    }

    #[test]
    fn test_check_cookie_domain_accepted() {
        assert_eq!(check_cookie_domain("").unwrap(), None);
        assert_eq!(
            check_cookie_domain(".example.com").unwrap().as_deref(),
            Some(".example.com")
        );
        assert_eq!(
            check_cookie_domain("Home.Example.co.uk")
                .unwrap()
                .as_deref(),
            Some("home.example.co.uk")
        );
        assert!(check_cookie_domain("me.duckdns.org").is_ok());
        assert!(check_cookie_domain("..example.com").is_err());
        assert!(check_cookie_domain("exa mple.com").is_err());
    }

    #[test]
    fn test_check_login_backend() {
        assert_eq!(check_login_backend("local"), Ok(LoginBackend::Local));
        assert_eq!(check_login_backend("plex"), Ok(LoginBackend::Plex));
        assert!(check_login_backend("ldap").is_err());
    }

    #[test]
    fn test_check_machine_id() {
        assert!(check_machine_id("").is_ok());
        assert!(check_machine_id(
            &"aB3"
                .repeat(13)
                .chars()
                .chain("f".chars())
                .collect::<String>()
        )
        .is_ok());
        assert!(check_machine_id("abc").is_err());
        assert!(check_machine_id(&"g".repeat(40)).is_err());
    }

    #[test]
    fn test_check_group_names_and_numbers() {
        assert_eq!(check_group_(&v("\"user\"")), Ok(4));
        assert_eq!(check_group_(&v("\"power-user\"")), Ok(3));
        assert_eq!(check_group_(&v("7")), Ok(7));
        assert_eq!(check_group_(&v("\"7\"")), Ok(7));
        assert!(check_group_(&v("1000")).is_err());
        assert!(check_group_(&v("-1")).is_err());
        assert!(check_group_(&v("\"wizard\"")).is_err());
        assert!(check_group_(&v("true")).is_err());
    }

    #[test]
    fn test_check_auth() {
        assert_eq!(check_auth_(&v("\"none\"")), Ok(AuthLevel::None));
        assert_eq!(check_auth_(&v("\"admin\"")), Ok(AuthLevel::Group(0)));
        assert_eq!(check_auth_(&v("4")), Ok(AuthLevel::Group(4)));
        assert_eq!(check_auth_(&v("\"guest\"")), Ok(AuthLevel::Group(999)));
        let err = check_auth_(&v("\"users\"")).unwrap_err();
        assert!(err.contains("unknown group"), "{err}");
    }

    #[test]
    fn test_check_header_name() {
        assert_eq!(
            check_header_name("X-WEBAUTH-USER").unwrap().as_str(),
            "x-webauth-user"
        );
        assert!(check_header_name("X WEBAUTH").is_err());
        assert!(check_header_name("").is_err());
    }

    #[test]
    fn test_check_identity_field() {
        assert_eq!(
            check_identity_field(&v("\"group_name\"")),
            Ok(IdentityField::GroupName)
        );
        assert!(check_identity_field(&v("\"name\"")).is_err());
        assert!(check_identity_field(&v("1")).is_err());
    }

    #[test]
    fn test_check_sso_service() {
        assert_eq!(
            check_sso_service(&v("\"tautulli\"")),
            Ok(SsoService::Tautulli)
        );
        assert!(check_sso_service(&v("\"jellyfin\"")).is_err());
    }

    #[test]
    fn test_check_regex() {
        assert!(check_regex("^/web/(.*)").is_ok());
        let err = check_regex("^/web/(.*").unwrap_err();
        assert!(err.starts_with("invalid regex: "), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn test_check_redirect_status() {
        for ok in [301, 302, 303, 307, 308] {
            assert_eq!(check_redirect_status(&v(&ok.to_string())), Ok(ok));
        }
        assert!(check_redirect_status(&v("200")).is_err());
        assert!(check_redirect_status(&v("\"302\"")).is_err());
    }

    #[test]
    fn test_check_size_string_and_integer() {
        assert_eq!(check_size(&v("\"10m\"")), Ok(10 << 20));
        assert_eq!(check_size(&v("4096")), Ok(4096));
        assert!(check_size(&v("\"10q\"")).is_err());
        assert!(check_size(&v("-5")).is_err());
        assert!(check_size(&v("1.5")).is_err());
    }

    #[test]
    fn test_check_duration_string_and_integer() {
        assert_eq!(check_duration(&v("\"240s\"")), Ok(Duration::from_secs(240)));
        assert_eq!(check_duration(&v("240")), Ok(Duration::from_secs(240)));
        assert_eq!(check_duration(&v("\"0s\"")), Ok(Duration::ZERO));
        assert!(check_duration(&v("\"soon\"")).is_err());
        assert!(check_duration(&v("true")).is_err());
    }

    #[test]
    fn test_check_positive_duration() {
        assert!(check_positive_duration(&v("\"0s\"")).is_err());
        assert!(check_positive_duration(&v("0")).is_err());
        assert!(check_positive_duration(&v("\"1s\"")).is_ok());
    }

    #[test]
    fn test_resolve_threads() {
        assert_eq!(resolve_threads(3), 3);
        assert!(resolve_threads(0) >= 1);
    }
}
