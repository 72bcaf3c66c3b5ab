//! Tautulli sign-in for one instance (docs/docs/upstreams.md §2.3).
//!
//! `POST {url}/auth/signin`, form `username, password, token, remember_me=1`.
//! Since Tautulli 2.17.1 every non-API POST needs either `X-Api-Key` (Tautulli's
//! API key) or the CherryPy session's CSRF token: with `[sso.tautulli] api_key`
//! set we send the key; otherwise we first `GET {url}/auth/login`, keep its
//! `tautulli_session_*` cookie and `<meta name="csrf-token">`, and send both.
//! Older Tautulli (≤ 2.16) sets neither and accepts the plain POST, which is
//! what we then send. The reply `{"status":"success","token","uuid"}` becomes a
//! [`TautulliToken`] (cookie `tautulli_token_<uuid>` on the instance's path).

use std::net::IpAddr;

use reqwest::header::{ACCEPT, COOKIE, SET_COOKIE};
use serde::Deserialize;
use url::Url;

use crate::config::SsoTautulli;
use crate::sso::{body_text, join, retry_after, safe_url, transport_error, xml, SsoError};
use crate::tokens::TautulliToken;

/// Prefix of the CherryPy session cookie Tautulli ≥ 2.17.1 sets.
pub const SESSION_COOKIE_PREFIX: &str = "tautulli_session_";

const BODY_LIMIT: usize = 512 * 1024;

/// What the login page gave us for the CSRF rule (both may be absent on old
/// Tautulli).
#[derive(Default)]
struct Csrf {
    /// `name=value` of the session cookie.
    cookie: Option<String>,
    token: Option<String>,
}

#[derive(Deserialize)]
struct SigninReply {
    #[serde(default)]
    status: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    uuid: String,
}

/// Signs this user in to the instance at `url`.
pub async fn sign_in(
    client: &reqwest::Client,
    cfg: &SsoTautulli,
    url: &Url,
    username: &str,
    password: Option<&str>,
    plex_token: Option<&str>,
    client_ip: IpAddr,
) -> Result<TautulliToken, SsoError> {
    let shown = format!("tautulli {}", safe_url(url));
    let form = [
        ("username", username),
        ("password", password.unwrap_or("")),
        ("token", plex_token.unwrap_or("")),
        ("remember_me", "1"),
    ];
    let mut req = client
        .post(join(url, "/auth/signin"))
        .header(ACCEPT, "application/json")
        .header("X-Forwarded-For", client_ip.to_string())
        .form(&form);
    if cfg.api_key.is_empty() {
        let csrf = login_page(client, url, &shown).await?;
        if let Some(c) = csrf.cookie {
            req = req.header(COOKIE, c);
        }
        if let Some(t) = csrf.token {
            req = req.header("X-CSRF-Token", t);
        }
    } else {
        req = req.header("X-Api-Key", &cfg.api_key);
    }
    let resp = req.send().await.map_err(|e| transport_error(&e, &shown))?;
    match resp.status().as_u16() {
        200 => {}
        401 => return Err(SsoError::Unauthorized(shown)),
        403 => return Err(SsoError::Forbidden(shown)),
        429 => {
            return Err(SsoError::RateLimited {
                retry_after: retry_after(&resp),
                url: shown,
            })
        }
        status => return Err(SsoError::Unexpected { url: shown, status }),
    }
    let text = body_text(resp, BODY_LIMIT)
        .await
        .map_err(|e| transport_error(&e, &shown))?;
    let bad = |what| SsoError::BadReply {
        url: shown.clone(),
        what,
    };
    let reply: SigninReply = serde_json::from_str(&text).map_err(|_| bad("not JSON"))?;
    if reply.status != "success" {
        return Err(bad("status is not success"));
    }
    if !cookie_name_safe(&reply.uuid) {
        return Err(bad("missing or unusable uuid"));
    }
    if !cookie_value_safe(&reply.token) {
        return Err(bad("missing or unusable token"));
    }
    Ok(TautulliToken {
        url: url.as_str().to_string(),
        authority: authority(url),
        uuid: reply.uuid,
        token: reply.token,
        path: cookie_path(url),
    })
}

/// `GET {url}/auth/login`: the session cookie and CSRF token, when present.
async fn login_page(client: &reqwest::Client, url: &Url, shown: &str) -> Result<Csrf, SsoError> {
    let resp = client
        .get(join(url, "/auth/login"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .map_err(|e| transport_error(&e, shown))?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(SsoError::Unexpected {
            url: shown.to_string(),
            status,
        });
    }
    let cookie = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .find(|nv| nv.starts_with(SESSION_COOKIE_PREFIX) && nv.contains('='))
        .map(str::to_string);
    let page = body_text(resp, BODY_LIMIT)
        .await
        .map_err(|e| transport_error(&e, shown))?;
    Ok(Csrf {
        cookie,
        token: csrf_meta(&page),
    })
}

/// The `content` of `<meta name="csrf-token" content="...">` in an HTML page.
pub fn csrf_meta(page: &str) -> Option<String> {
    let lower = page.to_ascii_lowercase();
    lower.match_indices("<meta").find_map(|(i, _)| {
        let (tag, _) = xml::parse_tag(&page[i..])?;
        let named = tag
            .attrs
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("name") && v.eq_ignore_ascii_case("csrf-token"));
        let content = tag
            .attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content"))
            .map(|(_, v)| v.to_string());
        content.filter(|c| named && !c.is_empty() && cookie_value_safe(c))
    })
}

/// `host:port` of an instance URL (port made explicit).
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// Cookie Path for an instance: its URL path without trailing `/`, or `/`.
pub fn cookie_path(url: &Url) -> String {
    let p = url.path().trim_end_matches('/');
    if p.is_empty() {
        "/".to_string()
    } else {
        p.to_string()
    }
}

fn cookie_name_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn cookie_value_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 4096
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_csrf_meta_found_in_html_with_scripts() {
        let page = r#"<html><head><script>if (a < b && c) {}</script>
            <META content="Uxl9&amp;x" name="csrf-token"><meta name="viewport" content="w"></head>"#;
        assert_eq!(csrf_meta(page).as_deref(), Some("Uxl9&x"));
        assert_eq!(
            csrf_meta("<html><meta name=\"other\" content=\"x\"></html>"),
            None
        );
    }

    #[test]
    fn test_authority_and_cookie_path() {
        let u = Url::parse("http://t.lan:8181/tautulli/").unwrap();
        assert_eq!(authority(&u), "t.lan:8181");
        assert_eq!(cookie_path(&u), "/tautulli");
        let u = Url::parse("https://t.example.com").unwrap();
        assert_eq!(authority(&u), "t.example.com:443");
        assert_eq!(cookie_path(&u), "/");
    }

    #[test]
    fn test_cookie_safety_checks() {
        assert!(cookie_name_safe("233a582d90"));
        assert!(!cookie_name_safe("a=b"));
        assert!(!cookie_name_safe(""));
        assert!(cookie_value_safe("eyJhbGci.x-y_z"));
        assert!(!cookie_value_safe("a;b"));
        assert!(!cookie_value_safe("a b"));
    }
}
