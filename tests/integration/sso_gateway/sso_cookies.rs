//! SSO at sign-in through the real gateway: the request each fake received
//! (path, body, headers, API key or CSRF dance, fallback user), the cookie
//! the browser got back (name, value, Path, Domain, HttpOnly, Secure,
//! lifetime), several Tautulli instances, and failing, hanging and slow
//! services (the login never waits for more than the slowest timeout).

use std::time::{Duration, Instant};

use serde_json::json;

use super::common::{
    add_user, api_login, config, cookie, gateway, tls_client, Fakes, Setup, ARGON2,
};
use crate::support::binary::GatewayBuilder;
use crate::support::fakes::ombi::FALLBACK_USER;
use crate::support::fakes::plex_tv::ALICE;
use crate::support::fakes::tautulli::TAUTULLI_API_KEY;
use crate::support::fakes::{Mode, Recorded};

const DOMAIN: &str = ".example.test";

fn only(list: Vec<Recorded>, what: &str) -> Recorded {
    assert_eq!(list.len(), 1, "{what}: {list:#?}");
    list.into_iter().next().unwrap()
}

fn assert_signin_form(r: &Recorded, user: &str, password: &str, token: &str) {
    assert_eq!(r.method, "POST");
    assert!(r
        .header("Content-Type")
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded")));
    assert_eq!(r.form("username").as_deref(), Some(user));
    assert_eq!(r.form("password").as_deref(), Some(password));
    assert_eq!(r.form("token").as_deref(), Some(token));
    assert_eq!(r.form("remember_me").as_deref(), Some("1"));
}

#[tokio::test]
async fn test_owner_login_sets_every_sso_cookie_with_domain() {
    let f = Fakes::start();
    let gw = gateway(
        &f,
        &Setup {
            domain: DOMAIN,
            ..Setup::default()
        },
    );
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);

    // Ombi: the Plex-token variant, JSON.
    assert!(f.ombi.server.requests_to("/api/v1/Token").is_empty());
    let r = only(
        f.ombi.server.requests_to("/api/v1/Token/plextoken"),
        "ombi plextoken",
    );
    assert_eq!(r.method, "POST");
    assert!(r
        .header("Content-Type")
        .is_some_and(|v| v.starts_with("application/json")));
    assert_eq!(r.json()["plexToken"], ALICE.token);
    assert_eq!(r.header("X-Forwarded-For"), Some("127.0.0.1"));

    // Tautulli: each instance, with the API key, no CSRF dance.
    for (t, path) in [(&f.t1, "/auth/signin"), (&f.t2, "/tautulli/auth/signin")] {
        let r = only(t.server.requests_to(path), path);
        assert_signin_form(&r, "alice", ALICE.password, ALICE.token);
        assert_eq!(r.header("X-Api-Key"), Some(TAUTULLI_API_KEY));
        assert!(r.header("X-CSRF-Token").is_none());
        assert_eq!(
            t.requests().len(),
            1,
            "no login page fetched with an API key"
        );
    }

    let session = cookie(&l.cookies, "gatehouse_session");
    let mpt = cookie(&l.cookies, "mpt");
    let auth = cookie(&l.cookies, "Auth");
    let t1 = cookie(&l.cookies, &f.t1.token_cookie());
    let t2 = cookie(&l.cookies, &f.t2.token_cookie());
    assert_eq!(mpt.value, ALICE.token);
    assert_eq!(f.ombi.user_of(&auth.value).as_deref(), Some("alice"));
    assert_eq!(f.t1.user_of(&t1.value), Some(("alice".into(), "admin")));
    assert_eq!(f.t2.user_of(&t2.value), Some(("alice".into(), "admin")));
    for (c, path, http_only) in [
        (session, "/", true),
        (mpt, "/", false),
        (auth, "/", false),
        (t1, "/", true),
        (t2, "/tautulli", true),
    ] {
        assert_eq!(c.attr("path"), Some(path), "{c:?}");
        assert_eq!(c.attr("domain"), Some(DOMAIN), "{c:?}");
        assert_eq!(c.has("httponly"), http_only, "{c:?}");
        assert!(!c.has("secure"), "plain http: {c:?}");
        assert!(
            c.attr("max-age").is_none(),
            "browser-session cookie without remember: {c:?}"
        );
    }
    assert_eq!(l.cookies.len(), 5, "{:#?}", l.cookies);
}

#[tokio::test]
async fn test_remember_gives_every_cookie_the_session_lifetime() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    let l = api_login(&gw, "alice", ALICE.password, true).await;
    assert_eq!(l.status, 200);
    assert_eq!(l.cookies.len(), 5, "{:#?}", l.cookies);
    for c in &l.cookies {
        assert_eq!(c.attr("max-age"), Some("604800"), "{c:?}");
        assert!(
            c.attr("domain").is_none(),
            "host-only without [session] domain: {c:?}"
        );
    }
}

