//! The fixed sections of the file: `[server]`, `[portal]`, `[session]`,
//! `[login]`, `[plex]` and `[sso.*]`. Each reader asks its [`Section`] for
//! every key it knows (with its default from `defaults.rs`), applies the named
//! checks of `validate.rs`, then reports what is left as unknown.

use std::path::PathBuf;

use url::Url;

use super::defaults::*;
use super::file::{as_str, boolean, string, uint, values, At, Cx, Section};
use super::locate::Spot;
use super::model::{
    Login, LoginBackend, Plex, Portal, Server, SessionSettings, Sso, SsoOmbi, SsoPlex, SsoTautulli,
};
use super::validate::*;

/// The most worker threads `[server] threads` may ask for.
const MAX_THREADS: u64 = 4096;

/// `value` of `at`, or `default`.
fn or<T>(at: Option<At<T>>, default: T) -> T {
    at.map_or(default, |a| a.value)
}

/// A compiled-in default URL; reported (never panics) if it were ever invalid.
fn default_url(cx: &mut Cx<'_>, sec: &Section<'_>, key: &str, text: &str) -> Option<Url> {
    match Url::parse(text) {
        Ok(url) => Some(url),
        Err(e) => {
            let spot = Spot {
                line: sec.line(),
                key: sec.key_path(key),
                raw: text.to_owned(),
            };
            cx.report(&spot, format!("internal error: bad default URL: {e}"));
            None
        }
    }
}

/// A URL key with a compiled-in default.
fn url_key(cx: &mut Cx<'_>, sec: &mut Section<'_>, key: &str, default: &str) -> Option<Url> {
    match sec.get(cx, key, |v| as_str(v).and_then(check_http_url)) {
        Some(at) => Some(at.value),
        None => default_url(cx, sec, key, default),
    }
}

