//! Routes with `second_factor = true` (docs/access.md): a session that did
//! not pass a second factor gets the step-up page, then a new session
//! token; the admin pages ask for it when the user has one enrolled.

use crate::support::upstream::EchoServer;

use super::common::*;

/// Inserts a TOTP secret straight into the store (as an import would), so
/// a session that signed in before has no second factor.
fn insert_totp(gw: &crate::support::binary::Gateway, user: &str, secret: &str) {
    db(gw)
        .execute(
            "INSERT INTO totp (user_id, secret, last_step, created) \
             SELECT id, ?2, 0, 0 FROM users WHERE name = ?1",
            rusqlite::params![user, secret],
        )
        .unwrap();
}

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[tokio::test]
async fn test_step_up_on_a_second_factor_route_issues_a_new_session_token() {
    let echo = EchoServer::start();
    let mut clock = Clock::new();
    let mut toml = protected("vault", "/vault/", &echo.url(), "\"user\"");
    toml += "second_factor = true\n";
    toml += &protected("app", "/app/", &echo.url(), "\"user\"");
    let gw = clock.attach(builder(&toml)).start();
    add_user(&gw, "erin", "user", "pw-erin");
    add_user(&gw, "frank", "user", "pw-frank");
    let old = login(&gw, "erin", "pw-erin").await;
    insert_totp(&gw, "erin", SECRET);

    // The ordinary route is fine; the vault asks for the second factor.
    assert_eq!(get_status(&gw, "/app/", Some(&old), false).await, 200);
    let nav = get_with(&gw, "/vault/secret?x=1", &old).await;
    assert_eq!(nav.status(), 302);
    assert_eq!(
        nav.headers()["location"],
        "/gatehouse/step-up?rd=%2Fvault%2Fsecret%3Fx%3D1"
    );
    assert_eq!(
        get_status(&gw, "/vault/secret", Some(&old), false).await,
        401,
        "not a navigation"
    );
    assert!(echo
        .requests()
        .iter()
        .all(|r| !r.target.starts_with("/vault/")));

    let step = get_with(&gw, "/gatehouse/step-up?rd=%2Fvault%2Fsecret%3Fx%3D1", &old).await;
    assert_eq!(step.status(), 302);
    assert_eq!(step.headers()["location"], "/gatehouse/2fa");
    let pending = cookie_named(&step, PENDING_COOKIE).unwrap();
    let s = clock.jump_to_step(&gw, 0).await;
    let done = code_step(&gw, &format!("{pending}; {old}"), &code(SECRET, s)).await;
    assert_eq!(done.status(), 302);
    assert_eq!(done.headers()["location"], "/vault/secret?x=1");
    let new = session_cookie(&done).expect("a new session token");
    assert_ne!(new, old);
    assert_eq!(
        get_status(&gw, "/vault/secret", Some(&new), false).await,
        200
    );
    assert_eq!(echo.last().header("x-webauth-user"), Some("erin"));
    assert_eq!(
        get_status(&gw, "/app/", Some(&old), false).await,
        401,
        "the old token is gone"
    );

    // A user without any second factor is told to set one up.
    let plain = login(&gw, "frank", "pw-frank").await;
    let step = get_with(&gw, "/gatehouse/step-up?rd=%2Fvault%2F", &plain).await;
    assert_eq!(step.status(), 403);
    assert!(step
        .text()
        .await
        .unwrap()
        .contains("/gatehouse/account/security"));
    // Signed out, the step-up page sends to the sign-in page first.
    let out = crate::support::binary::client()
        .get(gw.url("/gatehouse/step-up?rd=%2Fvault%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 302);
    assert!(out.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/gatehouse/login?rd="));
}

#[tokio::test]
async fn test_admin_pages_ask_for_the_second_factor_when_enrolled() {
    let mut clock = Clock::new();
    let gw = clock.attach(builder("")).start();
    add_user(&gw, "root", "admin", "pw-root");
    let session = login(&gw, "root", "pw-root").await;
    assert_eq!(
        get_with(&gw, "/gatehouse/admin/certs", &session)
            .await
            .status(),
        200
    );
    insert_totp(&gw, "root", SECRET);
    let gated = get_with(&gw, "/gatehouse/admin/certs", &session).await;
    assert_eq!(gated.status(), 302);
    assert_eq!(
        gated.headers()["location"],
        "/gatehouse/step-up?rd=%2Fgatehouse%2Fadmin%2Fcerts"
    );
    let step = get_with(
        &gw,
        "/gatehouse/step-up?rd=%2Fgatehouse%2Fadmin%2Fcerts",
        &session,
    )
    .await;
    let pending = cookie_named(&step, PENDING_COOKIE).unwrap();
    let s = clock.jump_to_step(&gw, 0).await;
    let done = code_step(&gw, &pending, &code(SECRET, s)).await;
    let new = session_cookie(&done).unwrap();
    assert_eq!(
        get_with(&gw, "/gatehouse/admin/certs", &new).await.status(),
        200
    );
}

#[test]
fn test_second_factor_route_needs_a_sign_in_route_and_factors_on() {
    use crate::support::accounts::cli_at;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::write(
        &path,
        "[login]\nsecond_factor = \"off\"\n\n[[route]]\nname = \"a\"\npath = \"/a/\"\nupstream = \"http://127.0.0.1:1\"\n\
         auth = \"user\"\nsecond_factor = true\npublic_paths = [\"/b/api/\", \"/a/%61pi/\"]\n\
         trusted_networks = [\"nonsense\"]\ntrusted_networks_skip = \"everything\"\n\n\
         [[route]]\nname = \"b\"\npath = \"/b/\"\nupstream = \"http://127.0.0.1:1\"\nsecond_factor = true\n",
    )
    .unwrap();
    let out = cli_at(&path, &["check"], "");
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    for want in [
        ":9: route[0].second_factor: needs [login] second_factor",
        ":10: route[0].public_paths[0]: must be a path inside the route's path",
        ":10: route[0].public_paths[1]: write the plain path",
        ":11: route[0].trusted_networks[0]: expected a CIDR",
        ":12: route[0].trusted_networks_skip: expected \"second_factor\" or \"sign_in\"",
        ":18: route[1].second_factor: needs a route that requires sign-in",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}
