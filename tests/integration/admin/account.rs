//! `{portal}/account`: change the password (current one required; other
//! sessions end, this one stays), list and end one's own sessions.

use super::*;

#[tokio::test]
async fn test_account_password_change_ends_other_sessions_keeps_this_one() {
    let (gw, _echo) = start();
    let here = login(&gw, "alice", ALICE_PW).await;
    let other = login(&gw, "alice", ALICE_PW).await;
    let (status, page) = get(&gw, "/gatehouse/account", &here).await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("data-session=").count(), 2, "{page}");
    assert!(page.contains("id=\"this-session\""), "{page}");
    // a wrong current password changes nothing
    let r = post(
        &gw,
        "/gatehouse/account/password",
        &here,
        &[("current", "wrong"), ("new", "alice-next")],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(get_status(&gw, "/app/", Some(&other), false).await, 200);
    let r = post(
        &gw,
        "/gatehouse/account/password",
        &here,
        &[("current", ALICE_PW), ("new", "alice-next")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/gatehouse/account?done=password");
    assert_eq!(
        get_status(&gw, "/app/", Some(&other), false).await,
        401,
        "the other session ended"
    );
    assert_eq!(
        get_status(&gw, "/app/", Some(&here), false).await,
        200,
        "this one stays"
    );
    login(&gw, "alice", "alice-next").await;
    let refused = crate::support::accounts::login_form(&gw, "alice", ALICE_PW, "/").await;
    assert!(
        session_cookie(&refused).is_none(),
        "the old password is gone"
    );
    wait_audit(
        &gw,
        &["actor=\"alice\"", "change own password", "result=\"ok\""],
    )
    .await;
    wait_audit(
        &gw,
        &[
            "actor=\"alice\"",
            "wrong current password",
            "result=\"refused\"",
        ],
    )
    .await;
    let log = gw.log();
    assert!(
        !log.contains("alice-next") && !log.contains(ALICE_PW),
        "a password reached the log"
    );
}

#[tokio::test]
async fn test_account_end_one_and_all_other_sessions() {
    let (gw, _echo) = start();
    let here = login(&gw, "alice", ALICE_PW).await;
    let a = login(&gw, "alice", ALICE_PW).await;
    let b = login(&gw, "alice", ALICE_PW).await;
    let (_, page) = get(&gw, "/gatehouse/account", &here).await;
    // the id of a session that is not this one: the first End button's
    let id = page
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("an End button")
        .to_string();
    let r = post(
        &gw,
        "/gatehouse/account/sessions/end",
        &here,
        &[("id", &id)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let left = [a.clone(), b.clone()];
    let mut statuses = Vec::new();
    for c in &left {
        statuses.push(get_status(&gw, "/app/", Some(c), false).await);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401]);
    // a session of someone else cannot be ended from here
    let root = login(&gw, "root", ROOT_PW).await;
    let (_, root_page) = get(&gw, "/gatehouse/account", &root).await;
    let root_id = root_page
        .split("data-session=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = post(
        &gw,
        "/gatehouse/account/sessions/end",
        &here,
        &[("id", &root_id)],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(get_status(&gw, "/app/", Some(&root), false).await, 200);
    let r = post(&gw, "/gatehouse/account/sessions/end-others", &here, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(get_status(&gw, "/app/", Some(&a), false).await, 401);
    assert_eq!(get_status(&gw, "/app/", Some(&b), false).await, 401);
    assert_eq!(get_status(&gw, "/app/", Some(&here), false).await, 200);
    wait_audit(&gw, &["actor=\"alice\"", "end own other sessions"]).await;
}
