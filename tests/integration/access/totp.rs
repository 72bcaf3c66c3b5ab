//! TOTP through the real binary (docs/security.md H42): enrolment with a
//! QR code and the otpauth URI, sign-in with a computed code, a reused code
//! refused, ±1 step of skew accepted and ±2 refused, recovery codes once,
//! the half-signed-in state bound to its browser and gone after 5 minutes,
//! wrong codes leading to the ban.

use std::time::Duration;

use crate::support::upstream::EchoServer;

use super::common::*;

fn config(echo: &EchoServer, login_extra: &str) -> String {
    format!(
        "[login]\n{login_extra}\n\n{}",
        protected("app", "/app/", &echo.url(), "\"user\"")
    )
}

async fn me(gw: &crate::support::binary::Gateway, cookie: &str) -> u16 {
    get_status(gw, "/gatehouse/api/me", Some(cookie), false).await
}

#[tokio::test]
async fn test_h42_totp_enrol_sign_in_reuse_skew_and_recovery_codes() {
    let echo = EchoServer::start();
    let mut clock = Clock::new();
    let gw = clock
        .attach(builder(&config(&echo, "max_failures = 50")))
        .start();
    add_user(&gw, "alice", "user", "pw-alice");
    let first = login(&gw, "alice", "pw-alice").await;
    let page = get_with(&gw, "/gatehouse/account/security", &first).await;
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("id=\"totp-status\">Off."));

    let s = clock.jump_to_step(&gw, 0).await;
    let (secret, recovery, rotated) = enrol_totp(&gw, &first, s).await;
    assert_eq!(
        me(&gw, &first).await,
        401,
        "enrolment replaced the session token"
    );
    assert_eq!(me(&gw, &rotated).await, 200);
    let page = get_with(&gw, "/gatehouse/account/security", &rotated).await;
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("On. 10 unused recovery codes."));

    // The code that confirmed the enrolment is used: refused at sign-in.
    let pending = password_step(&gw, "alice", "pw-alice", "/app/after").await;
    let reused = code_step(&gw, &pending, &code(&secret, s)).await;
    assert_eq!(reused.status(), 401, "reused code");
    assert!(session_cookie(&reused).is_none());

    // Five steps later: -2 refused, -1 accepted.
    let s = clock.jump_to_step(&gw, 120).await;
    let too_old = code_step(&gw, &pending, &code(&secret, s - 2)).await;
    assert_eq!(too_old.status(), 401, "two steps behind");
    let ok = code_step(&gw, &pending, &code(&secret, s - 1)).await;
    assert_eq!(ok.status(), 302, "one step behind");
    assert_eq!(ok.headers()["location"], "/app/after");
    let session = session_cookie(&ok).expect("session after the second factor");
    assert_eq!(get_status(&gw, "/app/x", Some(&session), false).await, 200);
    assert_eq!(echo.last().header("x-webauth-user"), Some("alice"));
    assert!(
        set_cookies(&ok)
            .iter()
            .any(|c| c.starts_with("gatehouse_2fa=;") && c.contains("Max-Age=0")),
        "the half-signed-in cookie is removed: {:?}",
        set_cookies(&ok)
    );
    // The state was used: the same cookie cannot sign in again.
    let again = code_step(&gw, &pending, &code(&secret, s)).await;
    assert_eq!(again.status(), 401);
    assert!(session_cookie(&again).is_none());

    // +2 refused, +1 accepted, then that code is used.
    let pending = password_step(&gw, "alice", "pw-alice", "/").await;
    assert_eq!(
        code_step(&gw, &pending, &code(&secret, s + 2))
            .await
            .status(),
        401,
        "two ahead"
    );
    assert_eq!(
        code_step(&gw, &pending, &code(&secret, s + 1))
            .await
            .status(),
        302,
        "one ahead"
    );
    let pending = password_step(&gw, "alice", "pw-alice", "/").await;
    assert_eq!(
        code_step(&gw, &pending, &code(&secret, s + 1))
            .await
            .status(),
        401,
        "replayed"
    );
    assert_eq!(
        code_step(&gw, &pending, &code(&secret, s)).await.status(),
        401,
        "older than the last"
    );

    // A recovery code works once (spaces and case do not matter).
    let typed = recovery[3].to_uppercase().replace('-', " ");
    assert_eq!(code_step(&gw, &pending, &typed).await.status(), 302);
    let pending = password_step(&gw, "alice", "pw-alice", "/").await;
    assert_eq!(
        code_step(&gw, &pending, &recovery[3]).await.status(),
        401,
        "used up"
    );
    assert_eq!(code_step(&gw, &pending, &recovery[4]).await.status(), 302);
    let stored: i64 = db(&gw)
        .query_row("SELECT count(*) FROM recovery_codes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 8);
    let plain: i64 = db(&gw)
        .query_row(
            "SELECT count(*) FROM recovery_codes WHERE code_hash = ?1",
            [recovery[5].as_bytes()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(plain, 0, "stored hashed");
    let log = gw.log();
    assert!(
        !log.contains(&secret),
        "the TOTP secret never reaches the log"
    );
    assert!(!recovery.iter().any(|c| log.contains(c.as_str())));
}

#[tokio::test]
async fn test_h42_half_signed_in_state_is_bound_to_the_browser_and_expires() {
    let echo = EchoServer::start();
    let mut clock = Clock::new();
    let gw = clock
        .attach(builder(&config(&echo, "max_failures = 50")))
        .start();
    add_user(&gw, "bob", "user", "pw-bob");
    let first = login(&gw, "bob", "pw-bob").await;
    let s = clock.jump_to_step(&gw, 0).await;
    let (secret, _, _) = enrol_totp(&gw, &first, s).await;

    let s = clock.jump_to_step(&gw, 30).await;
    let pending = password_step(&gw, "bob", "pw-bob", "/").await;
    // Another browser (no cookie, or a made-up one) cannot take the step.
    let other = code_step(
        &gw,
        "gatehouse_2fa=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &code(&secret, s),
    )
    .await;
    assert_eq!(other.status(), 401);
    assert!(other.text().await.unwrap().contains("Sign in again"));
    let none = code_step(&gw, "", &code(&secret, s)).await;
    assert_eq!(none.status(), 401);
    // Cross-site POSTs are refused outright.
    let cross = crate::support::binary::client()
        .post(gw.url("/gatehouse/2fa"))
        .header("Cookie", &pending)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("code", code(&secret, s))])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // The code page works with the cookie…
    let page = get_with(&gw, "/gatehouse/2fa", &pending).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"code\""));
    // …until five minutes have passed: then even the right code is refused.
    advance(&mut clock, &gw, Duration::from_secs(301)).await;
    let s = clock.now() / 30;
    let late = code_step(&gw, &pending, &code(&secret, s)).await;
    assert_eq!(late.status(), 401);
    assert!(session_cookie(&late).is_none());
    let cookie =
        cookie_named(&login_form(&gw, "bob", "pw-bob", "/").await, PENDING_COOKIE).unwrap();
    let flags = set_cookies(&login_form(&gw, "bob", "pw-bob", "/").await)
        .into_iter()
        .find(|c| c.starts_with("gatehouse_2fa="))
        .unwrap();
    assert!(
        flags.contains("HttpOnly")
            && flags.contains("SameSite=Strict")
            && flags.contains("Path=/gatehouse")
            && flags.contains("Max-Age=300"),
        "{flags}"
    );
    assert_eq!(
        code_step(&gw, &cookie, &code(&secret, s)).await.status(),
        302
    );
}

