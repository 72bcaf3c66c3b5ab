//! `[login] backend = "plex"` through the real gateway: the owner, friends
//! with and without the shared server (strict on and off), strangers, the
//! "Sign in with Plex" PIN flow (approve, expire, abandon), and the local
//! user a first sign-in creates.

use serde_json::{json, Value};

use super::common::{api_login, cookie, gateway, jar, set_cookies, user_line, Fakes, Setup};
use crate::support::binary::{client, Gateway};
use crate::support::fakes::plex_tv::{ALICE, BOB, CAROL, DAVE, ERIN};

/// Plex backend with every SSO service off (only the sign-in is tested here).
fn plex_only(strict: bool) -> Setup {
    Setup {
        strict,
        plex_sso: false,
        ombi: false,
        tautulli: false,
        ..Setup::default()
    }
}

fn assert_refused(l: &super::common::Login) {
    assert_eq!(l.status, 401, "{:?}", l.body);
    assert_eq!(l.body, json!({"error": "Wrong username or password."}));
    assert!(l.cookies.is_empty(), "{:?}", l.cookies);
}

#[tokio::test]
async fn test_owner_password_login_is_admin_and_created() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    assert!(user_line(&gw, "alice").is_none());
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);
    assert_eq!(l.body["user"], "alice");
    assert_eq!(l.body["email"], ALICE.email);
    assert_eq!(l.body["group"], 0);
    assert_eq!(l.body["group_name"], "admin");
    cookie(&l.cookies, "gatehouse_session");

    let sign_in = f.plex.server.requests_to("/users/sign_in.json");
    assert_eq!(sign_in.len(), 1);
    let r = &sign_in[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.form("user[login]").as_deref(), Some("alice"));
    assert_eq!(r.form("user[password]").as_deref(), Some(ALICE.password));
    assert!(r
        .header("X-Plex-Client-Identifier")
        .is_some_and(|v| !v.is_empty()));
    assert!(r.header("X-Plex-Product").is_some());
    assert!(r
        .header("Content-Type")
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded")));

    let line = user_line(&gw, "alice").expect("alice created by her first login");
    assert_eq!(line[1], ALICE.email);
    assert_eq!(&line[2..4], ["0", "admin"]);

    let me = client()
        .get(gw.url("/gatehouse/api/me"))
        .header("Cookie", l.jar())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["group"], 0);
}

#[tokio::test]
async fn test_owner_by_email_is_the_same_user() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    assert_eq!(
        api_login(&gw, "alice", ALICE.password, false).await.status,
        200
    );
    let l = api_login(&gw, ALICE.email, ALICE.password, false).await;
    assert_eq!(l.status, 200);
    assert_eq!(l.body["user"], "alice");
    assert_eq!(l.body["group"], 0);
}

#[tokio::test]
async fn test_friend_sharing_the_server_admitted_in_new_user_group() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    let l = api_login(&gw, "bob", BOB.password, false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);
    assert_eq!(
        (l.body["group"].clone(), l.body["group_name"].clone()),
        (json!(4), json!("user"))
    );
    let friends = f.plex.server.requests_to("/api/users");
    assert_eq!(friends.len(), 1);
    assert_eq!(
        friends[0].header("X-Plex-Token"),
        Some(ALICE.token),
        "the owner's token lists friends"
    );
    let line = user_line(&gw, "bob").expect("bob created");
    assert_eq!(&line[1..4], [BOB.email, "4", "user"]);
}

#[tokio::test]
async fn test_friend_without_the_server_refused_when_strict() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    assert_refused(&api_login(&gw, "carol", CAROL.password, false).await);
    assert!(
        user_line(&gw, "carol").is_none(),
        "a refused account is not created"
    );
}

#[tokio::test]
async fn test_friend_without_the_server_admitted_when_not_strict() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(false));
    let l = api_login(&gw, "carol", CAROL.password, false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);
    assert_eq!(l.body["group"], 4);
    let line = user_line(&gw, "carol").expect("carol created");
    assert_eq!(&line[2..4], ["4", "user"]);
}

#[tokio::test]
async fn test_stranger_refused_with_the_generic_message() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(false));
    assert_refused(&api_login(&gw, "dave", DAVE.password, false).await);
    assert_refused(&api_login(&gw, "alice", "wrong", false).await);
    assert_refused(&api_login(&gw, "erin", ERIN.password, false).await);
    assert!(user_line(&gw, "dave").is_none());
    // The form answers the same way.
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .form(&[("username", "dave"), ("password", DAVE.password)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(set_cookies(&resp).is_empty());
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Wrong username or password."));
}

#[tokio::test]
async fn test_stranger_with_a_local_password_signs_in_locally() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    super::common::add_user(&gw, "dave", "power-user", "dave-local");
    let l = api_login(&gw, "dave", "dave-local", false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);
    assert_eq!(l.body["group"], 3);
    assert_refused(&api_login(&gw, "dave", DAVE.password, false).await);
}