#[tokio::test]
async fn test_cookies_are_secure_over_https() {
    let f = Fakes::start();
    let gw = GatewayBuilder::new(&config(
        &f,
        &Setup {
            domain: DOMAIN,
            ..Setup::default()
        },
    ))
    .env("GATEHOUSE_ARGON2", ARGON2)
    .tls(true)
    .start();
    let port = gw.tls_port.unwrap();
    let resp = tls_client("gw.example.test", port)
        .post(format!(
            "https://gw.example.test:{port}/gatehouse/api/login"
        ))
        .header("Content-Type", "application/json")
        .body(json!({"username": "alice", "password": ALICE.password}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookies = super::common::set_cookies(&resp);
    assert_eq!(cookies.len(), 5, "{cookies:#?}");
    for c in &cookies {
        assert!(c.has("secure"), "{c:?}");
        assert_eq!(c.attr("domain"), Some(DOMAIN));
    }
    assert!(!cookie(&cookies, "mpt").has("httponly"));
    assert!(!cookie(&cookies, "Auth").has("httponly"));
}

#[tokio::test]
async fn test_local_user_password_replay_to_ombi_and_tautulli() {
    let f = Fakes::start();
    let gw = gateway(
        &f,
        &Setup {
            backend: "local",
            ..Setup::default()
        },
    );
    add_user(&gw, "bob", "user", "bob-pw");
    let l = api_login(&gw, "bob", "bob-pw", false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);
    assert!(
        f.plex.requests().is_empty(),
        "local backend never asks plex.tv"
    );

    let r = only(f.ombi.server.requests_to("/api/v1/Token"), "ombi token");
    let body = r.json();
    assert_eq!(
        (body["username"].clone(), body["password"].clone()),
        (json!("bob"), json!("bob-pw"))
    );
    assert_eq!(body["rememberMe"], true);
    assert!(f
        .ombi
        .server
        .requests_to("/api/v1/Token/plextoken")
        .is_empty());
    let auth = cookie(&l.cookies, "Auth");
    assert_eq!(f.ombi.user_of(&auth.value).as_deref(), Some("bob"));

    let r = only(f.t1.server.requests_to("/auth/signin"), "tautulli");
    assert_signin_form(&r, "bob", "bob-pw", "");
    let t1 = cookie(&l.cookies, &f.t1.token_cookie());
    assert_eq!(f.t1.user_of(&t1.value), Some(("bob".into(), "guest")));
    assert!(
        l.cookies.iter().all(|c| c.name != "mpt"),
        "no Plex token, no mpt"
    );
}

#[tokio::test]
async fn test_ombi_fallback_user_once_after_a_refusal() {
    let f = Fakes::start();
    let gw = gateway(
        &f,
        &Setup {
            backend: "local",
            fallback: true,
            tautulli: false,
            ..Setup::default()
        },
    );
    add_user(&gw, "zoe", "user", "zoe-pw");
    let l = api_login(&gw, "zoe", "zoe-pw", false).await;
    assert_eq!(l.status, 200);
    let tries = f.ombi.server.requests_to("/api/v1/Token");
    let names: Vec<_> = tries.iter().map(|r| r.json()["username"].clone()).collect();
    assert_eq!(names, [json!("zoe"), json!(FALLBACK_USER)]);
    let auth = cookie(&l.cookies, "Auth");
    assert_eq!(f.ombi.user_of(&auth.value).as_deref(), Some(FALLBACK_USER));
}

#[tokio::test]
async fn test_tautulli_csrf_dance_without_api_key() {
    let f = Fakes::start();
    let gw = gateway(
        &f,
        &Setup {
            tautulli_key: String::new(),
            ..Setup::default()
        },
    );
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200);
    for (t, root) in [(&f.t1, ""), (&f.t2, "/tautulli")] {
        let reqs = t.requests();
        assert_eq!(reqs.len(), 2, "{reqs:#?}");
        assert_eq!(
            (reqs[0].method.as_str(), reqs[0].path()),
            ("GET", format!("{root}/auth/login").as_str())
        );
        let post = &reqs[1];
        assert_eq!(post.path(), format!("{root}/auth/signin"));
        assert!(post.header("X-Api-Key").is_none());
        assert!(post.header("X-CSRF-Token").is_some_and(|v| !v.is_empty()));
        assert!(post
            .cookie(&format!("tautulli_session_{}", t.uuid))
            .is_some());
        assert_signin_form(post, "alice", ALICE.password, ALICE.token);
        let c = cookie(&l.cookies, &t.token_cookie());
        assert!(t.user_of(&c.value).is_some());
    }
}

#[tokio::test]
async fn test_tautulli_skipped_below_min_group() {
    let f = Fakes::start();
    let gw = gateway(
        &f,
        &Setup {
            backend: "local",
            ..Setup::default()
        },
    );
    add_user(&gw, "guesty", "7", "guesty-pw");
    let l = api_login(&gw, "guesty", "guesty-pw", false).await;
    assert_eq!(l.status, 200);
    assert!(f.t1.requests().is_empty() && f.t2.requests().is_empty());
    assert!(l
        .cookies
        .iter()
        .all(|c| !c.name.starts_with("tautulli_token_")));
}

#[tokio::test]
async fn test_one_tautulli_instance_down_the_other_still_signs_in() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    f.t1.set_mode(Mode::Down);
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200);
    let t2 = cookie(&l.cookies, &f.t2.token_cookie());
    assert_eq!(t2.attr("path"), Some("/tautulli"));
    assert!(l.cookies.iter().all(|c| c.name != f.t1.token_cookie()));
    cookie(&l.cookies, "Auth");
}