#[tokio::test]
async fn test_h42_wrong_codes_ban_the_user_and_the_ip() {
    let echo = EchoServer::start();
    let mut clock = Clock::new();
    let gw = clock
        .attach(builder(&config(
            &echo,
            "max_failures = 3\nwindow = \"10m\"\nban = \"10m\"",
        )))
        .start();
    add_user(&gw, "carol", "user", "pw-carol");
    let first = login(&gw, "carol", "pw-carol").await;
    let s = clock.jump_to_step(&gw, 0).await;
    let (secret, _, _) = enrol_totp(&gw, &first, s).await;
    let s = clock.jump_to_step(&gw, 30).await;
    let pending = password_step(&gw, "carol", "pw-carol", "/").await;
    for wrong in ["000000", "111111", "222222", "333333"] {
        let wrong = if wrong == code(&secret, s) {
            "444444"
        } else {
            wrong
        };
        assert_eq!(code_step(&gw, &pending, wrong).await.status(), 401);
    }
    gw.wait_log("login banned after repeated failures", WITHIN)
        .await;
    // Banned: the right code is refused, and so is the password.
    assert_eq!(
        code_step(&gw, &pending, &code(&secret, s)).await.status(),
        401
    );
    let password = login_form(&gw, "carol", "pw-carol", "/").await;
    assert_eq!(
        password.status(),
        401,
        "the ban covers the password sign-in too"
    );
    let bans: i64 = db(&gw)
        .query_row(
            "SELECT count(*) FROM bans WHERE key IN ('carol', '127.0.0.1')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bans, 2, "user and IP banned, and stored");
}

#[tokio::test]
async fn test_required_second_factor_enrols_at_sign_in() {
    let echo = EchoServer::start();
    let mut clock = Clock::new();
    let gw = clock
        .attach(builder(&config(&echo, "second_factor = \"required\"")))
        .start();
    add_user(&gw, "dave", "user", "pw-dave");
    let pending = password_step(&gw, "dave", "pw-dave", "/app/in").await;
    let page = get_with(&gw, "/gatehouse/2fa", &pending).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("Set up a second factor") && html.contains("<svg id=\"totp-qr\""));
    let secret = between(&html, "id=\"totp-secret\">", "<")
        .unwrap()
        .to_string();
    let s = clock.jump_to_step(&gw, 0).await;
    assert_eq!(code_step(&gw, &pending, "000001").await.status(), 401);
    let done = code_step(&gw, &pending, &code(&secret, s)).await;
    assert_eq!(done.status(), 200);
    let session = session_cookie(&done).expect("signed in after enrolling");
    let html = done.text().await.unwrap();
    assert!(html.contains("href=\"/app/in\""), "continue to rd");
    assert_eq!(get_status(&gw, "/app/in", Some(&session), false).await, 200);
    // With "off", nobody is asked and enrolment is not offered.
    let off = clock
        .attach(builder(&config(&echo, "second_factor = \"off\"")))
        .data_dir(&gw.dir().join("data"))
        .start();
    let direct = login_form(&off, "dave", "pw-dave", "/").await;
    assert_eq!(direct.status(), 302);
    assert!(session_cookie(&direct).is_some());
}

