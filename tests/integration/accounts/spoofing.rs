//! docs/docs/security.md A1–A5: identity headers sent by the client never reach the
//! upstream, on protected, guest and `auth = "none"` routes.

use crate::support::binary::{client, Gateway};
use crate::support::upstream::EchoServer;

use super::common::{add_user, builder, cli, insert_bcrypt_user, login, protected};

/// Forged identity headers (name, value) a client might send.
const FORGED: [(&str, &str); 12] = [
    ("X-WEBAUTH-USER", "admin"),
    ("x-webauth-user", "admin2"),
    ("X-Webauth-User", "admin3"),
    ("X_WEBAUTH_USER", "admin4"),
    ("X-WEBAUTH-EMAIL", "admin@evil"),
    ("Remote-User", "admin"),
    ("X-Forwarded-User", "admin"),
    ("X-Organizr-User", "admin"),
    ("X-Organizr-Group", "0"),
    ("X-authentik-username", "admin"),
    ("Cf-Access-Jwt-Assertion", "forged.jwt.value"),
    ("X_WEBAUTH_GROUP", "0"),
];

fn routes(echo: &EchoServer) -> String {
    let url = echo.url();
    let mut t = protected("app", "/app/", &url, "\"user\"");
    t += &protected("guest", "/guest/", &url, "\"guest\"");
    t += &format!(
        "[[route]]\nname = \"open\"\npath = \"/open/\"\nupstream = [{url:?}]\nauth = \"none\"\n"
    );
    t
}

/// Sends every forged header (plus a duplicate X-WEBAUTH-USER) to `path`.
async fn forged_get(gw: &Gateway, path: &str, cookie: Option<&str>) -> u16 {
    let mut req = client().get(gw.url(path));
    for (n, v) in FORGED {
        req = req.header(n, v);
    }
    req = req.header("X-WEBAUTH-USER", "admin-duplicate");
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    req.send().await.expect("forged request").status().as_u16()
}

/// The upstream's last request carries none of the forged values.
fn assert_no_forged(echo: &EchoServer) {
    let seen = echo.last();
    for (name, _) in &seen.headers {
        let n = name.to_ascii_lowercase().replace('_', "-");
        let forged = FORGED
            .iter()
            .any(|(f, _)| f.to_ascii_lowercase().replace('_', "-") == n);
        let ours = matches!(
            n.as_str(),
            "x-webauth-user" | "x-webauth-email" | "x-webauth-group" | "x-webauth-group-name"
        );
        assert!(
            !forged || ours,
            "forged header {name} reached the upstream: {:?}",
            seen.headers
        );
    }
    for (_, value) in &seen.headers {
        assert!(
            !value.contains("admin") && value != "0" && !value.contains("forged"),
            "a forged value reached the upstream: {:?}",
            seen.headers
        );
    }
}

#[tokio::test]
async fn test_a1_forged_identity_unauthenticated() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo)).start();
    assert_eq!(forged_get(&gw, "/app/", None).await, 401);
    assert!(
        echo.requests().is_empty(),
        "a protected route let a forged identity through"
    );
    // A guest route lets the signed-out request through, stripped.
    assert_eq!(forged_get(&gw, "/guest/", None).await, 200);
    assert_no_forged(&echo);
    assert_eq!(echo.last().header("X-WEBAUTH-USER"), None);
}

#[tokio::test]
async fn test_a2_forged_identity_authenticated_session_wins() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo)).start();
    add_user(&gw, "bob", "user", "pw-bob");
    let cookie = login(&gw, "bob", "pw-bob").await;
    for path in ["/app/", "/guest/"] {
        assert_eq!(forged_get(&gw, path, Some(&cookie)).await, 200);
        assert_no_forged(&echo);
        let seen = echo.last();
        assert_eq!(seen.header_all("X-WEBAUTH-USER"), ["bob"], "{path}");
        assert_eq!(seen.header_all("X-WEBAUTH-EMAIL"), ["bob@example.com"]);
        assert_eq!(seen.header_all("X-WEBAUTH-GROUP"), ["4"]);
    }
}

