//! `gatehouse store copy --to postgres://…`: a populated embedded store
//! (users with TOTP and passkeys, API tokens, sessions, bans, an ACME
//! account and certificate) copied into
//! an empty PostgreSQL; the counts printed; a gateway on the copy accepts
//! the copied session cookie and the user's password; a second copy into
//! the now non-empty store is refused. The password is never printed.

use std::time::UNIX_EPOCH;

use gatehouse::store::{AcmeCertRow, ApiTokenRow, BanKind};

use crate::support::accounts::*;
use crate::support::postgres::Postgres;
use crate::support::upstream::EchoServer;

#[tokio::test]
async fn test_store_copy_to_postgres_then_gateway_on_it() {
    let Some(mut pg) = Postgres::start("test_store_copy_to_postgres") else {
        return;
    };
    let url = pg.new_database();
    let echo = EchoServer::start();
    let routes = protected("app", "/app/", &echo.url(), "\"user\"");
    // Explicitly the embedded store, whatever GATEHOUSE_TEST_STORE says.
    let mut sqlite_gw = builder(&routes).store_url("").start();
    add_user(&sqlite_gw, "alice", "user", "pw-alice");
    add_user(&sqlite_gw, "bob", "admin", "pw-bob");
    let cookie = login(&sqlite_gw, "alice", "pw-alice").await;
    assert_eq!(
        get_status(&sqlite_gw, "/app/", Some(&cookie), false).await,
        200
    );
    let local = sqlite_gw.store();
    let bob = local.user_by_name("bob").unwrap().unwrap().id;
    local
        .set_totp(bob, "JBSWY3DPEHPK3PXP", 5, &[[1; 32], [2; 32]], UNIX_EPOCH)
        .unwrap();
    local
        .add_passkey(bob, b"cred-bob", "laptop", "{\"k\":1}", UNIX_EPOCH)
        .unwrap();
    let handle = local.webauthn_handle(bob, [9; 16]).unwrap();
    let token_id = local
        .insert_api_token(&ApiTokenRow {
            id: 0,
            user_id: bob,
            token_hash: [4; 32],
            name: "script".into(),
            routes: vec!["app".into()],
            created: 1,
            expires: None,
        })
        .unwrap();
    local
        .save_ban(BanKind::Ip, "10.9.9.9", i64::MAX / 2)
        .unwrap();
    local
        .save_acme_account("https://ca.test/dir", "{\"id\":\"acct\"}", 1)
        .unwrap();
    local
        .save_acme_cert(&AcmeCertRow {
            name: "a.test".into(),
            pem: "KEY AND CHAIN".into(),
            issued: 10,
            not_after: 100,
            node: "gate-a".into(),
        })
        .unwrap();
    // A deleted user leaves a gap the copy must not reuse.
    add_user(&sqlite_gw, "gone", "user", "pw");
    cli_ok(&sqlite_gw, &["user", "del", "gone"], "");
    let high_water = local.user_id_high_water().unwrap();
    sqlite_gw.stop(WITHIN);

    let out = cli(&sqlite_gw, &["store", "copy", "--to", &url], "");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("secret-pw"), "password printed: {text}");
    assert!(text.contains("gatehouse:***@127.0.0.1"), "{text}");
    for (table, n) in [
        ("users", 2),
        ("sessions", 1),
        ("bans", 1),
        ("totp", 1),
        ("recovery_codes", 2),
        ("passkeys", 1),
        ("webauthn_handles", 1),
        ("api_tokens", 1),
        ("acme_accounts", 1),
        ("acme_certs", 1),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .unwrap_or_else(|| panic!("no {table} line in:\n{text}"));
        let counts: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(counts, [n.to_string(), n.to_string()], "{line}");
    }

    // A second copy into the now non-empty store is refused.
    let again = cli(&sqlite_gw, &["store", "copy", "--to", &url], "");
    let err = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(!again.status.success());
    assert!(err.contains("not empty"), "{err}");
    assert!(!err.contains("secret-pw"), "{err}");

    let gw = builder(&routes).store_url(&url).start();
    assert_eq!(get_status(&gw, "/app/", Some(&cookie), false).await, 200);
    assert_eq!(echo.last().header("x-webauth-user"), Some("alice"));
    let fresh = login(&gw, "alice", "pw-alice").await;
    assert_eq!(get_status(&gw, "/app/", Some(&fresh), false).await, 200);
    let copied = gw.store();
    assert_eq!(copied.user_by_name("bob").unwrap().unwrap().id, bob);
    assert_eq!(
        copied.totp(bob).unwrap().unwrap().secret,
        "JBSWY3DPEHPK3PXP"
    );
    assert_eq!(copied.count_recovery_codes(bob).unwrap(), 2);
    assert_eq!(
        copied.acme_cert("a.test").unwrap().unwrap().pem,
        "KEY AND CHAIN"
    );
    assert!(copied
        .acme_account("https://ca.test/dir")
        .unwrap()
        .is_some());
    assert_eq!(
        copied
            .passkey_by_credential(b"cred-bob")
            .unwrap()
            .unwrap()
            .user_id,
        bob
    );
    assert_eq!(copied.user_by_webauthn_handle(&handle).unwrap(), Some(bob));
    assert_eq!(copied.all_api_tokens().unwrap()[0].id, token_id);
    assert_eq!(copied.user_id_high_water().unwrap(), high_water);
    let next = copied
        .add_user("carol", "", 4, None, None, UNIX_EPOCH)
        .unwrap();
    assert!(next.id > high_water, "ids continue after the copied ones");
}

#[test]
fn test_store_copy_refuses_non_postgres_target() {
    let gw = builder("").store_url("").start();
    let out = cli(
        &gw,
        &["store", "copy", "--to", "mysql://u:hunter2@h/db"],
        "",
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success());
    assert!(err.contains("postgres://"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