#[tokio::test]
async fn test_every_service_refusing_never_fails_the_login() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    f.ombi.set_mode(Mode::Unauthorized);
    f.t1.set_mode(Mode::Forbidden);
    f.t2.set_mode(Mode::RateLimited);
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200);
    let names: Vec<_> = l.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["gatehouse_session", "mpt"]);
    assert!(!gw.log().contains(ALICE.password) && !gw.log().contains(ALICE.token));
}

#[tokio::test]
async fn test_every_service_hanging_or_down_login_within_the_timeout() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    f.ombi.set_mode(Mode::Slow(Duration::from_secs(9)));
    f.t1.set_mode(Mode::Slow(Duration::from_secs(9)));
    f.t2.set_mode(Mode::Down);
    let started = Instant::now();
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    let took = started.elapsed();
    assert_eq!(l.status, 200);
    assert!(took < Duration::from_millis(7500), "login took {took:?}");
    assert!(
        took >= Duration::from_millis(4500),
        "hung services end at the 5 s timeout: {took:?}"
    );
    let names: Vec<_> = l.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["gatehouse_session", "mpt"]);
}

#[tokio::test]
async fn test_services_are_fetched_concurrently() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    // Warm up: first sign-in pays for connection set-up.
    assert_eq!(
        api_login(&gw, "alice", ALICE.password, false).await.status,
        200
    );
    for s in [&f.ombi.server, &f.t1.server, &f.t2.server] {
        s.set_mode(Mode::Slow(Duration::from_secs(1)));
    }
    let started = Instant::now();
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    let took = started.elapsed();
    assert_eq!(l.status, 200);
    assert_eq!(l.cookies.len(), 5, "every slow service still delivered");
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(
        took < Duration::from_millis(2500),
        "slowest, not the 3 s sum: {took:?}"
    );
}

#[tokio::test]
async fn test_tautulli_url_with_trailing_slash_keeps_the_instance_path() {
    let f = Fakes::start();
    let urls = vec![format!("{}/", f.t1.url()), format!("{}/", f.t2.url())];
    let gw = gateway(
        &f,
        &Setup {
            tautulli_urls: Some(urls),
            ..Setup::default()
        },
    );
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200);
    only(
        f.t2.server.requests_to("/tautulli/auth/signin"),
        "no double slash",
    );
    only(f.t1.server.requests_to("/auth/signin"), "no double slash");
    assert_eq!(
        cookie(&l.cookies, &f.t2.token_cookie()).attr("path"),
        Some("/tautulli")
    );
    assert_eq!(
        cookie(&l.cookies, &f.t1.token_cookie()).attr("path"),
        Some("/")
    );
}

#[tokio::test]
async fn test_logout_over_https_removes_with_secure() {
    let f = Fakes::start();
    let gw = GatewayBuilder::new(&config(&f, &Setup::default()))
        .env("GATEHOUSE_ARGON2", ARGON2)
        .tls(true)
        .start();
    let port = gw.tls_port.unwrap();
    let https = tls_client("gw.example.test", port);
    let resp = https
        .post(format!(
            "https://gw.example.test:{port}/gatehouse/api/login"
        ))
        .header("Content-Type", "application/json")
        .body(json!({"username": "alice", "password": ALICE.password}).to_string())
        .send()
        .await
        .unwrap();
    let jar = super::common::jar(&super::common::set_cookies(&resp));
    let resp = https
        .post(format!("https://gw.example.test:{port}/gatehouse/logout"))
        .header("Cookie", jar)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let removed = super::common::set_cookies(&resp);
    assert_eq!(removed.len(), 5, "{removed:#?}");
    for c in &removed {
        assert!(c.is_removal() && c.has("secure"), "{c:?}");
    }
}
