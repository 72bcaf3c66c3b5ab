//! `[acme]`: automatic certificates from an ACME CA (Let's Encrypt by
//! default). Read after `[server]` and the routes, because its checks need
//! both: an enabled `[acme]` needs an e-mail, at least one domain, a TLS
//! listener, and (for http-01) a plain listener.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::file::{as_str, boolean, string, At, Cx, Section};
use super::locate::Spot;
use super::model::{Acme, AcmeChallenge, Route, Server};
use super::validate::{check_duration, check_http_url, check_positive_duration};

/// `[acme] directory`.
pub const DEFAULT_ACME_DIRECTORY: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// `[acme] renew_before`.
pub const DEFAULT_ACME_RENEW_BEFORE: Duration = Duration::from_secs(30 * 86_400);

/// Reads `[acme]` (an absent table is a disabled one).
pub fn read_acme(
    cx: &mut Cx<'_>,
    mut sec: Section<'_>,
    server: Option<&Server>,
    routes: &[Route],
) -> Option<Acme> {
    let enabled = sec.get(cx, "enabled", boolean);
    let email = sec.get(cx, "email", |v| as_str(v).and_then(check_email));
    let directory = sec.get(cx, "directory", |v| as_str(v).and_then(check_directory));
    let ca_roots = sec.get(cx, "ca_roots", |v| as_str(v).and_then(check_ca_roots));
    let challenge = sec.get(cx, "challenge", |v| as_str(v).and_then(check_challenge));
    let errors_before = cx.errors.len();
    let domains_at = sec.list(cx, "domains", true, |v| as_str(v).and_then(check_domain));
    let domains_bad = cx.errors.len() > errors_before;
    let renew_before = sec.get(cx, "renew_before", check_positive_duration);
    let dns_hook = sec.get(cx, "dns_hook", string);
    let dns_wait = sec.get(cx, "dns_wait", check_duration);

    let on = enabled.as_ref().is_some_and(|a| a.value);
    let kind = challenge
        .as_ref()
        .map_or(AcmeChallenge::Http01, |a| a.value);
    let domains_spot = domains_at.as_ref().map(|a| a.spot.clone());
    let written: Option<Vec<At<String>>> = domains_at.map(|a| a.value);
    let domains = match &written {
        Some(list) => list.iter().map(|a| a.value.clone()).collect(),
        None => default_domains(server, routes),
    };
    let hook = dns_hook
        .as_ref()
        .map(|a| a.value.trim().to_owned())
        .filter(|h| !h.is_empty());
    if on {
        let mut need = |key: &str, at: Option<&Spot>, reason: &str| match at {
            Some(spot) => cx.report(spot, reason),
            None => sec.report_missing(cx, key, reason),
        };
        let enabled_spot = enabled.as_ref().map(|a| &a.spot);
        if email.as_ref().is_none_or(|a| a.value.is_empty()) {
            need(
                "email",
                email.as_ref().map(|a| &a.spot),
                "required when acme is enabled (the CA's account contact)",
            );
        }
        if domains.is_empty() && !domains_bad {
            need(
                "domains",
                domains_spot.as_ref(),
                "no domains: list them, or give routes a host (public_url's host counts when it is a name)",
            );
        }
        if server.is_some_and(|s| s.tls_listen.is_empty()) {
            need(
                "enabled",
                enabled_spot,
                "needs a TLS listener to serve the certificates: set server.tls_listen",
            );
        }
        let challenge_spot = challenge.as_ref().map(|a| &a.spot);
        if kind == AcmeChallenge::Http01 && server.is_some_and(|s| s.listen.is_empty()) {
            need(
                "challenge",
                challenge_spot,
                "http-01 needs a plain listener (server.listen; port 80 in production)",
            );
        }
        if kind == AcmeChallenge::Dns01 && hook.is_none() {
            need(
                "dns_hook",
                dns_hook.as_ref().map(|a| &a.spot),
                "required for challenge = \"dns-01\"",
            );
        }
        if kind != AcmeChallenge::Dns01 {
            for at in written.iter().flatten() {
                if at.value.starts_with("*.") {
                    cx.report(&at.spot, "a wildcard name needs challenge = \"dns-01\"");
                }
            }
        }
    }
    sec.finish(cx);
    let directory = match directory {
        Some(at) => at.value,
        None => Url::parse(DEFAULT_ACME_DIRECTORY).ok()?,
    };
    Some(Acme {
        enabled: on,
        email: email.map(|a| a.value).unwrap_or_default(),
        directory,
        ca_roots: ca_roots.and_then(|a| a.value),
        challenge: kind,
        domains,
        renew_before: renew_before.map_or(DEFAULT_ACME_RENEW_BEFORE, |a| a.value),
        dns_hook: hook.map(PathBuf::from),
        dns_wait: dns_wait.map_or(Duration::ZERO, |a| a.value),
    })
}

