//! Ombi token requests against the fake Ombi: both paths, the fallback user,
//! errors, and the API-key check of the debug page.

use gatehouse::sso::ombi::{check_api_key, fetch_token};
use gatehouse::sso::SsoError;
use serde_json::json;

use super::common::{client_ip, dead_url, http, ombi_cfg};
use crate::support::fakes::ombi::{OmbiFake, FALLBACK_PASSWORD, FALLBACK_USER, OMBI_API_KEY};
use crate::support::fakes::plex_tv::{ALICE, CAROL};
use crate::support::fakes::Mode;

#[tokio::test]
async fn test_ombi_password_path_sends_organizr_body_and_headers() {
    let fake = OmbiFake::start();
    let cfg = ombi_cfg(&fake.url(), OMBI_API_KEY, false);
    let token = fetch_token(&http(), &cfg, "alice", Some("alice-pw"), None, client_ip())
        .await
        .unwrap();
    assert_eq!(fake.user_of(&token).as_deref(), Some("alice"));
    let req = &fake.requests()[0];
    assert_eq!((req.method.as_str(), req.path()), ("POST", "/api/v1/Token"));
    assert_eq!(
        req.json(),
        json!({"username": "alice", "password": "alice-pw", "rememberMe": true,
               "usePlexAdminAccount": false, "usePlexOAuth": false, "plexTvPin": null})
    );
    assert_eq!(req.header("Accept"), Some("application/json"));
    assert_eq!(req.header("Content-Type"), Some("application/json"));
    assert_eq!(req.header("X-Forwarded-For"), Some("203.0.113.7"));
    assert!(
        req.header("ApiKey").is_none(),
        "the user's own sign-in needs no API key"
    );
}

#[tokio::test]
async fn test_ombi_plex_token_path() {
    let fake = OmbiFake::start();
    let cfg = ombi_cfg(&fake.url(), "", false);
    let token = fetch_token(
        &http(),
        &cfg,
        "alice",
        Some("ignored"),
        Some(ALICE.token),
        client_ip(),
    )
    .await
    .unwrap();
    assert_eq!(fake.user_of(&token).as_deref(), Some("alice"));
    let req = &fake.requests()[0];
    assert_eq!(req.path(), "/api/v1/Token/plextoken");
    assert_eq!(req.json(), json!({"plexToken": ALICE.token}));
    assert_eq!(req.header("X-Forwarded-For"), Some("203.0.113.7"));
}

#[tokio::test]
async fn test_ombi_refusal_without_fallback_is_401() {
    let fake = OmbiFake::start();
    let cfg = ombi_cfg(&fake.url(), "", false);
    let e = fetch_token(&http(), &cfg, "alice", Some("wrong"), None, client_ip())
        .await
        .unwrap_err();
    assert!(matches!(e, SsoError::Unauthorized(_)), "{e:?}");
    assert_eq!(e.status(), "401");
    assert!(!e.to_string().contains("wrong"));
    assert_eq!(fake.requests().len(), 1);
    let e = fetch_token(&http(), &cfg, "alice", None, None, client_ip())
        .await
        .unwrap_err();
    assert!(matches!(e, SsoError::NoCredentials(_)), "{e:?}");
}

#[tokio::test]
async fn test_ombi_fallback_user_tried_once_after_refusal() {
    let fake = OmbiFake::start();
    let cfg = ombi_cfg(&fake.url(), "", true);
    let token = fetch_token(&http(), &cfg, "zoe", Some("zoe-pw"), None, client_ip())
        .await
        .unwrap();
    assert_eq!(fake.user_of(&token).as_deref(), Some(FALLBACK_USER));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].path(), "/api/v1/Token");
    assert_eq!(reqs[1].json()["username"], FALLBACK_USER);
    assert_eq!(reqs[1].json()["password"], FALLBACK_PASSWORD);

    // A Plex token Ombi does not know (Carol was never imported) → fallback too.
    fake.server.clear();
    let token = fetch_token(&http(), &cfg, "carol", None, Some(CAROL.token), client_ip())
        .await
        .unwrap();
    assert_eq!(fake.user_of(&token).as_deref(), Some(FALLBACK_USER));
    let paths: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(paths, ["/api/v1/Token/plextoken", "/api/v1/Token"]);

    // Fallback refused as well → exactly two attempts, then 401.
    fake.server.clear();
    fake.set_mode(Mode::Unauthorized);
    let e = fetch_token(&http(), &cfg, "zoe", Some("zoe-pw"), None, client_ip())
        .await
        .unwrap_err();
    assert_eq!(e.status(), "401");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn test_ombi_rate_limit_and_down_are_not_retried() {
    let fake = OmbiFake::start();
    let cfg = ombi_cfg(&fake.url(), "", true);
    fake.set_mode(Mode::RateLimited);
    let e = fetch_token(&http(), &cfg, "alice", Some("alice-pw"), None, client_ip())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            SsoError::RateLimited {
                retry_after: Some(60),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(fake.requests().len(), 1);

    let dead = ombi_cfg(&dead_url(), "", true);
    let e = fetch_token(&http(), &dead, "alice", Some("alice-pw"), None, client_ip())
        .await
        .unwrap_err();
    assert!(matches!(e, SsoError::Unreachable(_)), "{e:?}");
    assert_eq!(e.status(), "unreachable");
}

#[tokio::test]
async fn test_ombi_plex_token_empty_is_password_path() {
    let fake = OmbiFake::start();
    let cfg = ombi_cfg(&fake.url(), "", false);
    let token = fetch_token(&http(), &cfg, "bob", Some("bob-pw"), Some(""), client_ip())
        .await
        .unwrap();
    assert_eq!(fake.user_of(&token).as_deref(), Some("bob"));
    assert_eq!(fake.requests()[0].path(), "/api/v1/Token");
}

#[tokio::test]
async fn test_ombi_check_api_key() {
    let fake = OmbiFake::start();
    assert!(check_api_key(&http(), &ombi_cfg(&fake.url(), OMBI_API_KEY, false)).await);
    let req = &fake.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path()),
        ("GET", "/api/v1/Settings/about")
    );
    assert_eq!(req.header("ApiKey"), Some(OMBI_API_KEY));
    assert!(!check_api_key(&http(), &ombi_cfg(&fake.url(), "wrong-key", false)).await);
    assert!(!check_api_key(&http(), &ombi_cfg(&fake.url(), "", false)).await);
    assert_eq!(fake.requests().len(), 2, "no request without a key");
    assert!(!check_api_key(&http(), &ombi_cfg(&dead_url(), OMBI_API_KEY, false)).await);
}
