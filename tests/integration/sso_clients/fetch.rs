//! `fetch_all`: every service concurrently, each under its own timeout,
//! never failing as a whole.

use std::time::{Duration, Instant, UNIX_EPOCH};

use gatehouse::config::Sso;
use gatehouse::sso::fetch::{fetch_all, LoginUser, DEFAULT_TIMEOUT};
use gatehouse::tokens::SsoTokens;

use super::common::{client_ip, dead_url, http, ombi_cfg, sso_off, tautulli_cfg, HANG};
use crate::support::fakes::ombi::{OmbiFake, OMBI_API_KEY};
use crate::support::fakes::plex_tv::ALICE;
use crate::support::fakes::tautulli::{TautulliFake, TautulliOptions, TAUTULLI_API_KEY};
use crate::support::fakes::Mode;

/// Ombi plus two Tautulli instances at different paths.
struct World {
    ombi: OmbiFake,
    t1: TautulliFake,
    t2: TautulliFake,
}

impl World {
    fn start() -> World {
        let t = |root: &str| {
            TautulliFake::start(TautulliOptions {
                root: root.into(),
                ..TautulliOptions::default()
            })
        };
        World {
            ombi: OmbiFake::start(),
            t1: t("/tautulli"),
            t2: t("/stats"),
        }
    }

    fn sso(&self, tautulli_key: &str) -> Sso {
        let mut sso = sso_off();
        sso.plex.enabled = true;
        sso.ombi = ombi_cfg(&self.ombi.url(), OMBI_API_KEY, false);
        sso.tautulli = tautulli_cfg(&[self.t1.url(), self.t2.url()], tautulli_key);
        sso
    }

    fn set_mode(&self, m: Mode) {
        self.ombi.set_mode(m);
        self.t1.set_mode(m);
        self.t2.set_mode(m);
    }
}

const ALICE_PW: LoginUser<'static> = LoginUser {
    username: "alice",
    group: 0,
    password: Some("alice-pw"),
    plex_token: Some(ALICE.token),
};

fn status_of<'a>(tokens: &'a SsoTokens, service_prefix: &str) -> Vec<&'a str> {
    tokens
        .results
        .iter()
        .filter(|r| r.service.starts_with(service_prefix))
        .map(|r| r.status.as_str())
        .collect()
}

#[tokio::test]
async fn test_fetch_all_three_services_two_tautulli_paths() {
    let w = World::start();
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let tokens = fetch_all(
        &http(),
        &w.sso(""),
        &ALICE_PW,
        client_ip(),
        DEFAULT_TIMEOUT,
        now,
    )
    .await;
    assert_eq!(tokens.plex.as_deref(), Some(ALICE.token));
    assert_eq!(
        tokens
            .ombi
            .as_deref()
            .and_then(|t| w.ombi.user_of(t))
            .as_deref(),
        Some("alice")
    );
    assert_eq!(tokens.tautulli.len(), 2);
    let (a, b) = (&tokens.tautulli[0], &tokens.tautulli[1]);
    assert_eq!(
        (a.path.as_str(), a.uuid.as_str()),
        ("/tautulli", w.t1.uuid.as_str())
    );
    assert_eq!(
        (b.path.as_str(), b.uuid.as_str()),
        ("/stats", w.t2.uuid.as_str())
    );
    assert!(w.t1.user_of(&a.token).is_some() && w.t2.user_of(&b.token).is_some());
    assert_eq!(tokens.results.len(), 4);
    assert!(
        tokens
            .results
            .iter()
            .all(|r| r.status == "ok" && r.error.is_none() && r.at == 1_800_000_000),
        "{:?}",
        tokens.results
    );
    assert_eq!(tokens.results[0].service, "plex");
    assert_eq!(tokens.results[1].service, "ombi");
    assert_eq!(
        tokens.results[2].service,
        format!("tautulli {}", w.t1.url())
    );
    // No API key configured → each instance did the CSRF dance.
    assert_eq!(w.t1.requests().len(), 2);
}

#[tokio::test]
async fn test_fetch_all_one_tautulli_down_other_still_works() {
    let w = World::start();
    w.t1.set_mode(Mode::Down);
    let mut sso = w.sso(TAUTULLI_API_KEY);
    sso.tautulli
        .urls
        .push(url::Url::parse(&dead_url()).unwrap());
    let tokens = fetch_all(
        &http(),
        &sso,
        &ALICE_PW,
        client_ip(),
        DEFAULT_TIMEOUT,
        UNIX_EPOCH,
    )
    .await;
    assert_eq!(tokens.tautulli.len(), 1);
    assert_eq!(tokens.tautulli[0].path, "/stats");
    assert_eq!(
        status_of(&tokens, "tautulli"),
        ["unreachable", "ok", "unreachable"]
    );
    assert!(tokens.ombi.is_some());
}

