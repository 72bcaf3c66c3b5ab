//! Single sign-on into Plex, Ombi and Tautulli (README "Single sign-on"): the server-side half.
//!
//! * [`plex_tv`]: the plex.tv client (password sign-in, token check, friends,
//!   servers, PIN flow) and the owner/friend admission rule.
//! * [`ombi`], [`tautulli`]: one token request each, as Organizr makes them
//!   (plus Tautulli ≥ 2.17.1's API-key / CSRF rule).
//! * [`fetch`]: every enabled service at login, concurrently, each under its
//!   own timeout; never fails as a whole.
//! * [`debug`]: the data of `{portal}/admin/sso`.
//! * [`inject`]: the upstream `Cookie` for Tautulli routes.
//! * [`tokens`]: what a session keeps.
//!
//! Nothing here knows Pingora; every call is plain async Rust over reqwest.
//! No function logs or displays a password, token or cookie value.

pub mod debug;
pub mod fetch;
pub mod inject;
pub mod ombi;
pub mod plex_tv;
pub mod tautulli;
mod xml;

use std::time::Duration;

use url::Url;

/// Connect timeout of every outbound SSO call (Organizr's value).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Cookie holding the Plex token (Organizr's name; Plex Web's JS reads it).
pub const PLEX_COOKIE: &str = "mpt";

/// Cookie holding the Ombi JWT (read by Ombi's `/auth/cookie` page).
pub const OMBI_COOKIE: &str = "Auth";

/// Prefix of Tautulli's JWT cookie: `tautulli_token_<uuid>`.
pub const TAUTULLI_COOKIE_PREFIX: &str = "tautulli_token_";

/// `User-Agent` of every outbound call.
pub const USER_AGENT: &str = concat!("gatehouse/", env!("CARGO_PKG_VERSION"));

/// Why one Ombi or Tautulli token request failed. Never carries a secret:
/// URLs are shown without user-info or query.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The service is enabled but a needed setting is empty.
    #[error("{service}: {what} is not configured")]
    NotConfigured {
        service: &'static str,
        what: &'static str,
    },
    /// No usable credentials for this user (no password and no Plex token).
    #[error("{0}: no password or Plex token to sign in with")]
    NoCredentials(&'static str),
    /// 401: wrong credentials, or no account maps to the Plex token.
    #[error("{0} refused the credentials (401)")]
    Unauthorized(String),
    /// 403: Tautulli ≥ 2.17.1 without a valid CSRF token or API key.
    #[error("{0} refused the request (403): CSRF token or API key missing or wrong")]
    Forbidden(String),
    /// 429, with `Retry-After` seconds when sent.
    #[error("{url} is rate limiting sign-ins (429{})", retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited {
        url: String,
        retry_after: Option<u64>,
    },
    /// No answer within the time allowed.
    #[error("{0} did not answer in time")]
    Timeout(String),
    /// Connection refused, reset, DNS or TLS failure.
    #[error("{0} is unreachable")]
    Unreachable(String),
    /// Any other HTTP status.
    #[error("{url} answered HTTP {status}")]
    Unexpected { url: String, status: u16 },
    /// A 2xx reply without the expected fields.
    #[error("{url} sent an unexpected reply: {what}")]
    BadReply { url: String, what: &'static str },
    /// The HTTP client could not be built (TLS backend).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl SsoError {
    /// The short status recorded in a `FetchResult`: `401`, `403`, `429`,
    /// `timeout`, `unreachable`, the HTTP status, `bad-reply`, `not-configured`.
    pub fn status(&self) -> String {
        match self {
            SsoError::NotConfigured { .. } => "not-configured".into(),
            SsoError::NoCredentials(_) => "no-credentials".into(),
            SsoError::Unauthorized(_) => "401".into(),
            SsoError::Forbidden(_) => "403".into(),
            SsoError::RateLimited { .. } => "429".into(),
            SsoError::Timeout(_) => "timeout".into(),
            SsoError::Unreachable(_) => "unreachable".into(),
            SsoError::Unexpected { status, .. } => status.to_string(),
            SsoError::BadReply { .. } => "bad-reply".into(),
            SsoError::Client(_) => "error".into(),
        }
    }

    /// Whether the service answered and said no (as opposed to being down or slow).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            SsoError::Unauthorized(_)
                | SsoError::Forbidden(_)
                | SsoError::Unexpected { .. }
                | SsoError::BadReply { .. }
        )
    }
}

/// The shared client for Ombi and Tautulli calls: connect timeout 5 s, no
/// redirects followed (a redirect on a sign-in is an error to report), no
/// overall timeout (callers wrap each service in `tokio::time::timeout`).
pub fn http_client() -> Result<reqwest::Client, SsoError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| SsoError::Client(e.to_string()))
}

/// A URL as it may appear in messages: scheme, host, port and path only.
pub fn safe_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// `base` (without trailing `/`) joined with `path` (starting with `/`).
pub(crate) fn join(base: &Url, path: &str) -> String {
    format!("{}{}", base.as_str().trim_end_matches('/'), path)
}

/// Maps a transport error (no HTTP answer) to `Timeout` or `Unreachable`.
pub(crate) fn transport_error(e: &reqwest::Error, shown_url: &str) -> SsoError {
    if e.is_timeout() {
        SsoError::Timeout(shown_url.to_string())
    } else {
        SsoError::Unreachable(shown_url.to_string())
    }
}

/// Reads at most `limit` bytes of a reply body (lossy UTF-8); the rest is dropped.
pub(crate) async fn body_text(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<String, reqwest::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= limit {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Largest reply body read from any service (plex.tv friend lists included).
pub(crate) const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// `Retry-After` in seconds, when the header holds a number.
pub(crate) fn retry_after(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_safe_url_strips_userinfo_and_query() {
        let u = Url::parse("http://bob:secret@ombi.lan:3579/ombi?apikey=k#x").unwrap();
        assert_eq!(safe_url(&u), "http://ombi.lan:3579/ombi");
    }

    #[test]
    fn test_join_trims_trailing_slash() {
        let u = Url::parse("http://t.lan:8181/tautulli/").unwrap();
        assert_eq!(
            join(&u, "/auth/signin"),
            "http://t.lan:8181/tautulli/auth/signin"
        );
        let u = Url::parse("http://t.lan:8181").unwrap();
        assert_eq!(join(&u, "/auth/signin"), "http://t.lan:8181/auth/signin");
    }

    #[test]
    fn test_sso_error_status_and_message() {
        let e = SsoError::RateLimited {
            url: "http://t/".into(),
            retry_after: Some(30),
        };
        assert_eq!(e.status(), "429");
        assert_eq!(
            e.to_string(),
            "http://t/ is rate limiting sign-ins (429, retry after 30 s)"
        );
        assert!(SsoError::Unauthorized("u".into()).is_refusal());
        assert!(!SsoError::Timeout("u".into()).is_refusal());
    }
}