/// `[server]`.
pub fn read_server(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Option<Server> {
    let errors_before = cx.errors.len();
    let listen_at = sec.list(cx, "listen", true, |v| as_str(v).and_then(check_listen));
    let listen_given = listen_at.is_some();
    let listen = match values(listen_at) {
        Some(list) => list,
        None => DEFAULT_LISTEN
            .iter()
            .filter_map(|l| check_listen(l).ok())
            .collect(),
    };
    let tls_listen = values(sec.list(cx, "tls_listen", true, |v| as_str(v).and_then(check_listen)))
        .unwrap_or_default();
    let certs_dir = or(
        sec.get(cx, "certs_dir", string),
        DEFAULT_CERTS_DIR.to_owned(),
    );
    let public_url = url_key(cx, &mut sec, "public_url", DEFAULT_PUBLIC_URL);
    let data_dir = or(sec.get(cx, "data_dir", string), DEFAULT_DATA_DIR.to_owned());
    let trusted_proxies = values(sec.list(cx, "trusted_proxies", true, |v| {
        as_str(v).and_then(check_cidr)
    }))
    .unwrap_or_default();
    let threads = sec
        .get(cx, "threads", |v| uint(v, MAX_THREADS))
        .map_or(DEFAULT_THREADS, |a| a.value as usize);
    let keepalive_timeout = or(
        sec.get(cx, "keepalive_timeout", check_duration),
        DEFAULT_KEEPALIVE_TIMEOUT,
    );
    let keepalive_requests = or(
        sec.get(cx, "keepalive_requests", |v| {
            match uint(v, u64::from(u32::MAX))? {
                0 => Err(
                    "must be at least 1 (keepalive_timeout = \"0s\" turns keep-alive off)"
                        .to_owned(),
                ),
                n => Ok(n as u32),
            }
        }),
        DEFAULT_KEEPALIVE_REQUESTS,
    );
    let redirect_https = or(sec.get(cx, "redirect_https", boolean), false);
    let hsts = or(
        sec.get(cx, "hsts", check_duration),
        std::time::Duration::ZERO,
    );
    let drain_timeout = or(
        sec.get(cx, "drain_timeout", check_drain_timeout),
        DEFAULT_DRAIN_TIMEOUT,
    );
    let listen_bad = cx.errors.len() > errors_before;
    if listen_given && !listen_bad && listen.is_empty() && tls_listen.is_empty() {
        sec.report_missing(cx, "listen", "no listener: set listen or tls_listen");
    }
    sec.finish(cx);
    Some(Server {
        listen,
        tls_listen,
        certs_dir: PathBuf::from(certs_dir),
        public_url: public_url?,
        data_dir: PathBuf::from(data_dir),
        trusted_proxies,
        threads: resolve_threads(threads),
        keepalive_timeout,
        keepalive_requests,
        redirect_https,
        hsts: (!hsts.is_zero()).then_some(hsts),
        drain_timeout,
    })
}

/// `[portal]`.
pub fn read_portal(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Portal {
    let prefix = sec.get(cx, "prefix", |v| as_str(v).and_then(check_portal_prefix));
    let home = sec.get(cx, "home", |v| as_str(v).and_then(check_home));
    sec.finish(cx);
    Portal {
        prefix: or(prefix, DEFAULT_PORTAL_PREFIX.to_owned()),
        home: or(home, Some(DEFAULT_PORTAL_HOME.to_owned())),
    }
}

/// `[session]`. `https` tells whether `[server] public_url` is https
/// (`None` when it was not valid): cookie name prefixes depend on it.
pub fn read_session(cx: &mut Cx<'_>, mut sec: Section<'_>, https: Option<bool>) -> SessionSettings {
    let cookie = sec.get(cx, "cookie", |v| as_str(v).and_then(check_cookie_name));
    let domain = sec.get(cx, "domain", |v| as_str(v).and_then(check_cookie_domain));
    if let Some(c) = &cookie {
        let has_domain = domain.as_ref().is_some_and(|d| d.value.is_some());
        if let Err(reason) = check_cookie_prefix(&c.value, has_domain, https) {
            cx.report(&c.spot, reason);
        }
    }
    let lifetime = sec.get(cx, "lifetime", check_positive_duration);
    let remember_me = sec.get(cx, "remember_me", check_positive_duration);
    let idle_timeout = or(
        sec.get(cx, "idle_timeout", check_duration),
        DEFAULT_SESSION_IDLE_TIMEOUT,
    );
    sec.finish(cx);
    SessionSettings {
        cookie: or(cookie, DEFAULT_SESSION_COOKIE.to_owned()),
        domain: or(domain, None),
        lifetime: or(lifetime, DEFAULT_SESSION_LIFETIME),
        remember_me: or(remember_me, DEFAULT_SESSION_REMEMBER_ME),
        idle_timeout: (!idle_timeout.is_zero()).then_some(idle_timeout),
    }
}

/// `[login]`.
pub fn read_login(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Login {
    let backend = sec.get(cx, "backend", |v| as_str(v).and_then(check_login_backend));
    let max_failures = sec.get(cx, "max_failures", |v| {
        match uint(v, u64::from(u32::MAX))? {
            0 => Err("must be at least 1".to_owned()),
            n => Ok(n as u32),
        }
    });
    let window = sec.get(cx, "window", check_positive_duration);
    let ban = sec.get(cx, "ban", check_positive_duration);
    let second_factor = sec.get(cx, "second_factor", |v| {
        as_str(v).and_then(super::policy::check_second_factor_policy)
    });
    sec.finish(cx);
    Login {
        backend: or(backend, LoginBackend::Local),
        max_failures: or(max_failures, DEFAULT_LOGIN_MAX_FAILURES),
        window: or(window, DEFAULT_LOGIN_WINDOW),
        ban: or(ban, DEFAULT_LOGIN_BAN),
        second_factor: or(second_factor, Default::default()),
    }
}

/// `[plex]`.
pub fn read_plex(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Option<Plex> {
    let token = or(sec.get(cx, "token", string), String::new());
    let machine_id = sec.get(cx, "machine_id", |v| as_str(v).and_then(check_machine_id));
    let admin = or(sec.get(cx, "admin", string), String::new());
    let oauth = or(sec.get(cx, "oauth", boolean), DEFAULT_PLEX_OAUTH);
    let strict_friends = or(
        sec.get(cx, "strict_friends", boolean),
        DEFAULT_PLEX_STRICT_FRIENDS,
    );
    let groups = cx.groups.clone();
    let new_user_group = or(
        sec.get(cx, "new_user_group", |v| check_group(v, &groups)),
        DEFAULT_USER_GROUP,
    );
    let api_url = url_key(cx, &mut sec, "api_url", DEFAULT_PLEX_API_URL);
    let app_url = url_key(cx, &mut sec, "app_url", DEFAULT_PLEX_APP_URL);
    sec.finish(cx);
    Some(Plex {
        token,
        machine_id: or(machine_id, String::new()),
        admin,
        oauth,
        strict_friends,
        new_user_group,
        api_url: api_url?,
        app_url: app_url?,
    })
}

/// `[sso]` with its `plex`, `ombi` and `tautulli` tables.
pub fn read_sso(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Sso {
    let table = sec.table(cx, "plex");
    let plex = read_sso_plex(cx, table);
    let table = sec.table(cx, "ombi");
    let ombi = read_sso_ombi(cx, table);
    let table = sec.table(cx, "tautulli");
    let tautulli = read_sso_tautulli(cx, table);
    sec.finish(cx);
    Sso {
        plex,
        ombi,
        tautulli,
    }
}

/// `[sso.plex]`.
fn read_sso_plex(cx: &mut Cx<'_>, mut sec: Section<'_>) -> SsoPlex {
    let enabled = or(sec.get(cx, "enabled", boolean), false);
    sec.finish(cx);
    SsoPlex { enabled }
}

/// `[sso.ombi]`: `url` is required once enabled.
fn read_sso_ombi(cx: &mut Cx<'_>, mut sec: Section<'_>) -> SsoOmbi {
    let enabled = or(sec.get(cx, "enabled", boolean), false);
    let errors_before = cx.errors.len();
    let url = sec.get(cx, "url", |v| match as_str(v)? {
        "" => Ok(None),
        text => check_http_url(text).map(Some),
    });
    let url_bad = cx.errors.len() > errors_before;
    let url = or(url, None);
    let api_key = or(sec.get(cx, "api_key", string), String::new());
    let fallback_user = or(sec.get(cx, "fallback_user", string), String::new());
    let fallback_password = or(sec.get(cx, "fallback_password", string), String::new());
    if enabled && url.is_none() && !url_bad {
        sec.report_missing(cx, "url", "required when sso.ombi is enabled");
    }
    sec.finish(cx);
    SsoOmbi {
        enabled,
        url,
        api_key,
        fallback_user,
        fallback_password,
    }
}

/// `[sso.tautulli]`: `urls` is an array or a CSV string; required once enabled.
fn read_sso_tautulli(cx: &mut Cx<'_>, mut sec: Section<'_>) -> SsoTautulli {
    let enabled = or(sec.get(cx, "enabled", boolean), false);
    let errors_before = cx.errors.len();
    let urls: Vec<Url> = values(sec.list(cx, "urls", true, |v| csv_urls(as_str(v)?)))
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let urls_bad = cx.errors.len() > errors_before;
    let api_key = or(sec.get(cx, "api_key", string), String::new());
    let groups = cx.groups.clone();
    let min_group = or(
        sec.get(cx, "min_group", |v| check_group(v, &groups)),
        DEFAULT_USER_GROUP,
    );
    if enabled && urls.is_empty() && !urls_bad {
        sec.report_missing(
            cx,
            "urls",
            "at least one URL is required when sso.tautulli is enabled",
        );
    }
    sec.finish(cx);
    SsoTautulli {
        enabled,
        urls,
        api_key,
        min_group,
    }
}

/// The URLs of a comma-separated list (Organizr's multi-instance syntax);
/// empty items are skipped.
pub fn csv_urls(text: &str) -> Result<Vec<Url>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| check_http_url(t).map_err(|reason| format!("{t}: {reason}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_csv_urls_forms() {
        let urls = csv_urls("http://a:8181/, http://b:8181/tautulli/,").unwrap();
        assert_eq!(urls.len(), 2);
        assert_eq!(urls[1].path(), "/tautulli/");
        assert!(csv_urls("").unwrap().is_empty());
    }

    #[test]
    fn test_csv_urls_names_the_bad_item() {
        let err = csv_urls("http://a:8181, ftp://b").unwrap_err();
        assert!(err.starts_with("ftp://b: "), "{err}");
    }
}
