//! The portal and the user CLI through the real binary: first-admin setup,
//! home page, JSON API, locked users, live CLI changes, cookie Domain.

use crate::support::binary::client;
use crate::support::upstream::EchoServer;

use super::common::{
    add_user, builder, cli, cli_ok, get_status, login, login_form, protected, set_cookies,
    wait_status, COOKIE,
};

#[tokio::test]
async fn test_portal_setup_token_creates_first_admin() {
    let gw = builder("").start();
    let log = gw.log();
    let url = log
        .lines()
        .find_map(|l| l.split("No administrator yet. Create one at: ").nth(1))
        .expect("setup URL printed at start")
        .trim()
        .to_string();
    let token = url
        .split("token=")
        .nth(1)
        .expect("token in the setup URL")
        .to_string();
    assert!(url.starts_with(&gw.url("/gatehouse/setup?token=")), "{url}");
    let c = client();
    let wrong = c
        .get(gw.url("/gatehouse/setup?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    let short = c
        .post(gw.url("/gatehouse/setup"))
        .form(&[
            ("token", token.as_str()),
            ("username", "root"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400);
    let forged = c
        .post(gw.url("/gatehouse/setup"))
        .form(&[
            ("token", "nope"),
            ("username", "root"),
            ("password", "long enough pw"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let made = c
        .post(gw.url("/gatehouse/setup"))
        .form(&[
            ("token", token.as_str()),
            ("username", "root"),
            ("email", "root@example.com"),
            ("password", "long enough pw"),
        ])
        .send()
        .await
        .unwrap();
    assert!(made.status().is_redirection(), "{}", made.status());
    let cookie = login(&gw, "root", "long enough pw").await;
    let me: serde_json::Value = c
        .get(gw.url("/gatehouse/api/me"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["group"], 0);
    assert_eq!(
        c.get(&url).send().await.unwrap().status(),
        404,
        "one-time link"
    );
}

#[tokio::test]
async fn test_portal_home_lists_only_allowed_titles() {
    let echo = EchoServer::start();
    let mut toml = protected("adm", "/adm/", &echo.url(), "\"admin\"") + "title = \"AdminApp\"\n";
    toml += &(protected("usr", "/usr/", &echo.url(), "\"user\"") + "title = \"UserApp\"\n");
    toml += &(protected("pub", "/pub/", &echo.url(), "\"guest\"") + "title = \"GuestApp\"\n");
    let gw = builder(&toml).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let home = |cookie: Option<String>| {
        let gw = &gw;
        async move {
            let mut req = client().get(gw.url("/")).header("Accept", "text/html");
            if let Some(c) = cookie {
                req = req.header("Cookie", c);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.text().await.unwrap()
        }
    };
    let guest = home(None).await;
    assert!(
        guest.contains("GuestApp") && !guest.contains("UserApp") && !guest.contains("AdminApp")
    );
    let user = home(Some(login(&gw, "alice", "pw-alice").await)).await;
    assert!(user.contains("GuestApp") && user.contains("UserApp") && !user.contains("AdminApp"));
    assert!(
        !user.contains("http://") && !user.contains("https://"),
        "loads nothing from other hosts"
    );
}

#[tokio::test]
async fn test_portal_json_login_and_me() {
    let gw = builder("").start();
    add_user(&gw, "alice", "power-user", "pw-alice");
    let c = client();
    let api_login = |password: &'static str| {
        c.post(gw.url("/gatehouse/api/login"))
            .json(&serde_json::json!({"username": "alice", "password": password}))
            .send()
    };
    let bad = api_login("nope").await.unwrap();
    assert_eq!(bad.status(), 401);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "Wrong username or password.");
    let ok = api_login("pw-alice").await.unwrap();
    assert_eq!(ok.status(), 200);
    let cookie = set_cookies(&ok)[0].split(';').next().unwrap().to_string();
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"user": "alice", "email": "alice@example.com", "group": 3, "group_name": "power-user"})
    );
    let me = c
        .get(gw.url("/gatehouse/api/me"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.json::<serde_json::Value>().await.unwrap(), body);
    let anon = c.get(gw.url("/gatehouse/api/me")).send().await.unwrap();
    assert_eq!(anon.status(), 401);
}

#[tokio::test]
async fn test_portal_locked_user_cannot_sign_in() {
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    cli_ok(&gw, &["user", "lock", "alice"], "");
    let locked = login_form(&gw, "alice", "pw-alice", "/").await;
    assert_eq!(locked.status(), 401);
    assert!(locked
        .text()
        .await
        .unwrap()
        .contains("Wrong username or password."));
    cli_ok(&gw, &["user", "unlock", "alice"], "");
    let _ = login(&gw, "alice", "pw-alice").await;
}

#[tokio::test]
async fn test_cli_changes_apply_to_live_sessions() {
    let echo = EchoServer::start();
    let mut toml = protected("l0", "/l0/", &echo.url(), "0");
    toml += &protected("l4", "/l4/", &echo.url(), "4");
    let gw = builder(&toml).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let cookie = login(&gw, "alice", "pw-alice").await;
    assert_eq!(get_status(&gw, "/l4/", Some(&cookie), false).await, 200);
    assert_eq!(get_status(&gw, "/l0/", Some(&cookie), false).await, 403);
    cli_ok(&gw, &["user", "group", "alice", "7"], "");
    wait_status(&gw, "/l4/", Some(&cookie), 403).await;
    cli_ok(&gw, &["user", "group", "alice", "admin"], "");
    wait_status(&gw, "/l0/", Some(&cookie), 200).await;
    assert_eq!(echo.last().header("X-WEBAUTH-GROUP"), Some("0"));
    assert_eq!(echo.last().header("X-WEBAUTH-GROUP-NAME"), Some("admin"));
    cli_ok(
        &gw,
        &["user", "passwd", "alice", "--password-stdin"],
        "new-pw\n",
    );
    assert_eq!(
        login_form(&gw, "alice", "pw-alice", "/").await.status(),
        401
    );
    let _ = login(&gw, "alice", "new-pw").await;
    cli_ok(&gw, &["user", "del", "alice"], "");
    wait_status(&gw, "/l0/", Some(&cookie), 401).await;
}

#[tokio::test]
async fn test_cli_refuses_duplicates_and_unknown_users() {
    let gw = builder("").start();
    add_user(&gw, "alice", "user", "pw-alice");
    for args in [
        &["user", "add", "ALICE", "--password-stdin"][..],
        &[
            "user",
            "add",
            "bob",
            "--group",
            "nonsense",
            "--password-stdin",
        ],
        &["user", "add", "bob", "--group", "999", "--password-stdin"],
        &["user", "passwd", "nobody", "--password-stdin"],
        &["user", "lock", "nobody"],
        &["user", "group", "nobody", "user"],
        &["user", "del", "nobody"],
    ] {
        let out = cli(&gw, args, "pw-x\n");
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!out.stderr.is_empty(), "{args:?}: no error message");
    }
    let list = cli(&gw, &["user", "list"], "");
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("alice") && !text.contains("bob"), "{text}");
}

#[tokio::test]
async fn test_d21_cookie_domain_set_and_cleared_alike() {
    let gw = builder("[session]\ndomain = \".example.com\"\n").start();
    add_user(&gw, "alice", "user", "pw-alice");
    let resp = login_form(&gw, "alice", "pw-alice", "/").await;
    let set = set_cookies(&resp).join("\n").to_ascii_lowercase();
    assert!(
        set.contains("domain=.example.com") || set.contains("domain=example.com"),
        "{set}"
    );
    let cookie = super::common::session_cookie(&resp).unwrap();
    let out = client()
        .post(gw.url("/gatehouse/logout"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    let removal = set_cookies(&out)
        .into_iter()
        .find(|c| c.starts_with(&format!("{COOKIE}=")))
        .expect("removal cookie")
        .to_ascii_lowercase();
    let domain = |s: &str| {
        s.split(';')
            .map(str::trim)
            .find(|a| a.starts_with("domain="))
            .map(str::to_string)
    };
    assert_eq!(domain(&removal), domain(&set), "{removal}");
    assert!(removal.contains("path=/"));
}

#[tokio::test]
async fn test_d21_public_suffix_cookie_domain_refused() {
    let err = builder("[session]\ndomain = \".duckdns.org\"\n")
        .try_start()
        .expect_err("a public-suffix cookie domain must not start");
    assert!(err.log.contains("duckdns.org"), "{}", err.log);
}
