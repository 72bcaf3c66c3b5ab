//! Organizr import path: a user with a bcrypt `$2y$` hash, written straight
//! into the store, signs in through the portal and its hash becomes argon2id.

use crate::support::upstream::EchoServer;

use super::common::{
    builder, get_status, insert_bcrypt_user, login, login_form, protected, stored_hash,
};

#[tokio::test]
async fn test_bcrypt_import_login_rehashes_to_argon2id() {
    let echo = EchoServer::start();
    let gw = builder(&protected("app", "/app/", &echo.url(), "\"user\"")).start();
    insert_bcrypt_user(&gw, "organizr-user", 4, "old-organizr-pw");
    assert!(stored_hash(&gw, "organizr-user").starts_with("$2y$"));

    let wrong = login_form(&gw, "organizr-user", "not-it", "/").await;
    assert_eq!(wrong.status(), 401);
    assert!(
        stored_hash(&gw, "organizr-user").starts_with("$2y$"),
        "no rehash on failure"
    );

    let cookie = login(&gw, "organizr-user", "old-organizr-pw").await;
    assert_eq!(get_status(&gw, "/app/", Some(&cookie), false).await, 200);
    assert_eq!(echo.last().header("X-WEBAUTH-USER"), Some("organizr-user"));
    let hash = stored_hash(&gw, "organizr-user");
    assert!(
        hash.starts_with("$argon2id$"),
        "stored hash after sign-in: {:.12}…",
        hash
    );

    // The new hash still verifies the same password.
    let again = login(&gw, "organizr-user", "old-organizr-pw").await;
    assert_ne!(again, cookie);
}
