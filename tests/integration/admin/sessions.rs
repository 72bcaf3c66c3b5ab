//! Sessions: the list (user, client, user agent, times, remember-me) and
//! ending one or all of a user's — the ended browser is signed out on its
//! next request.

use super::*;

async fn login_as_browser(
    gw: &crate::support::binary::Gateway,
    user: &str,
    pw: &str,
    agent: &str,
) -> String {
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .header("User-Agent", agent)
        .form(&[
            ("username", user),
            ("password", pw),
            ("rd", "/"),
            ("remember", "1"),
        ])
        .send()
        .await
        .expect("sign in");
    session_cookie(&resp).expect("a session")
}

/// The `data-session` ids of a page, in order.
fn session_ids(html: &str) -> Vec<String> {
    html.split("data-session=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn test_admin_sessions_list_and_revoke_one_then_all() {
    let (gw, _echo) = start();
    let root = login(&gw, "root", ROOT_PW).await;
    let first = login_as_browser(&gw, "alice", ALICE_PW, "TestBrowser/1.0 (first)").await;
    let second = login_as_browser(&gw, "alice", ALICE_PW, "TestBrowser/2.0 <b>second</b>").await;
    let (status, html) = get(&gw, "/gatehouse/admin/sessions", &root).await;
    assert_eq!(status, 200);
    assert!(html.contains("TestBrowser/1.0 (first)"), "{html}");
    assert!(
        html.contains("TestBrowser/2.0 &lt;b&gt;second&lt;/b&gt;"),
        "escaped: {html}"
    );
    assert!(
        html.contains("<td>127.0.0.1</td>"),
        "client address: {html}"
    );
    assert!(html.contains("<td>yes</td>"), "remember me: {html}");
    assert_eq!(session_ids(&html).len(), 3, "root and alice twice");
    // the newest first: alice's second session
    let id = user_id(&gw, "alice");
    let (_, page) = get(&gw, &format!("/gatehouse/admin/users/{id}"), &root).await;
    let ids = session_ids(&page);
    assert_eq!(ids.len(), 2, "{page}");
    let r = post(
        &gw,
        "/gatehouse/admin/sessions/revoke",
        &root,
        &[("id", &ids[0]), ("from", &id.to_string())],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/gatehouse/admin/users/{id}?done=revoked")
    );
    // exactly one of the two is signed out, on its next request
    let a = get_status(&gw, "/app/", Some(&first), false).await;
    let b = get_status(&gw, "/app/", Some(&second), false).await;
    assert_eq!((a.min(b), a.max(b)), (200, 401));
    let stored: i64 = crate::support::accounts::db(&gw)
        .query_row(
            "SELECT count(*) FROM sessions WHERE user_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 1, "removed from the store too");
    let r = post(
        &gw,
        &format!("/gatehouse/admin/users/{id}/revoke"),
        &root,
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(get_status(&gw, "/app/", Some(&first), false).await, 401);
    assert_eq!(get_status(&gw, "/app/", Some(&second), false).await, 401);
    assert_eq!(
        get_status(&gw, "/gatehouse/admin/sessions", Some(&root), false).await,
        200,
        "root keeps hers"
    );
    wait_audit(&gw, &["action=\"end session\"", "on=\"alice\""]).await;
    wait_audit(&gw, &["action=\"revoke\"", "on=\"alice\""]).await;
}

#[tokio::test]
async fn test_admin_routes_page_shows_config_and_upstream_health() {
    let echo = crate::support::upstream::EchoServer::start();
    let dead = crate::support::ports::free_port();
    let route = format!(
        "[[route]]\nname = \"media\"\npath = \"/media/\"\nupstream = [\"http://127.0.0.1:{dead}\", {:?}]\n\
         auth = \"user\"\nsso = [\"ombi\"]\nidentity_headers = {{ \"X-WEBAUTH-USER\" = \"username\" }}\n",
        echo.url()
    );
    let gw = crate::support::accounts::builder(&route).start();
    crate::support::accounts::add_user(&gw, "root", "admin", ROOT_PW);
    let root = login(&gw, "root", ROOT_PW).await;
    assert_eq!(get_status(&gw, "/media/x", Some(&root), false).await, 200);
    let (status, html) = get(&gw, "/gatehouse/admin/routes", &root).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-route=\"media\""), "{html}");
    assert!(
        html.contains("/media/") && html.contains("user (4)"),
        "{html}"
    );
    assert!(
        html.contains("ombi") && html.contains("x-webauth-user: username"),
        "{html}"
    );
    let dead_row = html
        .split(&format!("data-upstream=\"127.0.0.1:{dead}\""))
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row of the dead upstream: {html}"));
    assert!(dead_row.contains("connect failed at "), "{dead_row}");
    assert!(dead_row.contains("class=\"failovers\">1<"), "{dead_row}");
    let live_row = html
        .split(&format!("data-upstream=\"{}\"", echo.addr()))
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row of the live upstream: {html}"));
    assert!(live_row.contains("class=\"last-success\">20"), "{live_row}");
    assert!(live_row.contains("class=\"failovers\">0<"), "{live_row}");
}
