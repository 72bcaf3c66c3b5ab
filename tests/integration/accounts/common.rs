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
    db(gw)
        .execute(
            "INSERT INTO users (name, email, grp, password_hash, locked, plex_id, created) \
             VALUES (?1, ?2, ?3, ?4, 0, NULL, 0)",
            rusqlite::params![name, "imported@example.com", group, hash],
        )
        .expect("insert the imported user");
}

/// The stored password hash of `name`.
pub fn stored_hash(gw: &Gateway, name: &str) -> String {
    db(gw)
        .query_row(
            "SELECT password_hash FROM users WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .expect("read the user row")
}
