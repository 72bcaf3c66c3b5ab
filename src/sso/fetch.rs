//! Token fetch at login (README "Single sign-on"): every enabled service at once, each under
//! its own timeout, never failing as a whole.
//!
//! * Plex: no request; the user's plex.tv token (from the Plex backend or the
//!   PIN flow) is kept when `[sso.plex] enabled`.
//! * Ombi: [`ombi::fetch_token`].
//! * Tautulli: [`tautulli::sign_in`] for every instance in parallel, only when
//!   the user's group number is <= `min_group`.
//!
//! The slowest service bounds the total time, not the sum. Every service (and
//! every Tautulli instance) leaves one [`FetchResult`] for the debug page.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use tokio::task::JoinSet;
use tokio::time::timeout as within;

use crate::config::Sso;
use crate::groups;
use crate::sso::{ombi, safe_url, tautulli, SsoError};
use crate::tokens::{FetchResult, SsoTokens, TautulliToken};

/// Default time allowed to each service.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The signed-in user, as the fetch needs it. `Debug` hides the secrets.
#[derive(Clone, Copy)]
pub struct LoginUser<'a> {
    pub username: &'a str,
    /// Organizr group number (0 admin … 999 guest).
    pub group: u16,
    /// The password typed at login (`None` for PIN sign-in).
    pub password: Option<&'a str>,
    /// The user's plex.tv token, when signed in through Plex.
    pub plex_token: Option<&'a str>,
}

impl std::fmt::Debug for LoginUser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginUser")
            .field("username", &self.username)
            .field("group", &self.group)
            .field("password", &self.password.map(|_| "<redacted>"))
            .field("plex_token", &self.plex_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Fetches every enabled service's token for `user`. `timeout` applies to each
/// service (and each Tautulli instance) separately; `now` stamps the results.
pub async fn fetch_all(
    client: &reqwest::Client,
    cfg: &Sso,
    user: &LoginUser<'_>,
    client_ip: IpAddr,
    timeout: Duration,
    now: SystemTime,
) -> SsoTokens {
    let at = crate::clock::unix(now);
    let mut tokens = SsoTokens::default();

    if cfg.plex.enabled {
        let token = user.plex_token.filter(|t| !t.is_empty());
        tokens.plex = token.map(str::to_string);
        tokens.results.push(match token {
            Some(_) => ok("plex", at),
            None => result(
                "plex",
                at,
                "skipped",
                "signed in without a Plex token".into(),
            ),
        });
    }

    let ombi_task = async {
        if !cfg.ombi.enabled {
            return None;
        }
        let fut = ombi::fetch_token(
            client,
            &cfg.ombi,
            user.username,
            user.password,
            user.plex_token,
            client_ip,
        );
        Some(within(timeout, fut).await)
    };
    let tautulli_task = tautulli_all(client, cfg, user, client_ip, timeout);
    let (ombi_out, tautulli_out) = tokio::join!(ombi_task, tautulli_task);

    match ombi_out {
        None => {}
        Some(Ok(Ok(t))) => {
            tokens.ombi = Some(t);
            tokens.results.push(ok("ombi", at));
        }
        Some(Ok(Err(e))) => tokens.results.push(failed("ombi", at, &e)),
        Some(Err(_)) => tokens.results.push(timed_out("ombi", at, timeout)),
    }
    match tautulli_out {
        TautulliOutcome::Disabled => {}
        TautulliOutcome::Skipped(reason) => {
            tokens
                .results
                .push(result("tautulli", at, "skipped", reason));
        }
        TautulliOutcome::Done(list) => {
            for (service, out) in list {
                match out {
                    Some(Ok(t)) => {
                        tokens.tautulli.push(t);
                        tokens.results.push(ok(&service, at));
                    }
                    Some(Err(e)) => tokens.results.push(failed(&service, at, &e)),
                    None => tokens.results.push(timed_out(&service, at, timeout)),
                }
            }
        }
    }
    tokens
}

enum TautulliOutcome {
    Disabled,
    Skipped(String),
    /// Per instance in configured order: service name and result (`None` = timed out).
    Done(Vec<(String, Option<Result<TautulliToken, SsoError>>)>),
}

async fn tautulli_all(
    client: &reqwest::Client,
    cfg: &Sso,
    user: &LoginUser<'_>,
    client_ip: IpAddr,
    timeout: Duration,
) -> TautulliOutcome {
    let t = &cfg.tautulli;
    if !t.enabled {
        return TautulliOutcome::Disabled;
    }
    if user.group > t.min_group {
        return TautulliOutcome::Skipped(format!(
            "group {} ({}) is not admitted by min_group {} ({})",
            groups::name(user.group),
            user.group,
            groups::name(t.min_group),
            t.min_group
        ));
    }
    let mut set = JoinSet::new();
    for (i, url) in t.urls.iter().enumerate() {
        let (client, cfg, url) = (client.clone(), t.clone(), url.clone());
        let username = user.username.to_string();
        let password = user.password.map(str::to_string);
        let plex_token = user.plex_token.map(str::to_string);
        set.spawn(async move {
            let fut = tautulli::sign_in(
                &client,
                &cfg,
                &url,
                &username,
                password.as_deref(),
                plex_token.as_deref(),
                client_ip,
            );
            (i, within(timeout, fut).await.ok())
        });
    }
    let mut slots: Vec<Option<Result<TautulliToken, SsoError>>> =
        t.urls.iter().map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        if let Ok((i, out)) = joined {
            if let Some(slot) = slots.get_mut(i) {
                *slot = out;
            }
        }
    }
    let list = t
        .urls
        .iter()
        .zip(slots)
        .map(|(u, out)| (format!("tautulli {}", safe_url(u)), out))
        .collect();
    TautulliOutcome::Done(list)
}

fn ok(service: &str, at: u64) -> FetchResult {
    FetchResult {
        service: service.to_string(),
        at,
        status: "ok".into(),
        error: None,
    }
}

fn result(service: &str, at: u64, status: &str, error: String) -> FetchResult {
    FetchResult {
        service: service.to_string(),
        at,
        status: status.into(),
        error: Some(error),
    }
}

fn failed(service: &str, at: u64, e: &SsoError) -> FetchResult {
    tracing::warn!(service, status = %e.status(), error = %e, "SSO token fetch failed");
    result(service, at, &e.status(), e.to_string())
}

fn timed_out(service: &str, at: u64, timeout: Duration) -> FetchResult {
    tracing::warn!(
        service,
        timeout_ms = timeout.as_millis() as u64,
        "SSO token fetch timed out"
    );
    let msg = format!(
        "{service} did not answer within {}",
        humantime::format_duration(timeout)
    );
    result(service, at, "timeout", msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_login_user_debug_hides_secrets() {
        let u = LoginUser {
            username: "alice",
            group: 4,
            password: Some("hunter2"),
            plex_token: Some("plex-secret"),
        };
        let d = format!("{u:?}");
        assert!(d.contains("alice") && !d.contains("hunter2") && !d.contains("plex-secret"));
    }

    #[test]
    fn test_timed_out_message_names_the_limit() {
        let r = timed_out("ombi", 7, Duration::from_millis(1500));
        assert_eq!(r.status, "timeout");
        assert_eq!(r.at, 7);
        assert_eq!(
            r.error.as_deref(),
            Some("ombi did not answer within 1s 500ms")
        );
    }
}
