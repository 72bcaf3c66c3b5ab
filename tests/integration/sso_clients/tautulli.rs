//! Tautulli sign-in against the fake: the API-key request vs the CSRF dance
//! (as received by the fake), old Tautulli, the token login, errors, and the
//! issued token opening `/home`.

use gatehouse::sso::tautulli::sign_in;
use gatehouse::sso::SsoError;
use gatehouse::tokens::TautulliToken;
use url::Url;

use super::common::{client_ip, dead_url, http, tautulli_cfg};
use crate::support::fakes::plex_tv::BOB;
use crate::support::fakes::tautulli::{TautulliFake, TautulliOptions, TAUTULLI_API_KEY};
use crate::support::fakes::Mode;

fn at(root: &str, csrf: bool) -> TautulliFake {
    TautulliFake::start(TautulliOptions {
        root: root.into(),
        csrf,
        ..TautulliOptions::default()
    })
}

async fn sign(
    fake: &TautulliFake,
    key: &str,
    user: &str,
    pw: Option<&str>,
    tok: Option<&str>,
) -> Result<TautulliToken, SsoError> {
    let url = Url::parse(&fake.url()).unwrap();
    sign_in(
        &http(),
        &tautulli_cfg(&[fake.url()], key),
        &url,
        user,
        pw,
        tok,
        client_ip(),
    )
    .await
}

/// Asserts the fake's web UI accepts the token cookie alone.
async fn opens_home(fake: &TautulliFake, t: &TautulliToken) {
    let home = format!("{}/home", fake.url());
    let r = http()
        .get(&home)
        .header("Cookie", format!("tautulli_token_{}={}", t.uuid, t.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/auth/logout"));
    let r = http()
        .get(&home)
        .header("Cookie", format!("tautulli_token_{}=forged", t.uuid))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn test_tautulli_api_key_single_post() {
    let fake = at("/tautulli", true);
    let t = sign(&fake, TAUTULLI_API_KEY, "alice", Some("alice-pw"), None)
        .await
        .unwrap();
    let port = fake.server.addr().port();
    assert_eq!(t.uuid, fake.uuid);
    assert_eq!(t.path, "/tautulli");
    assert_eq!(t.authority, format!("127.0.0.1:{port}"));
    assert_eq!(t.url, format!("http://127.0.0.1:{port}/tautulli"));
    assert_eq!(fake.user_of(&t.token), Some(("alice".into(), "admin")));

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "no login page needed with the API key");
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.path()),
        ("POST", "/tautulli/auth/signin")
    );
    assert_eq!(r.header("X-Api-Key"), Some(TAUTULLI_API_KEY));
    assert!(r.header("X-CSRF-Token").is_none() && r.header("Cookie").is_none());
    assert_eq!(r.form("username").as_deref(), Some("alice"));
    assert_eq!(r.form("password").as_deref(), Some("alice-pw"));
    assert_eq!(r.form("token").as_deref(), Some(""));
    assert_eq!(r.form("remember_me").as_deref(), Some("1"));
    assert_eq!(r.header("Accept"), Some("application/json"));
    assert_eq!(
        r.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("X-Forwarded-For"), Some("203.0.113.7"));
    opens_home(&fake, &t).await;
}

#[tokio::test]
async fn test_tautulli_csrf_dance_without_api_key() {
    let fake = at("/", true);
    let t = sign(&fake, "", "admin", Some("adminpass"), None)
        .await
        .unwrap();
    assert_eq!(t.path, "/");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path()),
        ("GET", "/auth/login")
    );
    let post = &reqs[1];
    assert_eq!(post.path(), "/auth/signin");
    assert!(post.header("X-Api-Key").is_none());
    let session = post.cookie(&format!("tautulli_session_{}", fake.uuid));
    assert!(
        session.is_some_and(|s| s.len() == 40),
        "session cookie from the login page"
    );
    let csrf = post.header("X-CSRF-Token").unwrap();
    assert_eq!(csrf.len(), 43);
    opens_home(&fake, &t).await;
}

#[tokio::test]
async fn test_tautulli_plain_post_refused_by_new_and_accepted_by_old() {
    let new = at("/", true);
    let plain = http()
        .post(format!("{}/auth/signin", new.url()))
        .form(&[
            ("username", "admin"),
            ("password", "adminpass"),
            ("token", ""),
            ("remember_me", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 403);
    let body: serde_json::Value = plain.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Request forbidden -- authorization will not help"
    );

    // A wrong API key in the config is not rescued by the CSRF dance.
    let e = sign(&new, "wrong-key", "admin", Some("adminpass"), None)
        .await
        .unwrap_err();
    assert!(matches!(e, SsoError::Forbidden(_)), "{e:?}");
    assert_eq!(e.status(), "403");

    let old = at("/stats", false);
    let t = sign(&old, "", "admin", Some("adminpass"), None)
        .await
        .unwrap();
    assert_eq!(t.path, "/stats");
    let post = &old.requests()[1];
    assert!(post.header("X-CSRF-Token").is_none() && post.header("Cookie").is_none());
}

#[tokio::test]
async fn test_tautulli_plex_token_login_is_guest() {
    let fake = at("/", true);
    let t = sign(&fake, TAUTULLI_API_KEY, "", None, Some(BOB.token))
        .await
        .unwrap();
    assert_eq!(fake.user_of(&t.token), Some(("bob".into(), "guest")));
    assert_eq!(fake.requests()[0].form("token").as_deref(), Some(BOB.token));
}

#[tokio::test]
async fn test_tautulli_errors_401_429_unreachable() {
    let fake = at("/", true);
    let e = sign(&fake, TAUTULLI_API_KEY, "admin", Some("bad"), None)
        .await
        .unwrap_err();
    assert!(matches!(e, SsoError::Unauthorized(_)), "{e:?}");
    let e = sign(&fake, "", "admin", Some("bad"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, SsoError::Unauthorized(_)),
        "CSRF dance, then 401: {e:?}"
    );

    fake.set_mode(Mode::RateLimited);
    let e = sign(&fake, TAUTULLI_API_KEY, "admin", Some("adminpass"), None)
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
    assert!(e.to_string().contains("retry after 60 s"));

    fake.set_mode(Mode::Down);
    let e = sign(&fake, TAUTULLI_API_KEY, "admin", Some("adminpass"), None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), "unreachable", "{e:?}");
    let url = Url::parse(&dead_url()).unwrap();
    let e = sign_in(
        &http(),
        &tautulli_cfg(&[url.to_string()], ""),
        &url,
        "a",
        Some("b"),
        None,
        client_ip(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SsoError::Unreachable(_)), "{e:?}");
    assert!(!e.to_string().contains('\n'));
}
