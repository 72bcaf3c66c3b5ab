//! Ombi token request (docs/docs/upstreams.md §2.2).
//!
//! With the user's Plex token: `POST {url}/api/v1/Token/plextoken`
//! `{"plexToken": T}`; otherwise `POST {url}/api/v1/Token` with the username
//! and password. Either answers `{"access_token", "expiration"}` or 401 with
//! an empty body. When Ombi refuses (it answered, but no token) and both
//! `fallback_user` and `fallback_password` are set, the password path is tried
//! once more with the fallback account, as Organizr does. A service that is
//! down or slow is not retried: the second try would fail the same way and
//! only eat into the login's time budget.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::json;

use crate::config::SsoOmbi;
use crate::sso::{body_text, join, retry_after, safe_url, transport_error, SsoError};

/// Time allowed for the debug page's API-key check.
pub const API_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// The endpoint used to validate the API key: admin-only, so Ombi's
/// `ApiKeyMiddleware` must accept the key for a 200 (a wrong key gives 401
/// `Invalid API Key` on every `/api/*` path).
pub const API_CHECK_PATH: &str = "/api/v1/Settings/about";

const BODY_LIMIT: usize = 64 * 1024;

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    access_token: Option<String>,
}

/// Fetches an Ombi `access_token` for this user (cookie `Auth`).
pub async fn fetch_token(
    client: &reqwest::Client,
    cfg: &SsoOmbi,
    username: &str,
    password: Option<&str>,
    plex_token: Option<&str>,
    client_ip: IpAddr,
) -> Result<String, SsoError> {
    let base = cfg.url.as_ref().ok_or(SsoError::NotConfigured {
        service: "ombi",
        what: "[sso.ombi] url",
    })?;
    let first = match (plex_token.filter(|t| !t.is_empty()), password) {
        (Some(token), _) => {
            let body = json!({ "plexToken": token });
            request(client, base, "/api/v1/Token/plextoken", &body, client_ip).await
        }
        (None, Some(pw)) => password_token(client, base, username, pw, client_ip).await,
        (None, None) => Err(SsoError::NoCredentials("ombi")),
    };
    let fallback = !cfg.fallback_user.is_empty() && !cfg.fallback_password.is_empty();
    match first {
        Err(e) if fallback && (e.is_refusal() || matches!(e, SsoError::NoCredentials(_))) => {
            tracing::info!(status = %e.status(), "ombi refused the user; trying the fallback user");
            password_token(
                client,
                base,
                &cfg.fallback_user,
                &cfg.fallback_password,
                client_ip,
            )
            .await
        }
        other => other,
    }
}

/// Whether `[sso.ombi] api_key` is accepted by Ombi (`GET` [`API_CHECK_PATH`]
/// with header `ApiKey`). `false` when the URL or key is not configured, or
/// Ombi is unreachable.
pub async fn check_api_key(client: &reqwest::Client, cfg: &SsoOmbi) -> bool {
    let Some(base) = cfg.url.as_ref() else {
        return false;
    };
    if cfg.api_key.is_empty() {
        return false;
    }
    let req = client
        .get(join(base, API_CHECK_PATH))
        .header("ApiKey", &cfg.api_key)
        .header(ACCEPT, "application/json")
        .timeout(API_CHECK_TIMEOUT);
    matches!(req.send().await, Ok(r) if r.status().is_success())
}

async fn password_token(
    client: &reqwest::Client,
    base: &url::Url,
    username: &str,
    password: &str,
    client_ip: IpAddr,
) -> Result<String, SsoError> {
    let body = json!({
        "username": username,
        "password": password,
        "rememberMe": true,
        "usePlexAdminAccount": false,
        "usePlexOAuth": false,
        "plexTvPin": null,
    });
    request(client, base, "/api/v1/Token", &body, client_ip).await
}

async fn request(
    client: &reqwest::Client,
    base: &url::Url,
    path: &str,
    body: &serde_json::Value,
    client_ip: IpAddr,
) -> Result<String, SsoError> {
    let shown = format!("ombi {}{path}", safe_url(base).trim_end_matches('/'));
    let resp = client
        .post(join(base, path))
        .header(ACCEPT, "application/json")
        .header("X-Forwarded-For", client_ip.to_string())
        .json(body)
        .send()
        .await
        .map_err(|e| transport_error(&e, &shown))?;
    let status = resp.status().as_u16();
    match status {
        200 => {
            let text = body_text(resp, BODY_LIMIT)
                .await
                .map_err(|e| transport_error(&e, &shown))?;
            serde_json::from_str::<TokenReply>(&text)
                .ok()
                .and_then(|r| r.access_token)
                .filter(|t| !t.is_empty())
                .ok_or(SsoError::BadReply {
                    url: shown,
                    what: "no access_token",
                })
        }
        401 => Err(SsoError::Unauthorized(shown)),
        403 => Err(SsoError::Forbidden(shown)),
        429 => Err(SsoError::RateLimited {
            retry_after: retry_after(&resp),
            url: shown,
        }),
        status => Err(SsoError::Unexpected { url: shown, status }),
    }
}
