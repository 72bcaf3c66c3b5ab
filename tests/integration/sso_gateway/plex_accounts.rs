//! Plex accounts and local accounts through the real gateway: e-mail and
//! case-insensitive sign-in, a Plex friend whose name is taken by a local
//! user (never merged into it), locked Plex users, the form sign-in with
//! SSO cookies, SSO after a PIN sign-in, and the bootstrap page's escaping.

use serde_json::{json, Value};

use super::common::{
    add_user, api_login, cli, cookie, gateway, set_cookies, user_line, Fakes, Setup,
};
use crate::support::binary::client;
use crate::support::fakes::plex_tv::{ALICE, BOB};

#[tokio::test]
async fn test_friend_by_email_and_any_case_is_the_same_user() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    for login in ["bob", "BOB@example.com", "Bob"] {
        let l = api_login(&gw, login, BOB.password, false).await;
        assert_eq!(l.status, 200, "{login}");
        assert_eq!(
            (l.body["user"].clone(), l.body["group"].clone()),
            (json!("bob"), json!(4))
        );
    }
    let out = cli(gw.config_path(), &["user", "list"], "");
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        list.lines().filter(|l| l.starts_with("bob")).count(),
        1,
        "{list}"
    );
}

#[tokio::test]
async fn test_plex_friend_never_takes_over_a_local_user_of_the_same_name() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    add_user(&gw, "bob", "admin", "local-bob-pw");
    let l = api_login(&gw, "bob", BOB.password, false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);
    assert_ne!(
        l.body["group"], 0,
        "a Plex friend became the local admin: {:?}",
        l.body
    );
    assert_eq!(l.body["group"], 4);
    assert_ne!(l.body["user"], "bob");
    let created = l.body["user"].as_str().unwrap().to_string();
    let line = user_line(&gw, &created).expect("a separate local user");
    assert_eq!(&line[1..4], [BOB.email, "4", "user"]);
    // The local admin still signs in with the local password.
    let local = api_login(&gw, "bob", "local-bob-pw", false).await;
    assert_eq!((local.status, local.body["group"].clone()), (200, json!(0)));
}

#[tokio::test]
async fn test_locked_plex_user_is_refused() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    assert_eq!(api_login(&gw, "bob", BOB.password, false).await.status, 200);
    let out = cli(gw.config_path(), &["user", "lock", "bob"], "");
    assert!(out.status.success());
    let l = api_login(&gw, "bob", BOB.password, false).await;
    assert_eq!(l.status, 401);
    assert_eq!(l.body, json!({"error": "Wrong username or password."}));
    assert!(l.cookies.is_empty());
}

#[tokio::test]
async fn test_form_login_sets_sso_cookies_and_follows_rd() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .form(&[
            ("username", "alice"),
            ("password", ALICE.password),
            ("rd", "/tautulli/home"),
            ("remember", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/tautulli/home");
    let cookies = set_cookies(&resp);
    let names: Vec<&str> = cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(cookie(&cookies, "mpt").value, ALICE.token);
    assert!(cookies.iter().all(|c| c.attr("max-age") == Some("604800")));
    assert_eq!(
        cookie(&cookies, &f.t2.token_cookie()).attr("path"),
        Some("/tautulli")
    );
}

#[tokio::test]
async fn test_pin_login_fetches_sso_with_the_plex_token() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    let resp = client()
        .post(gw.url("/gatehouse/plex/pin"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let pin = format!(
        "gatehouse_pin={}",
        cookie(&set_cookies(&resp), "gatehouse_pin").value
    );
    let id = resp.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    assert!(f.plex.approve_pin(id, &BOB));
    let resp = client()
        .get(gw.url(&format!("/gatehouse/plex/pin/{id}")))
        .header("Cookie", pin)
        .send()
        .await
        .unwrap();
    let cookies = set_cookies(&resp);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"status": "done"})
    );
    assert_eq!(cookie(&cookies, "mpt").value, BOB.token);
    let auth = cookie(&cookies, "Auth");
    assert_eq!(f.ombi.user_of(&auth.value).as_deref(), Some("bob"));
    let r = f.ombi.server.requests_to("/api/v1/Token/plextoken");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].json()["plexToken"], BOB.token);
    for t in [&f.t1, &f.t2] {
        let c = cookie(&cookies, &t.token_cookie());
        assert_eq!(t.user_of(&c.value), Some(("bob".into(), "guest")));
        let sent = t.requests().into_iter().last().unwrap();
        assert_eq!(sent.form("token").as_deref(), Some(BOB.token));
        assert_eq!(
            sent.form("password").as_deref(),
            Some(""),
            "no password with a PIN sign-in"
        );
    }
    // A PIN sign-in is remembered (Organizr: a first login always is).
    assert!(cookies
        .iter()
        .filter(|c| c.name != "gatehouse_pin")
        .all(|c| c.attr("max-age") == Some("604800")));
}

#[tokio::test]
async fn test_plex_bootstrap_page_escapes_its_script() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    let to: String =
        url::form_urlencoded::byte_serialize(b"/plex/web/?q=</script><script>alert(1)</script>")
            .collect();
    let resp = client()
        .get(gw.url(&format!("/gatehouse/sso/plex?to={to}")))
        .header("Cookie", l.jar())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("<script>alert(1)"), "{body}");
    assert_eq!(
        body.matches("</script>").count(),
        body.matches("<script").count(),
        "{body}"
    );
}

#[tokio::test]
async fn test_plex_tv_down_local_password_still_signs_in() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    add_user(&gw, "root", "admin", "root-pw");
    f.plex.set_mode(crate::support::fakes::Mode::Down);
    let l = api_login(&gw, "root", "root-pw", false).await;
    assert_eq!((l.status, l.body["group"].clone()), (200, json!(0)));
    assert!(
        l.cookies.iter().all(|c| c.name != "mpt"),
        "no Plex token without plex.tv"
    );
    let bob = api_login(&gw, "bob", BOB.password, false).await;
    assert_eq!(
        bob.status, 401,
        "a Plex-only account cannot sign in while plex.tv is down"
    );
}

#[tokio::test]
async fn test_pin_flow_unavailable_with_the_local_backend() {
    let f = Fakes::start();
    let gw = gateway(
        &f,
        &Setup {
            backend: "local",
            ..Setup::default()
        },
    );
    let resp = client()
        .post(gw.url("/gatehouse/plex/pin"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(set_cookies(&resp).is_empty());
    assert!(f.plex.requests().is_empty(), "no PIN created at plex.tv");
    let page = client()
        .get(gw.url("/gatehouse/login"))
        .send()
        .await
        .unwrap();
    assert!(!page.text().await.unwrap().contains("plex-sign-in"));
    let plex_gw = gateway(&f, &Setup::default());
    let page = client()
        .get(plex_gw.url("/gatehouse/login"))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("id=\"plex-sign-in\""));
}
