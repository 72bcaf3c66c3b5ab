//! Organizr's users into the Gatehouse store: name, e-mail, group, locked,
//! the bcrypt hash as it is (Gatehouse verifies `$2y$` and upgrades it
//! to argon2id at the next sign-in), and a two-factor secret
//! (`auth_service = "google::SECRET"`) as the user's TOTP. An existing name is left alone unless
//! `--overwrite`, so a second import changes nothing.

use std::time::SystemTime;

use super::db::OrgUser;
use crate::config::GroupNames;
use crate::store::{Store, StoreError};

/// What happened to the users.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UserReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub left_alone: usize,
    pub skipped: usize,
    /// One line per user.
    pub lines: Vec<String>,
}

/// Imports `users` into `store`.
pub fn import(
    store: &Store,
    users: &[OrgUser],
    names: &GroupNames,
    overwrite: bool,
    now: SystemTime,
) -> Result<UserReport, StoreError> {
    let mut report = UserReport::default();
    for u in users {
        let name = u.username.trim();
        if name.is_empty() || name.chars().any(char::is_control) {
            report.skipped += 1;
            report.lines.push(format!(
                "user #{}: the name is empty or has control characters; not imported",
                u.id
            ));
            continue;
        }
        let Some(group) = u16::try_from(u.group_id).ok().filter(|g| *g <= 997) else {
            report.skipped += 1;
            report.lines.push(format!(
                "user {name}: group {} is not a user group; not imported",
                u.group_id
            ));
            continue;
        };
        let hash = match &u.password {
            Some(h) if h.starts_with("$2y$") || h.starts_with("$2a$") || h.starts_with("$2b$") => {
                Some(h.as_str())
            }
            Some(_) => {
                report.lines.push(format!("user {name}: the password is not a bcrypt hash; set one with gatehouse user passwd {name}"));
                None
            }
            None => None,
        };
        // Organizr's 2FA (`google::SECRET`) becomes the user's TOTP secret:
        // the same authenticator app keeps working.
        let totp = crate::auth::totp::from_organizr_auth_service(&u.auth_service);
        if u.auth_service.starts_with("google::") && totp.is_none() {
            report.lines.push(format!("user {name}: Organizr's two-factor secret is not valid base32; not imported, the password alone signs in"));
        }
        let email = u.email.trim();
        let shown = format!("group {group} {}", names.name(group));
        match store.user_by_name(name)? {
            None => {
                let added = store.add_imported_user(name, email, group, hash, u.locked, now)?;
                if let Some(secret) = &totp {
                    store.set_totp(added.id, &secret.to_base32(), 0, &[], now)?;
                }
                report.added += 1;
                let locked = if u.locked { ", locked" } else { "" };
                let two = if totp.is_some() {
                    ", two-factor (TOTP) kept"
                } else {
                    ""
                };
                report
                    .lines
                    .push(format!("user {name}: added ({shown}{locked}{two})"));
            }
            Some(e) => {
                // A bcrypt hash is upgraded to argon2id at the first sign-in:
                // the same account, not a different one.
                let upgraded = hash.is_some()
                    && e.password_hash
                        .as_deref()
                        .is_some_and(|h| h.starts_with("$argon2"));
                let same_hash = e.password_hash.as_deref() == hash || upgraded;
                let same =
                    e.email == email && e.group == group && same_hash && e.locked == u.locked;
                if same {
                    report.unchanged += 1;
                    let note = if upgraded {
                        " (its password hash was upgraded at sign-in)"
                    } else {
                        ""
                    };
                    report
                        .lines
                        .push(format!("user {name}: already there, unchanged{note}"));
                } else if !overwrite {
                    report.left_alone += 1;
                    report.lines.push(format!("user {name}: a user with this name exists and differs; left alone (--overwrite replaces it)"));
                } else {
                    if e.email != email {
                        store.set_email(&e.name, email)?;
                    }
                    if e.group != group {
                        store.set_group(&e.name, group)?;
                    }
                    if e.password_hash.as_deref() != hash {
                        store.set_password(&e.name, hash)?;
                    }
                    if e.locked != u.locked {
                        store.set_locked(&e.name, u.locked)?;
                    }
                    if let Some(secret) = &totp {
                        if store.totp(e.id)?.is_none() {
                            store.set_totp(e.id, &secret.to_base32(), 0, &[], now)?;
                        }
                    }
                    report.updated += 1;
                    report
                        .lines
                        .push(format!("user {name}: replaced by Organizr's ({shown})"));
                }
            }
        }
    }
    Ok(report)
}
