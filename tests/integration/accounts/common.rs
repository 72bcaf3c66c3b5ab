//! Helpers of the accounts tests beyond the shared ones in
//! `support::accounts`: users inserted straight into the store, as an
//! Organizr import would.

pub use crate::support::accounts::*;
use crate::support::binary::Gateway;

/// Inserts a user row directly (as an Organizr import would) with a `$2y$`
/// bcrypt hash of `password`.
pub fn insert_bcrypt_user(gw: &Gateway, name: &str, group: u16, password: &str) {
    let hash = bcrypt::hash(password, 4).expect("bcrypt hash");
    assert!(hash.starts_with("$2b$"), "{hash}");
    let hash = hash.replacen("$2b$", "$2y$", 1);
    // Through the store API, so it works on either backend.
    gw.store()
        .add_imported_user(
            name,
            "imported@example.com",
            group,
            Some(&hash),
            false,
            std::time::UNIX_EPOCH,
        )
        .expect("insert the imported user");
}

/// The stored password hash of `name`.
pub fn stored_hash(gw: &Gateway, name: &str) -> String {
    gw.store()
        .user_by_name(name)
        .expect("read the user row")
        .and_then(|u| u.password_hash)
        .expect("the user has a password hash")
}