#[tokio::test]
async fn test_organizr_two_factor_secret_survives_the_import() {
    // The Organizr fixture with a Google Authenticator secret for carol.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/organizr");
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("organizr.db");
    std::fs::copy(src.join("organizr.db"), &org).unwrap();
    let secret = "JBSWY3DPEHPK3PXP";
    rusqlite::Connection::open(&org)
        .unwrap()
        .execute(
            "UPDATE users SET auth_service = ?1 WHERE username = 'carol'",
            [format!("google::{secret}")],
        )
        .unwrap();
    let mut clock = Clock::new();
    let gw = clock.attach(builder("")).start();
    let out = cli(
        &gw,
        &["import", "organizr", "--db", org.to_str().unwrap()],
        "",
    );
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("user carol: added (group 4 user, two-factor (TOTP) kept)"),
        "{said}"
    );
    // carol's password is followed by her old authenticator's code.
    let pending = password_step(&gw, "carol", "Carol-pass-1", "/").await;
    let s = clock.jump_to_step(&gw, 0).await;
    let done = code_step(&gw, &pending, &code(secret, s)).await;
    assert_eq!(done.status(), 302);
    assert!(session_cookie(&done).is_some());
    // dave had no 2FA in Organizr: the password alone.
    let dave = login_form(&gw, "dave", "Dave-pass-1", "/").await;
    assert!(session_cookie(&dave).is_some());
}
