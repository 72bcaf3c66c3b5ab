//! Users: list and search, add, group change, lock/unlock, new password,
//! delete — each reaching the user's live sessions on their next request.

use super::*;

#[tokio::test]
async fn test_admin_users_add_search_and_show() {
    let (gw, _echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    let alice = login(&gw, "alice", ALICE_PW).await;
    let resp = post(
        &gw,
        "/gatehouse/admin/users/add",
        &root,
        &[
            ("name", "bob"),
            ("email", "bob@example.com"),
            ("group", "3"),
            ("password", "bob-new-pw"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let bob_id = user_id(&gw, "bob");
    assert_eq!(
        resp.headers()["location"],
        format!("/gatehouse/admin/users/{bob_id}?done=added")
    );
    assert_eq!(group_of(&gw, "bob"), Some(3));
    login(&gw, "bob", "bob-new-pw").await;
    // the list: every user, then only the matches of ?q=
    let (status, html) = get(&gw, "/gatehouse/admin/users", &root).await;
    assert_eq!(status, 200);
    for name in ["root", "co", "alice", "bob"] {
        assert!(
            html.contains(&format!("data-user=\"{name}\"")),
            "{name}: {html}"
        );
    }
    let (_, found) = get(&gw, "/gatehouse/admin/users?q=BOB%40example", &root).await;
    assert!(
        found.contains("data-user=\"bob\"") && !found.contains("data-user=\"alice\""),
        "{found}"
    );
    // one user's page: group, last sign-in, live sessions, Plex link
    let (_, page) = get(
        &gw,
        &format!("/gatehouse/admin/users/{}", user_id(&gw, "alice")),
        &root,
    )
    .await;
    assert!(page.contains("id=\"user-group\">user (4)</td>"), "{page}");
    assert!(page.contains("id=\"user-sessions\">1</td>"), "{page}");
    assert!(page.contains("not linked"), "{page}");
    let last: Option<i64> = db_last_signin(&gw, "alice");
    assert!(last.is_some(), "last sign-in recorded");
    drop(alice);
    // a duplicate name is refused
    let dup = post(
        &gw,
        "/gatehouse/admin/users/add",
        &root,
        &[
            ("name", "BOB"),
            ("email", ""),
            ("group", "4"),
            ("password", "x"),
        ],
    )
    .await;
    assert_eq!(dup.status(), 400);
    wait_audit(
        &gw,
        &[
            "actor=\"root\"",
            "add user (group 3)",
            "on=\"bob\"",
            "result=\"ok\"",
        ],
    )
    .await;
}

fn db_last_signin(gw: &crate::support::binary::Gateway, name: &str) -> Option<i64> {
    crate::support::accounts::db(gw)
        .query_row(
            "SELECT last_signin FROM users WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .expect("last_signin")
}

#[tokio::test]
async fn test_admin_group_change_lock_unlock_take_effect_on_next_request() {
    let (gw, echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    let alice = login(&gw, "alice", ALICE_PW).await;
    let id = user_id(&gw, "alice");
    assert_eq!(get_status(&gw, "/app/", Some(&alice), false).await, 200);
    assert_eq!(echo.last().header_all("X-WEBAUTH-GROUP"), ["4"]);
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{id}/group"),
        &root,
        &[("group", "2")],
    )
    .await;
    assert_eq!(r.status(), 303);
    // the very next request carries the new group
    assert_eq!(get_status(&gw, "/app/", Some(&alice), false).await, 200);
    assert_eq!(echo.last().header_all("X-WEBAUTH-GROUP"), ["2"]);
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{id}/lock"),
        &root,
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        get_status(&gw, "/app/", Some(&alice), false).await,
        401,
        "locked: signed out"
    );
    let refused = crate::support::accounts::login_form(&gw, "alice", ALICE_PW, "/").await;
    assert!(
        session_cookie(&refused).is_none(),
        "a locked user cannot sign in"
    );
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{id}/unlock"),
        &root,
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    let again = login(&gw, "alice", ALICE_PW).await;
    assert_eq!(get_status(&gw, "/app/", Some(&again), false).await, 200);
    wait_audit(&gw, &["action=\"group 4 -> 2\"", "on=\"alice\""]).await;
    wait_audit(&gw, &["action=\"lock\"", "on=\"alice\""]).await;
    wait_audit(&gw, &["action=\"unlock\"", "on=\"alice\""]).await;
}

#[tokio::test]
async fn test_admin_new_password_and_delete_end_sessions() {
    let (gw, _echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    let alice = login(&gw, "alice", ALICE_PW).await;
    let id = user_id(&gw, "alice");
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{id}/password"),
        &root,
        &[("password", "alice-brand-new")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(get_status(&gw, "/app/", Some(&alice), false).await, 401);
    let alice = login(&gw, "alice", "alice-brand-new").await;
    assert_eq!(get_status(&gw, "/app/", Some(&alice), false).await, 200);
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{id}/delete"),
        &root,
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/gatehouse/admin/users?done=deleted"
    );
    assert_eq!(get_status(&gw, "/app/", Some(&alice), false).await, 401);
    assert_eq!(group_of(&gw, "alice"), None);
    wait_audit(&gw, &["action=\"password\"", "on=\"alice\""]).await;
    wait_audit(&gw, &["action=\"delete\"", "on=\"alice\""]).await;
    let log = gw.log();
    for secret in ["alice-brand-new", ALICE_PW, ROOT_PW] {
        assert!(!log.contains(secret), "a password reached the log");
    }
}

#[tokio::test]
async fn test_admin_xss_user_name_is_shown_as_text() {
    let (gw, _echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    let evil = "<img src=x onerror=alert(1)>";
    let r = post(
        &gw,
        "/gatehouse/admin/users/add",
        &root,
        &[
            ("name", evil),
            ("email", "\"><script>x</script>"),
            ("group", "4"),
            ("password", "pw-evil"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id = user_id(&gw, evil);
    login(&gw, evil, "pw-evil").await;
    for path in [
        "/gatehouse/admin/users".to_string(),
        format!("/gatehouse/admin/users/{id}"),
        "/gatehouse/admin/sessions".to_string(),
        "/gatehouse/admin/users?q=%3Cimg".to_string(),
    ] {
        let (status, html) = get(&gw, &path, &root).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !html.contains("<img") && !html.contains("<script>x"),
            "{path}: {html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}: {html}"
        );
    }
}
