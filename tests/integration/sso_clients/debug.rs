//! The data of `{portal}/debug/sso` in each state.

use gatehouse::config::LoginBackend;
use gatehouse::sso::debug::{collect, flags, ServiceFlags, Settings};
use gatehouse::tokens::{FetchResult, SsoTokens, TautulliToken};

use super::common::{http, ombi_cfg, plex_cfg, sso_off, tautulli_cfg};
use crate::support::fakes::ombi::{OmbiFake, OMBI_API_KEY};

fn token_for(url: &str) -> TautulliToken {
    TautulliToken {
        url: url::Url::parse(url).unwrap().to_string(),
        authority: "t:1".into(),
        uuid: "u".into(),
        token: "j".into(),
        path: "/".into(),
    }
}

#[tokio::test]
async fn test_debug_everything_off() {
    let plex = plex_cfg("https://plex.tv", true);
    let sso = sso_off();
    let settings = Settings {
        backend: LoginBackend::Local,
        plex: &plex,
        sso: &sso,
    };
    let d = collect(&http(), settings, &SsoTokens::default(), None).await;
    let off = ServiceFlags::default();
    assert_eq!(d.ombi, off);
    assert_eq!(d.tautulli, off);
    assert_eq!(
        d.plex,
        ServiceFlags {
            url: true,
            api: true,
            ..off
        }
    );
    assert!(d.plex_details.machine_id && d.plex_details.token);
    assert_eq!(d.plex_details.admin, "email");
}

#[tokio::test]
async fn test_debug_all_on_with_cookies_tokens_and_live_api_check() {
    let ombi = OmbiFake::start();
    let plex = plex_cfg("https://plex.tv", true);
    let mut sso = sso_off();
    sso.plex.enabled = true;
    sso.ombi = ombi_cfg(&ombi.url(), OMBI_API_KEY, false);
    let urls = [
        "http://t1:8181/tautulli".to_string(),
        "http://t2:8181/".to_string(),
    ];
    sso.tautulli = tautulli_cfg(&urls, "k");
    let result = FetchResult {
        service: "ombi".into(),
        at: 5,
        status: "ok".into(),
        error: None,
    };
    let mut tokens = SsoTokens {
        tautulli: vec![token_for(&urls[0]), token_for(&urls[1])],
        results: vec![result.clone()],
        ..SsoTokens::default()
    };
    let settings = Settings {
        backend: LoginBackend::Plex,
        plex: &plex,
        sso: &sso,
    };
    let d = collect(
        &http(),
        settings,
        &tokens,
        Some(b"gatehouse_session=s; mpt=x; Auth=y"),
    )
    .await;
    let on = ServiceFlags {
        enabled: true,
        cookie: true,
        url: true,
        api: true,
        backend: true,
    };
    assert_eq!((d.plex, d.ombi, d.tautulli), (on, on, on));
    assert_eq!(d.results, [result]);
    assert_eq!(ombi.requests().len(), 1, "live API-key check");

    // One Tautulli instance without a token, no cookies, wrong Ombi key.
    tokens.tautulli.pop();
    sso.ombi.api_key = "wrong".into();
    let settings = Settings {
        backend: LoginBackend::Plex,
        plex: &plex,
        sso: &sso,
    };
    let d = collect(&http(), settings, &tokens, Some(b"other=1")).await;
    assert!(!d.plex.cookie && !d.ombi.cookie && !d.ombi.api && !d.tautulli.cookie);
    assert_eq!(
        d.tautulli_instances
            .iter()
            .map(|i| i.token)
            .collect::<Vec<_>>(),
        [true, false]
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["ombi"]["api"], false);
    assert_eq!(json["tautulli_instances"][1]["url"], "http://t2:8181/");
}

#[test]
fn test_debug_flags_pure_cookie_closure() {
    let plex = plex_cfg("https://plex.tv", true);
    let sso = sso_off();
    let settings = Settings {
        backend: LoginBackend::Plex,
        plex: &plex,
        sso: &sso,
    };
    let d = flags(settings, &SsoTokens::default(), &|n| n == "mpt", true);
    assert!(
        d.plex.cookie && !d.ombi.cookie && !d.ombi.api,
        "api needs a configured key"
    );
    assert!(d.plex.backend && d.ombi.backend);
}