/// `POST /gatehouse/plex/pin` → (id, code, auth_url, pin cookie pair).
async fn start_pin(gw: &Gateway) -> (u64, String, String, String) {
    let resp = client()
        .post(gw.url("/gatehouse/plex/pin"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookies = set_cookies(&resp);
    let pin = cookie(&cookies, "gatehouse_pin").clone();
    assert!(pin.has("httponly"));
    let v: Value = resp.json().await.unwrap();
    (
        v["id"].as_u64().unwrap(),
        v["code"].as_str().unwrap().to_string(),
        v["auth_url"].as_str().unwrap().to_string(),
        format!("gatehouse_pin={}", pin.value),
    )
}

async fn poll(gw: &Gateway, id: u64, cookie: &str) -> (u16, Value, Vec<super::common::SetCookie>) {
    let mut req = client().get(gw.url(&format!("/gatehouse/plex/pin/{id}")));
    if !cookie.is_empty() {
        req = req.header("Cookie", cookie);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let cookies = set_cookies(&resp);
    (status, resp.json().await.unwrap(), cookies)
}

#[tokio::test]
async fn test_pin_login_approved_signs_in() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    let (id, code, auth_url, pin) = start_pin(&gw).await;
    assert!(auth_url.starts_with(&f.plex.url()), "{auth_url}");
    assert!(auth_url.contains(&code));
    let created = f.plex.server.requests_to("/api/v2/pins");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].query("strong").as_deref(), Some("true"));

    let (status, v, _) = poll(&gw, id, &pin).await;
    assert_eq!((status, v), (200, json!({"status": "pending"})));
    assert!(f.plex.approve_pin(id, &BOB));
    let (status, v, cookies) = poll(&gw, id, &pin).await;
    assert_eq!((status, v), (200, json!({"status": "done"})));
    let session = cookie(&cookies, "gatehouse_session");
    assert!(cookie(&cookies, "gatehouse_pin").is_removal());
    let account = f.plex.server.requests_to("/users/account.json");
    assert_eq!(
        account.last().unwrap().header("X-Plex-Token"),
        Some(BOB.token)
    );

    let me = client()
        .get(gw.url("/gatehouse/api/me"))
        .header("Cookie", jar(std::slice::from_ref(session)))
        .send()
        .await
        .unwrap();
    let me: Value = me.json().await.unwrap();
    assert_eq!(
        (me["user"].clone(), me["group"].clone()),
        (json!("bob"), json!(4))
    );
    let line = user_line(&gw, "bob").expect("bob created by the PIN login");
    assert_eq!(&line[2..4], ["4", "user"]);
    // The PIN is spent.
    assert_eq!(poll(&gw, id, &pin).await.0, 404);
}

#[tokio::test]
async fn test_pin_login_of_a_stranger_is_denied() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    let (id, _, _, pin) = start_pin(&gw).await;
    assert!(f.plex.approve_pin(id, &DAVE));
    let (status, v, cookies) = poll(&gw, id, &pin).await;
    assert_eq!((status, v), (200, json!({"status": "denied"})));
    assert!(cookies.iter().all(|c| c.name != "gatehouse_session"));
}

#[tokio::test]
async fn test_pin_expired_ends_cleanly() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    let (id, _, _, pin) = start_pin(&gw).await;
    f.plex.expire_pin(id);
    let (status, v, cookies) = poll(&gw, id, &pin).await;
    assert_eq!((status, v), (200, json!({"status": "expired"})));
    assert!(cookies.iter().all(|c| c.name != "gatehouse_session"));
    assert!(!f.plex.approve_pin(id, &ALICE));
    assert_eq!(poll(&gw, id, &pin).await.0, 404, "forgotten after expiry");
}

#[tokio::test]
async fn test_pin_abandoned_stays_pending_and_is_bound_to_its_browser() {
    let f = Fakes::start();
    let gw = gateway(&f, &plex_only(true));
    let (id, _, _, pin) = start_pin(&gw).await;
    for _ in 0..3 {
        assert_eq!(poll(&gw, id, &pin).await.1, json!({"status": "pending"}));
    }
    assert!(f.plex.approve_pin(id, &ALICE));
    // Someone else polling the approved PIN gets nothing.
    for other in ["", "gatehouse_pin=forged", "gatehouse_session=x"] {
        let (status, v, cookies) = poll(&gw, id, other).await;
        assert_eq!(
            (status, v),
            (404, json!({"status": "expired"})),
            "{other:?}"
        );
        assert!(cookies.is_empty());
    }
    let (_, other_pin_id, _, other_pin) = {
        let (i, c, u, p) = start_pin(&gw).await;
        (c, i, u, p)
    };
    assert_eq!(
        poll(&gw, id, &other_pin).await.0,
        404,
        "another PIN's cookie"
    );
    assert_eq!(
        poll(&gw, other_pin_id, &other_pin).await.1["status"],
        "pending"
    );
    assert_eq!(poll(&gw, 999_999, &pin).await.0, 404, "unknown id");
    assert_eq!(poll(&gw, id, &pin).await.1, json!({"status": "done"}));
}
