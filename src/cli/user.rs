//! `gatehouse user add|list|passwd|del|group|lock|unlock` (DESIGN §2): the
//! store administered from the command line. A running gateway notices the
//! change within a second (it watches the store's `data_version`).

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;

use crate::auth::groups;
use crate::auth::password::{PasswordPolicy, MAX_PASSWORD_BYTES};
use crate::config::Config;
use crate::store::{Store, StoreError};

/// The `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (default group: user).
    Add {
        name: String,
        /// Group name (admin, co-admin, super-user, power-user, user) or number 0..997.
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Set a user's password.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a user and their sessions.
    Del { name: String },
    /// Change a user's group.
    Group { name: String, group: String },
    /// Lock a user (treated as signed out everywhere).
    Lock { name: String },
    /// Unlock a user.
    Unlock { name: String },
}

/// Why a `user` command failed (one line each).
#[derive(Debug, thiserror::Error)]
pub enum UserCliError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("unknown group {0:?} (use admin, co-admin, super-user, power-user, user, or 0..997)")]
    Group(String),
    #[error("{0}")]
    Password(String),
    #[error("cannot read the password: {0}")]
    Io(#[from] std::io::Error),
}

fn parse_group(text: &str) -> Result<u16, UserCliError> {
    match groups::parse(text) {
        Some(g) if g < groups::MEMBER => Ok(g),
        _ => Err(UserCliError::Group(text.to_string())),
    }
}

/// Reads a new password: the first stdin line with `--password-stdin`, or
/// twice from the terminal otherwise.
fn read_password(from_stdin: bool) -> Result<String, UserCliError> {
    let stdin = std::io::stdin();
    let read_line = || -> Result<String, UserCliError> {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let password = if from_stdin || !stdin.is_terminal() {
        read_line()?
    } else {
        eprint!("New password: ");
        std::io::stderr().flush()?;
        let first = read_line()?;
        eprint!("Again: ");
        std::io::stderr().flush()?;
        if read_line()? != first {
            return Err(UserCliError::Password("the two passwords differ".into()));
        }
        first
    };
    if password.is_empty() {
        return Err(UserCliError::Password("the password is empty".into()));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(UserCliError::Password(format!(
            "the password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(password)
}

fn hash(password: &str) -> Result<String, UserCliError> {
    PasswordPolicy::from_env()
        .hash(password)
        .map_err(|e| UserCliError::Password(e.to_string()))
}

/// Runs one `user` command against the store in `[server] data_dir`.
pub fn run(cmd: UserCommand, config: &Config) -> Result<(), UserCliError> {
    let store = Store::open(&config.server.data_dir)?;
    let now = crate::clock::now();
    match cmd {
        UserCommand::Add {
            name,
            group,
            email,
            password_stdin,
        } => {
            let group = group.as_deref().map_or(Ok(groups::USER), parse_group)?;
            let name = name.trim();
            if name.is_empty() || name.chars().any(char::is_control) {
                return Err(UserCliError::Password(
                    "the user name is empty or has control characters".into(),
                ));
            }
            if store.user_by_name(name)?.is_some() {
                return Err(StoreError::DuplicateName(name.to_string()).into());
            }
            let hash = hash(&read_password(password_stdin)?)?;
            let u = store.add_user(
                name,
                email.as_deref().unwrap_or(""),
                group,
                Some(&hash),
                None,
                now,
            )?;
            println!("added {} ({} {})", u.name, u.group, groups::name(u.group));
        }
        UserCommand::List => {
            println!(
                "{:<24} {:<32} {:<18} {:<6} created",
                "name", "email", "group", "locked"
            );
            for u in store.list_users()? {
                let created = humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH
                        + std::time::Duration::from_secs(u64::try_from(u.created).unwrap_or(0)),
                );
                println!(
                    "{:<24} {:<32} {:<18} {:<6} {created}",
                    u.name,
                    u.email,
                    format!("{} {}", u.group, groups::name(u.group)),
                    if u.locked { "yes" } else { "no" },
                );
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            if store.user_by_name(&name)?.is_none() {
                return Err(StoreError::UnknownUser(name).into());
            }
            let hash = hash(&read_password(password_stdin)?)?;
            store.set_password(&name, Some(&hash))?;
            println!("password of {name} changed");
        }
        UserCommand::Del { name } => {
            store.delete_user(&name)?;
            println!("deleted {name}");
        }
        UserCommand::Group { name, group } => {
            let g = parse_group(&group)?;
            store.set_group(&name, g)?;
            println!("{name} is now in group {g} {}", groups::name(g));
        }
        UserCommand::Lock { name } => {
            store.set_locked(&name, true)?;
            println!("locked {name}");
        }
        UserCommand::Unlock { name } => {
            store.set_locked(&name, false)?;
            println!("unlocked {name}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_group_names_numbers_and_refusals() {
        assert_eq!(parse_group("admin").unwrap(), 0);
        assert_eq!(parse_group("7").unwrap(), 7);
        assert!(
            parse_group("member").is_err(),
            "998 is a route level, not a user group"
        );
        assert!(parse_group("wizard").is_err());
    }
}