#[tokio::test]
async fn test_a3_forged_identity_stripped_on_auth_none_route() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo)).start();
    add_user(&gw, "bob", "user", "pw-bob");
    assert_eq!(forged_get(&gw, "/open/", None).await, 200);
    assert_no_forged(&echo);
    let cookie = login(&gw, "bob", "pw-bob").await;
    assert_eq!(forged_get(&gw, "/open/", Some(&cookie)).await, 200);
    assert_no_forged(&echo);
    assert_eq!(
        echo.last().header("X-WEBAUTH-USER"),
        None,
        "auth = none injects nothing"
    );
}

#[tokio::test]
async fn test_a4_underscore_case_and_duplicate_variants_stripped() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo)).start();
    let resp = client()
        .get(gw.url("/open/x"))
        .header("X_WEBAUTH_USER", "admin")
        .header("x_webauth_user", "admin")
        .header("X-WEBAUTH-user", "admin")
        .header("x-webauth-user", "admin")
        .header("X_Organizr_User", "admin")
        .header("REMOTE_USER", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_no_forged(&echo);
    assert!(echo.last().header_all("x-webauth-user").is_empty());
}

#[tokio::test]
async fn test_a5_crlf_username_refused_by_cli() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo)).start();
    for name in [
        "evil\r\nX-Injected: 1",
        "evil\nX-Injected: 1",
        "evil\x07bell",
        "evil\ttab",
    ] {
        let out = cli(&gw, &["user", "add", name, "--password-stdin"], "pw-evil\n");
        assert!(!out.status.success(), "user {name:?} was created");
    }
}

#[tokio::test]
async fn test_a5_crlf_username_in_store_never_emitted_as_header() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo)).start();
    let name = "evil\r\nX-Injected: yes";
    insert_bcrypt_user(&gw, name, 4, "pw-evil");
    let resp = client()
        .post(gw.url("/gatehouse/login"))
        .form(&[("username", name), ("password", "pw-evil")])
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let Some(cookie) = super::common::session_cookie(&resp) else {
        // Refusing such a user outright is also safe.
        assert_eq!(status, 401);
        eprintln!("the gateway refuses to sign in a user with CRLF in the name");
        return;
    };
    assert_eq!(forged_get(&gw, "/app/", Some(&cookie)).await, 200);
    let seen = echo.last();
    assert_eq!(
        seen.header("X-Injected"),
        None,
        "header injection: {:?}",
        seen.headers
    );
    for (n, v) in &seen.headers {
        assert!(
            !v.chars().any(char::is_control),
            "control character in {n}: {v:?}"
        );
    }
}

#[tokio::test]
async fn test_a6_oversized_and_non_ascii_identity_values() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo)).start();
    let email = format!("{}@example.com", "e".repeat(3000));
    super::common::cli_ok(
        &gw,
        &[
            "user",
            "add",
            "longmail",
            "--email",
            &email,
            "--password-stdin",
        ],
        "pw-long\n",
    );
    let cookie = login(&gw, "longmail", "pw-long").await;
    assert_eq!(forged_get(&gw, "/app/", Some(&cookie)).await, 200);
    assert_eq!(echo.last().header_all("X-WEBAUTH-EMAIL"), [email.as_str()]);

    add_user(&gw, "zoë", "user", "pw-zoe");
    let cookie = login(&gw, "zoë", "pw-zoe").await;
    assert_eq!(forged_get(&gw, "/app/", Some(&cookie)).await, 200);
    let seen = echo.last();
    let user = seen.header_all("X-WEBAUTH-USER");
    assert!(
        user.is_empty() || user == ["zoë"],
        "non-ASCII user emitted as {user:?}"
    );
}