/// Every route's exact `host` names plus `public_url`'s host, when they are
/// DNS names (not IP addresses, not `localhost`), in file order without
/// repeats. Host patterns (`*.example.com`, `sonarr.*`) are not names a
/// certificate can be ordered for by default: list wildcards in `domains`.
pub fn default_domains(server: Option<&Server>, routes: &[Route]) -> Vec<String> {
    let public = server.and_then(|s| s.public_url.host_str().map(str::to_owned));
    let exact = routes.iter().flat_map(|r| {
        r.hosts.iter().filter_map(|h| match h {
            super::hosts::HostPattern::Exact(name) => Some(name.clone()),
            _ => None,
        })
    });
    let mut out: Vec<String> = Vec::new();
    for name in exact.chain(public) {
        let name = name.to_ascii_lowercase();
        if check_domain(&name).is_ok() && name != "localhost" && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// An account contact: `name@host`, no spaces.
fn check_email(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    let ok = t
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        && !t
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',');
    if ok {
        Ok(t.to_owned())
    } else {
        Err("expected an e-mail address like you@example.com".to_owned())
    }
}

/// The directory: an https URL (RFC 8555 §6.1).
fn check_directory(text: &str) -> Result<Url, String> {
    let url = check_http_url(text)?;
    if url.scheme() != "https" {
        return Err("an ACME directory must be an https:// URL".to_owned());
    }
    Ok(url)
}

/// `ca_roots`: `""`, or a readable file with at least one PEM certificate.
fn check_ca_roots(text: &str) -> Result<Option<PathBuf>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let path = PathBuf::from(text.trim());
    let pem = std::fs::read(&path).map_err(|e| format!("cannot read: {e}"))?;
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    match CertificateDer::pem_slice_iter(&pem).next() {
        Some(Ok(_)) => Ok(Some(path)),
        _ => Err("no PEM certificate in this file".to_owned()),
    }
}

fn check_challenge(text: &str) -> Result<AcmeChallenge, String> {
    match text {
        "http-01" => Ok(AcmeChallenge::Http01),
        "tls-alpn-01" => Ok(AcmeChallenge::TlsAlpn01),
        "dns-01" => Ok(AcmeChallenge::Dns01),
        _ => Err("expected \"http-01\", \"tls-alpn-01\" or \"dns-01\"".to_owned()),
    }
}

