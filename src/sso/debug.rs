//! The data of `{portal}/admin/sso` (Organizr's debug area, done correctly).
//!
//! Per service the five flags of Organizr's debug area:
//! * `enabled`: the `[sso.*]` switch;
//! * `cookie`: the current request carried the service's cookie (`mpt`,
//!   `Auth`); for Tautulli — whose cookies are path-scoped and so rarely sent
//!   to the portal — whether the session holds a token for every configured
//!   instance (Organizr's check read config keys and was always false);
//! * `url`: the service URL is configured (the config model only holds URLs
//!   that parsed);
//! * `api`: the key is configured — and for Ombi, accepted by Ombi (live check);
//! * `backend`: `[login] backend = "plex"`.
//!
//! plus the session's last fetch results. Rendering is the portal's job.

use serde::Serialize;

use crate::config::{Config, LoginBackend, Plex, Sso};
use crate::sso::{ombi, safe_url, OMBI_COOKIE, PLEX_COOKIE};
use crate::tokens::{FetchResult, SsoTokens};

/// Organizr's five flags for one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ServiceFlags {
    pub enabled: bool,
    pub cookie: bool,
    pub url: bool,
    pub api: bool,
    pub backend: bool,
}

/// Extra Plex facts (Organizr's `machineID`, `token`, `plexAdmin`, `strict`, `oAuthEnabled`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlexDetails {
    /// `[plex] machine_id` is 40 hex digits.
    pub machine_id: bool,
    /// `[plex] token` is set.
    pub token: bool,
    /// How `[plex] admin` is given: `email`, `username`, or `none`.
    pub admin: &'static str,
    pub strict_friends: bool,
    pub oauth: bool,
}

/// One configured Tautulli instance and whether the session holds its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TautulliInstance {
    /// The instance URL without user-info or query.
    pub url: String,
    pub token: bool,
}

/// Everything the debug page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsoDebug {
    pub plex: ServiceFlags,
    pub ombi: ServiceFlags,
    pub tautulli: ServiceFlags,
    pub plex_details: PlexDetails,
    pub tautulli_instances: Vec<TautulliInstance>,
    /// The session's last token fetch, per service.
    pub results: Vec<FetchResult>,
}

/// The configuration the page reports on (`Settings::from_config`).
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub backend: LoginBackend,
    pub plex: &'a Plex,
    pub sso: &'a Sso,
}

impl<'a> Settings<'a> {
    /// The parts of `config` the page needs.
    pub fn from_config(config: &'a Config) -> Self {
        Settings {
            backend: config.login.backend,
            plex: &config.plex,
            sso: &config.sso,
        }
    }
}

/// Builds the page data, checking the Ombi API key live when Ombi SSO is
/// enabled. `cookie_header` is the request's `Cookie` header, if any.
pub async fn collect(
    client: &reqwest::Client,
    settings: Settings<'_>,
    tokens: &SsoTokens,
    cookie_header: Option<&[u8]>,
) -> SsoDebug {
    let ombi = &settings.sso.ombi;
    let ombi_api_ok = ombi.enabled && ombi::check_api_key(client, ombi).await;
    let has = |name: &str| cookie_header.is_some_and(|h| cookie_present(h, name));
    flags(settings, tokens, &has, ombi_api_ok)
}

/// The page data from already known facts (pure; `collect` adds the live check).
pub fn flags(
    settings: Settings<'_>,
    tokens: &SsoTokens,
    has_cookie: &dyn Fn(&str) -> bool,
    ombi_api_ok: bool,
) -> SsoDebug {
    let backend = settings.backend == LoginBackend::Plex;
    let sso = settings.sso;
    let plex = settings.plex;
    let web = |u: &url::Url| matches!(u.scheme(), "http" | "https") && u.host().is_some();
    let instances: Vec<TautulliInstance> = sso
        .tautulli
        .urls
        .iter()
        .map(|u| TautulliInstance {
            url: safe_url(u),
            token: tokens.tautulli.iter().any(|t| t.url == u.as_str()),
        })
        .collect();
    SsoDebug {
        plex: ServiceFlags {
            enabled: sso.plex.enabled,
            cookie: has_cookie(PLEX_COOKIE),
            url: web(&plex.api_url),
            api: !plex.token.is_empty(),
            backend,
        },
        ombi: ServiceFlags {
            enabled: sso.ombi.enabled,
            cookie: has_cookie(OMBI_COOKIE),
            url: sso.ombi.url.as_ref().is_some_and(web),
            api: !sso.ombi.api_key.is_empty() && ombi_api_ok,
            backend,
        },
        tautulli: ServiceFlags {
            enabled: sso.tautulli.enabled,
            cookie: !instances.is_empty() && instances.iter().all(|i| i.token),
            url: !sso.tautulli.urls.is_empty() && sso.tautulli.urls.iter().all(web),
            api: !sso.tautulli.api_key.is_empty(),
            backend,
        },
        plex_details: PlexDetails {
            machine_id: plex.machine_id.len() == 40
                && plex.machine_id.bytes().all(|b| b.is_ascii_hexdigit()),
            token: !plex.token.is_empty(),
            admin: if plex.admin.is_empty() {
                "none"
            } else if plex.admin.contains('@') {
                "email"
            } else {
                "username"
            },
            strict_friends: plex.strict_friends,
            oauth: plex.oauth,
        },
        tautulli_instances: instances,
        results: tokens.results.clone(),
    }
}

/// Whether a `Cookie` header (`a=1; b=2`) holds a cookie named exactly `name`.
pub fn cookie_present(header: &[u8], name: &str) -> bool {
    header.split(|&b| b == b';').any(|pair| {
        let pair = pair.trim_ascii_start();
        let n = pair.split(|&b| b == b'=').next().unwrap_or_default();
        n.trim_ascii() == name.as_bytes() && pair.len() > n.len()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cookie_present_exact_names() {
        let h = b"gatehouse_session=x; mpt=abc;Auth=j; tautulli_token_1=z";
        assert!(cookie_present(h, "mpt"));
        assert!(cookie_present(h, "Auth"));
        assert!(!cookie_present(h, "auth"));
        assert!(!cookie_present(h, "tautulli"));
        assert!(!cookie_present(b"mpt", "mpt"));
        assert!(!cookie_present(b"", "mpt"));
    }
}