#[tokio::test]
async fn test_fetch_all_every_service_hanging_returns_within_timeout() {
    let w = World::start();
    w.set_mode(Mode::Slow(HANG));
    let timeout = Duration::from_millis(400);
    let started = Instant::now();
    let tokens = fetch_all(
        &http(),
        &w.sso(""),
        &ALICE_PW,
        client_ip(),
        timeout,
        UNIX_EPOCH,
    )
    .await;
    let took = started.elapsed();
    assert!(
        took < timeout + Duration::from_millis(1500),
        "took {took:?}"
    );
    assert!(tokens.ombi.is_none() && tokens.tautulli.is_empty());
    assert_eq!(
        tokens.plex.as_deref(),
        Some(ALICE.token),
        "plex needs no request"
    );
    assert_eq!(status_of(&tokens, "ombi"), ["timeout"]);
    assert_eq!(status_of(&tokens, "tautulli"), ["timeout", "timeout"]);
    let err = tokens.results[1].error.as_deref().unwrap();
    assert_eq!(err, "ombi did not answer within 400ms");
}

#[tokio::test]
async fn test_fetch_all_is_concurrent() {
    let w = World::start();
    w.set_mode(Mode::Slow(Duration::from_secs(1)));
    let started = Instant::now();
    let tokens = fetch_all(
        &http(),
        &w.sso(TAUTULLI_API_KEY),
        &ALICE_PW,
        client_ip(),
        DEFAULT_TIMEOUT,
        UNIX_EPOCH,
    )
    .await;
    let took = started.elapsed();
    assert!(
        tokens.results.iter().all(|r| r.status == "ok"),
        "{:?}",
        tokens.results
    );
    assert_eq!(tokens.tautulli.len(), 2);
    // Three services of 1 s each: sequential would take >= 3 s.
    assert!(
        took >= Duration::from_secs(1),
        "the fakes did delay: {took:?}"
    );
    assert!(took < Duration::from_secs(2), "not concurrent: {took:?}");
}

#[tokio::test]
async fn test_fetch_all_failures_recorded_without_secrets() {
    let w = World::start();
    w.set_mode(Mode::Unauthorized);
    let user = LoginUser {
        username: "alice",
        group: 4,
        password: Some("s3cret-pw"),
        plex_token: Some(ALICE.token),
    };
    let tokens = fetch_all(
        &http(),
        &w.sso(TAUTULLI_API_KEY),
        &user,
        client_ip(),
        DEFAULT_TIMEOUT,
        UNIX_EPOCH,
    )
    .await;
    assert_eq!(status_of(&tokens, "ombi"), ["401"]);
    assert_eq!(status_of(&tokens, "tautulli"), ["401", "401"]);
    for r in &tokens.results {
        let e = r.error.as_deref().unwrap_or_default();
        assert!(
            !e.contains("s3cret-pw") && !e.contains(ALICE.token) && !e.contains(TAUTULLI_API_KEY),
            "{e}"
        );
    }
    assert!(!format!("{tokens:?}").contains(ALICE.token));
}

#[tokio::test]
async fn test_fetch_all_gates_and_disabled_services() {
    let w = World::start();
    let mut sso = w.sso(TAUTULLI_API_KEY);
    sso.tautulli.min_group = 3;
    let user = LoginUser {
        username: "bob",
        group: 4,
        password: Some("bob-pw"),
        plex_token: None,
    };
    let tokens = fetch_all(
        &http(),
        &sso,
        &user,
        client_ip(),
        DEFAULT_TIMEOUT,
        UNIX_EPOCH,
    )
    .await;
    assert!(
        w.t1.requests().is_empty() && w.t2.requests().is_empty(),
        "user is below min_group"
    );
    assert_eq!(status_of(&tokens, "tautulli"), ["skipped"]);
    let why = tokens
        .results
        .iter()
        .find(|r| r.service == "tautulli")
        .unwrap();
    assert_eq!(
        why.error.as_deref(),
        Some("group user (4) is not admitted by min_group power-user (3)")
    );
    assert_eq!(
        status_of(&tokens, "plex"),
        ["skipped"],
        "no Plex token to keep"
    );
    assert_eq!(tokens.plex, None);
    assert_eq!(status_of(&tokens, "ombi"), ["ok"]);

    let none = fetch_all(
        &http(),
        &sso_off(),
        &ALICE_PW,
        client_ip(),
        DEFAULT_TIMEOUT,
        UNIX_EPOCH,
    )
    .await;
    assert!(none.is_empty() && none.results.is_empty());
    assert!(w.ombi.requests().len() == 1);
}