/// A certificate name: a DNS name (optionally `*.` + a name), lowercased.
pub fn check_domain(text: &str) -> Result<String, String> {
    let lower = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let bare = lower.strip_prefix("*.").unwrap_or(&lower);
    if bare.parse::<std::net::IpAddr>().is_ok() || bare.starts_with('[') {
        return Err("IP addresses are not supported: expected a DNS name".to_owned());
    }
    let valid = !bare.is_empty()
        && bare.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid {
        Ok(lower)
    } else {
        Err("expected a DNS name like home.example.com (or *.example.com with dns-01)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_check_domain() {
        assert_eq!(
            check_domain("Plex.Example.COM").unwrap(),
            "plex.example.com"
        );
        assert_eq!(check_domain("*.example.com").unwrap(), "*.example.com");
        assert_eq!(check_domain("a.test.").unwrap(), "a.test");
        for bad in [
            "",
            "127.0.0.1",
            "[::1]",
            "a..b",
            "-a.b",
            "a b",
            "*.",
            "a.*.b",
            "x/y",
        ] {
            assert!(check_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_email() {
        assert_eq!(check_email(" me@example.com ").unwrap(), "me@example.com");
        assert_eq!(check_email("").unwrap(), "");
        for bad in ["me", "@example.com", "me@host", "a b@example.com"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_check_directory_needs_https() {
        assert!(check_directory("https://acme.example/dir").is_ok());
        assert!(check_directory("http://acme.example/dir").is_err());
    }

    fn errs(text: &str) -> Vec<String> {
        match crate::config::parse(std::path::Path::new("t.toml"), text) {
            Ok(_) => panic!("expected errors for:\n{text}"),
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    const TLS: &str = "[server]\ntls_listen = [\"127.0.0.1:8443\"]\n";

    #[test]
    fn test_acme_absent_is_disabled_with_defaults() {
        let c = crate::config::parse(std::path::Path::new("t.toml"), "").unwrap();
        assert!(!c.acme.enabled);
        assert_eq!(c.acme.directory.as_str(), DEFAULT_ACME_DIRECTORY);
        assert_eq!(c.acme.challenge, AcmeChallenge::Http01);
        assert_eq!(c.acme.renew_before, DEFAULT_ACME_RENEW_BEFORE);
        assert!(c.acme.domains.is_empty(), "public_url's host is an IP");
        assert!(!c.server.redirect_https && c.server.hsts.is_none());
    }

    #[test]
    fn test_acme_default_domains_from_routes_and_public_url() {
        let text = format!(
            "{TLS}public_url = \"https://Home.Example.com\"\nredirect_https = true\nhsts = \"365d\"\n\
             [acme]\nenabled = true\nemail = \"me@example.com\"\n\
             [[route]]\nname = \"a\"\npath = \"/\"\nhost = \"plex.example.com\"\nupstream = [\"http://127.0.0.1:1/\"]\n\
             [[route]]\nname = \"b\"\npath = \"/b/\"\nhost = \"home.example.com\"\nupstream = [\"http://127.0.0.1:1/\"]\n"
        );
        let c = crate::config::parse(std::path::Path::new("t.toml"), &text).unwrap();
        assert_eq!(c.acme.domains, vec!["plex.example.com", "home.example.com"]);
        assert!(c.server.redirect_https);
        assert_eq!(c.server.hsts, Some(Duration::from_secs(365 * 86_400)));
    }

    #[test]
    fn test_acme_enabled_needs_email_domains_and_tls() {
        let e = errs("[acme]\nenabled = true\n");
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(
            e.iter()
                .any(|l| l.starts_with("t.toml:1: acme.email: required")),
            "{e:#?}"
        );
        assert!(
            e.iter()
                .any(|l| l.starts_with("t.toml:1: acme.domains: no domains")),
            "{e:#?}"
        );
        assert!(
            e.iter().any(
                |l| l.starts_with("t.toml:2: acme.enabled: needs a TLS listener")
                    && l.ends_with("(true)")
            ),
            "{e:#?}"
        );
    }

    #[test]
    fn test_acme_http01_needs_a_plain_listener() {
        let text = format!(
            "{TLS}listen = []\n[acme]\nenabled = true\nemail = \"me@example.com\"\n\
             domains = [\"a.example.com\"]\nchallenge = \"http-01\"\n"
        );
        let e = errs(&text);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(
            e[0].starts_with("t.toml:8: acme.challenge: http-01 needs a plain listener"),
            "{e:#?}"
        );
        assert!(e[0].ends_with("(\"http-01\")"), "{e:#?}");
    }

    #[test]
    fn test_acme_bad_values_with_lines() {
        let text = format!(
            "{TLS}[acme]\nenabled = true\nemail = \"nobody\"\ndirectory = \"http://ca.example/dir\"\n\
             challenge = \"tls-alpn-02\"\ndomains = [\"ok.example.com\", \"10.0.0.1\", \"*.example.com\"]\n\
             renew_before = \"0s\"\nca_roots = \"/nonexistent/roots.pem\"\nsurprise = 1\n"
        );
        let e = errs(&text);
        let has = |prefix: &str| e.iter().any(|l| l.starts_with(prefix));
        assert!(
            has("t.toml:5: acme.email: expected an e-mail address"),
            "{e:#?}"
        );
        assert!(
            has("t.toml:6: acme.directory: an ACME directory must be an https:// URL"),
            "{e:#?}"
        );
        assert!(has("t.toml:7: acme.challenge: expected"), "{e:#?}");
        assert!(
            has("t.toml:8: acme.domains[1]: IP addresses are not supported"),
            "{e:#?}"
        );
        assert!(
            has("t.toml:9: acme.renew_before: must be greater than zero"),
            "{e:#?}"
        );
        assert!(has("t.toml:10: acme.ca_roots: cannot read"), "{e:#?}");
        assert!(has("t.toml:11: acme.surprise: unknown key"), "{e:#?}");
    }

    #[test]
    fn test_acme_wildcards_need_dns01_and_dns01_needs_a_hook() {
        let base = format!(
            "{TLS}[acme]\nenabled = true\nemail = \"me@example.com\"\ndomains = [\"*.example.com\"]\n"
        );
        let e = errs(&base);
        assert!(
            e.iter()
                .any(|l| l.starts_with("t.toml:6: acme.domains[0]: a wildcard name needs")),
            "{e:#?}"
        );
        let e = errs(&format!("{base}challenge = \"dns-01\"\n"));
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(
            e[0].starts_with("t.toml:3: acme.dns_hook: required for challenge"),
            "{e:#?}"
        );
        let ok = format!("{base}challenge = \"dns-01\"\ndns_hook = \"/usr/local/bin/hook\"\ndns_wait = \"30s\"\n");
        let c = crate::config::parse(std::path::Path::new("t.toml"), &ok).unwrap();
        assert_eq!(c.acme.dns_wait, Duration::from_secs(30));
        assert_eq!(
            c.acme.dns_hook.as_deref(),
            Some(std::path::Path::new("/usr/local/bin/hook"))
        );
    }

    #[test]
    fn test_check_challenge_names() {
        assert_eq!(check_challenge("dns-01"), Ok(AcmeChallenge::Dns01));
        assert_eq!(AcmeChallenge::TlsAlpn01.as_str(), "tls-alpn-01");
        assert!(check_challenge("http01").is_err());
    }
}
