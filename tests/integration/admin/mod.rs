//! The admin pages and the account page through the real gateway (issue
//! 15, "Admin pages"): every change over real HTTP, co-admin rules, CSRF
//! refusals, escaping, revocation on the next request, audit lines.

mod account;
mod rules;
mod sessions;
mod users;

use crate::support::accounts::{add_user, builder, db, protected};
use crate::support::binary::{client, Gateway};
use crate::support::upstream::EchoServer;

pub use crate::support::accounts::{get_status, login, session_cookie, WITHIN};

/// Passwords of the three users every test starts with.
pub const ROOT_PW: &str = "root-secret-pw";
pub const CO_PW: &str = "co-secret-pw";
pub const ALICE_PW: &str = "alice-secret-pw";

/// A gateway with route `/app/` (group 4) to an echo upstream, and users
/// `root` (admin), `co` (co-admin) and `alice` (user).
pub fn start() -> (Gateway, EchoServer) {
    let echo = EchoServer::start();
    let gw = builder(&protected("app", "/app/", &echo.url(), "\"user\"")).start();
    add_user(&gw, "root", "admin", ROOT_PW);
    add_user(&gw, "co", "co-admin", CO_PW);
    add_user(&gw, "alice", "user", ALICE_PW);
    (gw, echo)
}

/// `GET path` with a cookie: status and body.
pub async fn get(gw: &Gateway, path: &str, cookie: &str) -> (u16, String) {
    let resp = client()
        .get(gw.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("GET");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// A same-origin form POST (as a browser sends it from the page).
pub async fn post(
    gw: &Gateway,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    post_with(gw, path, cookie, form, &[("Sec-Fetch-Site", "same-origin")]).await
}

/// A form POST with extra headers.
pub async fn post_with(
    gw: &Gateway,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client()
        .post(gw.url(path))
        .header("Cookie", cookie)
        .form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("POST")
}

/// The id of user `name`.
pub fn user_id(gw: &Gateway, name: &str) -> i64 {
    db(gw)
        .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
        .expect("user id")
}

/// The group of user `name`, or `None` when deleted.
pub fn group_of(gw: &Gateway, name: &str) -> Option<i64> {
    db(gw)
        .query_row("SELECT grp FROM users WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .ok()
}

/// The gateway's audit lines so far.
pub fn audit_lines(gw: &Gateway) -> Vec<String> {
    gw.log()
        .lines()
        .filter(|l| l.contains("gatehouse::audit"))
        .map(str::to_string)
        .collect()
}

/// Waits until an audit line contains every one of `needles`; the line.
pub async fn wait_audit(gw: &Gateway, needles: &[&str]) -> String {
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        if let Some(l) = audit_lines(gw)
            .into_iter()
            .find(|l| needles.iter().all(|n| l.contains(n)))
        {
            return l;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no audit line with {needles:?}; audit lines:\n{}",
            audit_lines(gw).join("\n")
        );
        tokio::time::sleep(crate::support::accounts::POLL).await;
    }
}
