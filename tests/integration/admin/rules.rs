//! Who may do what: a normal user gets 403, a co-admin manages groups 2
//! and above only, the last admin stays, a cross-site form is refused even
//! with a valid session; the old debug addresses redirect. Every refusal
//! is an audit line.

use super::*;

#[tokio::test]
async fn test_admin_pages_forbidden_to_normal_users_and_signed_out() {
    let (gw, _echo) = start();
    let alice = login(&gw, "alice", ALICE_PW).await;
    for path in [
        "/gatehouse/admin",
        "/gatehouse/admin/users",
        "/gatehouse/admin/sessions",
        "/gatehouse/admin/routes",
        "/gatehouse/admin/sso",
        "/gatehouse/admin/certs",
    ] {
        assert_eq!(get(&gw, path, &alice).await.0, 403, "{path}");
    }
    let r = post(
        &gw,
        "/gatehouse/admin/users/add",
        &alice,
        &[("name", "mallory"), ("group", "0"), ("password", "x")],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(group_of(&gw, "mallory"), None);
    let r = client()
        .get(gw.url("/gatehouse/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "/gatehouse/login?rd=%2Fgatehouse%2Fadmin%2Fusers"
    );
    wait_audit(
        &gw,
        &["actor=\"alice\"", "result=\"refused\"", "not an admin"],
    )
    .await;
}

#[tokio::test]
async fn test_admin_cross_site_post_refused_with_valid_session() {
    let (gw, _echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    let id = user_id(&gw, "alice").to_string();
    let path = format!("/gatehouse/admin/users/{id}/group");
    for headers in [
        [("Origin", "https://evil.example")],
        [("Sec-Fetch-Site", "cross-site")],
    ] {
        let r = post_with(&gw, &path, &root, &[("group", "0")], &headers).await;
        assert_eq!(r.status(), 403, "{headers:?}");
    }
    let r = post_with(
        &gw,
        "/gatehouse/account/password",
        &root,
        &[("current", ROOT_PW), ("new", "x")],
        &[("Sec-Fetch-Site", "same-site")],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(group_of(&gw, "alice"), Some(4), "nothing changed");
    login(&gw, "root", ROOT_PW).await;
    // the same form from the page itself works
    let r = post_with(
        &gw,
        &path,
        &root,
        &[("group", "3")],
        &[("Origin", &gw.url(""))],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(group_of(&gw, "alice"), Some(3));
    wait_audit(
        &gw,
        &["actor=\"root\"", "cross-site request", "result=\"refused\""],
    )
    .await;
}

#[tokio::test]
async fn test_admin_co_admin_manages_group_two_and_above_only() {
    let (gw, echo) = start();
    let co = login(&gw, "co", CO_PW).await;
    let (root_id, alice_id) = (user_id(&gw, "root"), user_id(&gw, "alice"));
    // cannot demote, lock, delete or sign out an admin
    let root_session = login(&gw, "root", ROOT_PW).await;
    for (action, form) in [
        ("group", vec![("group", "4")]),
        ("lock", vec![]),
        ("delete", vec![]),
        ("revoke", vec![]),
        ("password", vec![("password", "taken-over")]),
    ] {
        let r = post(
            &gw,
            &format!("/gatehouse/admin/users/{root_id}/{action}"),
            &co,
            &form,
        )
        .await;
        assert_eq!(r.status(), 403, "{action}");
    }
    assert_eq!(group_of(&gw, "root"), Some(0));
    assert_eq!(
        get_status(&gw, "/app/", Some(&root_session), false).await,
        200,
        "root still signed in"
    );
    // cannot grant group 0 or 1, to an existing user or a new one
    for g in ["0", "1", "admin", "co-admin"] {
        let r = post(
            &gw,
            &format!("/gatehouse/admin/users/{alice_id}/group"),
            &co,
            &[("group", g)],
        )
        .await;
        assert_eq!(r.status(), 403, "grant {g}");
    }
    let r = post(
        &gw,
        "/gatehouse/admin/users/add",
        &co,
        &[("name", "eve"), ("group", "1"), ("password", "pw")],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(group_of(&gw, "eve"), None);
    // cannot end an admin's session
    let (_, sessions) = get(&gw, "/gatehouse/admin/sessions", &co).await;
    let root_row = sessions
        .split("data-user=\"root\"")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or("");
    assert!(
        !root_row.contains("Sign out") && !root_row.contains("class=\"revoke\""),
        "{root_row}"
    );
    // the user page of an admin is read-only for a co-admin
    let (_, page) = get(&gw, &format!("/gatehouse/admin/users/{root_id}"), &co).await;
    assert!(
        page.contains("id=\"read-only\"") && !page.contains("id=\"lock\""),
        "{page}"
    );
    // but manages a user of group 4
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{alice_id}/group"),
        &co,
        &[("group", "power-user")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(group_of(&gw, "alice"), Some(3));
    let alice = login(&gw, "alice", ALICE_PW).await;
    get_status(&gw, "/app/", Some(&alice), false).await;
    assert_eq!(echo.last().header_all("X-WEBAUTH-GROUP"), ["3"]);
    wait_audit(
        &gw,
        &[
            "actor=\"co\"",
            "on=\"root\"",
            "result=\"refused\"",
            "co-admins manage users of group 2 and above only",
        ],
    )
    .await;
    wait_audit(
        &gw,
        &[
            "actor=\"co\"",
            "on=\"alice\"",
            "co-admins cannot grant group 0 or 1",
        ],
    )
    .await;
    assert!(
        !gw.log().contains("taken-over"),
        "a password reached the log"
    );
}

#[tokio::test]
async fn test_admin_last_admin_cannot_demote_lock_or_delete_themselves() {
    let (gw, _echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    let root_id = user_id(&gw, "root");
    for (action, form) in [
        ("group", vec![("group", "1")]),
        ("lock", vec![]),
        ("delete", vec![]),
    ] {
        let r = post(
            &gw,
            &format!("/gatehouse/admin/users/{root_id}/{action}"),
            &root,
            &form,
        )
        .await;
        assert_eq!(r.status(), 403, "{action}");
        assert!(r.text().await.unwrap().contains("this is the last admin"));
    }
    assert_eq!(group_of(&gw, "root"), Some(0));
    // with a second admin, the first may step down
    let alice_id = user_id(&gw, "alice");
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{alice_id}/group"),
        &root,
        &[("group", "0")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{root_id}/group"),
        &root,
        &[("group", "4")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(group_of(&gw, "root"), Some(4));
    assert_eq!(
        get(&gw, "/gatehouse/admin/users", &root).await.0,
        403,
        "no longer an admin, at once"
    );
    wait_audit(
        &gw,
        &["actor=\"root\"", "on=\"root\"", "this is the last admin"],
    )
    .await;
}

#[tokio::test]
async fn test_admin_old_debug_addresses_redirect() {
    let (gw, _echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    for (old, new) in [
        ("/gatehouse/debug/sso", "/gatehouse/admin/sso"),
        (
            "/gatehouse/debug/certs?format=json",
            "/gatehouse/admin/certs?format=json",
        ),
    ] {
        let r = client()
            .get(gw.url(old))
            .header("Cookie", &root)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 301, "{old}");
        assert_eq!(r.headers()["location"], new);
    }
    let (status, html) = get(&gw, "/gatehouse/admin/sso", &root).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"sso-plex\""), "{html}");
    assert_eq!(get(&gw, "/gatehouse/admin/certs", &root).await.0, 200);
}
