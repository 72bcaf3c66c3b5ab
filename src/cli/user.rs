//! `gatehouse user add|list|passwd|del|group|lock|unlock` (README "Commands"): the
//! store administered from the command line. A running gateway notices the
//! change within a second (it watches the store's `data_version`).
//!
//! Passwords come from the first line of standard input with
//! `--password-stdin` (for scripts), otherwise from the terminal, asked
//! twice with echo turned off through `stty` (no extra crate); when standard
//! input is not a terminal its first line is read. Hashing uses the
//! synchronous argon2id of [`PasswordPolicy::from_env`].

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

use clap::Subcommand;

use crate::auth::password::{PasswordPolicy, MAX_PASSWORD_BYTES};
use crate::config::{Config, GroupNames};
use crate::groups;
use crate::store::{Store, StoreError};

/// The `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (default group: user).
    Add {
        /// Login name, unique case-insensitively.
        name: String,
        /// Group name (admin, co-admin, super-user, power-user, user) or number 0..997.
        #[arg(long)]
        group: Option<String>,
        /// E-mail address.
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
        /// The user.
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a user and their sessions.
    Del {
        /// The user.
        name: String,
    },
    /// Change a user's group.
    Group {
        /// The user.
        name: String,
        /// Group name or number 0..997.
        group: String,
    },
    /// Lock a user (treated as signed out everywhere).
    Lock {
        /// The user.
        name: String,
    },
    /// Unlock a user.
    Unlock {
        /// The user.
        name: String,
    },
}

/// Why a `user` command failed (one line each).
#[derive(Debug, thiserror::Error)]
pub enum UserCliError {
    /// Unknown user, duplicate name, or a database error.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The group is neither a known name nor a number 0..997.
    #[error("unknown group {0:?} (use admin, co-admin, super-user, power-user, user, or 0..997)")]
    Group(String),
    /// The user name is empty or has control characters.
    #[error("user name {0:?} is not valid: empty or has control characters")]
    Name(String),
    /// The password was refused (empty, too long, the two entries differ).
    #[error("{0}")]
    Password(String),
    /// Standard input or output failed.
    #[error("cannot read the password: {0}")]
    Io(#[from] std::io::Error),
}

fn parse_group(text: &str, names: &GroupNames) -> Result<u16, UserCliError> {
    match names.parse(text) {
        Some(g) if g < groups::MEMBER => Ok(g),
        _ => Err(UserCliError::Group(text.to_string())),
    }
}

/// Turns terminal echo off until dropped (best effort: when `stty` is
/// missing the password is read with echo, and a note says so).
struct NoEcho(bool);

impl NoEcho {
    fn stty(arg: &str) -> bool {
        let Ok(tty) = std::fs::File::open("/dev/tty") else {
            return false;
        };
        Command::new("stty")
            .arg(arg)
            .stdin(tty)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn new() -> NoEcho {
        let off = NoEcho::stty("-echo");
        if !off {
            eprintln!("(could not turn terminal echo off; the password will be visible)");
        }
        NoEcho(off)
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        if self.0 {
            NoEcho::stty("echo");
            eprintln!();
        }
    }
}

fn read_line(input: &mut dyn BufRead) -> Result<String, UserCliError> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Reads a new password: the first stdin line with `--password-stdin` (or
/// when stdin is not a terminal), or twice from the terminal without echo.
fn read_password(from_stdin: bool) -> Result<String, UserCliError> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    if from_stdin || !stdin.is_terminal() {
        return read_line(&mut input);
    }
    let _echo = NoEcho::new();
    eprint!("New password: ");
    std::io::stderr().flush()?;
    let first = read_line(&mut input)?;
    eprint!("\nAgain: ");
    std::io::stderr().flush()?;
    if read_line(&mut input)? != first {
        return Err(UserCliError::Password("the two passwords differ".into()));
    }
    Ok(first)
}

fn check_password(password: &str) -> Result<(), UserCliError> {
    if password.is_empty() {
        return Err(UserCliError::Password("the password is empty".into()));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(UserCliError::Password(format!(
            "the password is {} bytes long; at most {MAX_PASSWORD_BYTES} are accepted",
            password.len()
        )));
    }
    Ok(())
}

/// Runs one `user` command against the store in `[server] data_dir`.
/// With `[cluster] redis` a change to a user (password, deletion, group,
/// lock) is also published, so every gateway applies it within a second.
pub fn run(cmd: UserCommand, config: &Config) -> Result<(), UserCliError> {
    let store = Store::open_url(&config.store.url, &config.server.data_dir)?;
    let policy = PasswordPolicy::from_env();
    let changed = match &cmd {
        UserCommand::Passwd { name, .. }
        | UserCommand::Del { name }
        | UserCommand::Group { name, .. }
        | UserCommand::Lock { name }
        | UserCommand::Unlock { name } => store.user_by_name(name)?.map(|u| u.id),
        UserCommand::Add { .. } | UserCommand::List => None,
    };
    let mut out = std::io::stdout().lock();
    execute(
        cmd,
        &store,
        policy,
        &config.groups,
        &mut read_password,
        &mut out,
    )?;
    if let (Some(id), Some(url)) = (changed, &config.cluster.redis) {
        let event = crate::cluster::Event::User(id);
        if let Err(e) = crate::cluster::publish_once(url.secret_str(), &event, PUBLISH_WAIT) {
            // The store has the change; the gateways reconcile with it.
            eprintln!("gatehouse: the change was not published to redis ({url}): {e}");
        }
    }
    Ok(())
}

/// How long the CLI waits for Redis to take a change.
const PUBLISH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// One command against `store`; `password(from_stdin)` supplies passwords
/// and messages go to `out` (so tests can drive it).
fn execute(
    cmd: UserCommand,
    store: &Store,
    policy: PasswordPolicy,
    names: &GroupNames,
    password: &mut dyn FnMut(bool) -> Result<String, UserCliError>,
    out: &mut dyn Write,
) -> Result<(), UserCliError> {
    let mut new_hash = |from_stdin: bool| -> Result<String, UserCliError> {
        let pw = password(from_stdin)?;
        check_password(&pw)?;
        policy
            .hash(&pw)
            .map_err(|e| UserCliError::Password(e.to_string()))
    };
    match cmd {
        UserCommand::Add {
            name,
            group,
            email,
            password_stdin,
        } => {
            let group = group
                .as_deref()
                .map_or(Ok(groups::USER), |g| parse_group(g, names))?;
            let name = name.trim();
            if name.is_empty() || name.chars().any(char::is_control) {
                return Err(UserCliError::Name(name.to_string()));
            }
            if store.user_by_name(name)?.is_some() {
                return Err(StoreError::DuplicateName(name.to_string()).into());
            }
            let hash = new_hash(password_stdin)?;
            let email = email.as_deref().unwrap_or("").trim();
            let u = store.add_user(name, email, group, Some(&hash), None, crate::clock::now())?;
            writeln!(
                out,
                "added {} (group {} {})",
                u.name,
                u.group,
                names.name(u.group)
            )?;
        }
        UserCommand::List => list(store, names, out)?,
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            if store.user_by_name(&name)?.is_none() {
                return Err(StoreError::UnknownUser(name).into());
            }
            let hash = new_hash(password_stdin)?;
            let ended = store.change_password(&name, &hash, None)?;
            writeln!(out, "password of {name} changed; {ended} session(s) ended")?;
        }
        UserCommand::Del { name } => {
            store.delete_user(&name)?;
            writeln!(out, "deleted {name}")?;
        }
        UserCommand::Group { name, group } => {
            let g = parse_group(&group, names)?;
            store.set_group(&name, g)?;
            writeln!(out, "{name} is now in group {g} {}", names.name(g))?;
        }
        UserCommand::Lock { name } => {
            store.set_locked(&name, true)?;
            writeln!(out, "locked {name}")?;
        }
        UserCommand::Unlock { name } => {
            store.set_locked(&name, false)?;
            writeln!(out, "unlocked {name}")?;
        }
    }
    Ok(())
}

/// The `list` table: name, email, group (number and name), locked, created.
fn list(store: &Store, names: &GroupNames, out: &mut dyn Write) -> Result<(), UserCliError> {
    writeln!(
        out,
        "{:<24} {:<32} {:<18} {:<6} created",
        "name", "email", "group", "locked"
    )?;
    for u in store.list_users()? {
        let secs = u64::try_from(u.created).unwrap_or(0);
        let created = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        );
        writeln!(
            out,
            "{:<24} {:<32} {:<18} {:<6} {created}",
            u.name,
            u.email,
            format!("{} {}", u.group, names.name(u.group)),
            if u.locked { "yes" } else { "no" },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::password::Verified;

    const FAST: PasswordPolicy = PasswordPolicy { m: 64, t: 1, p: 1 };

    fn exec(store: &Store, cmd: UserCommand, pw: &str) -> Result<String, UserCliError> {
        let mut out = Vec::new();
        let pw = pw.to_string();
        let mut supply = move |_stdin: bool| Ok(pw.clone());
        execute(
            cmd,
            store,
            FAST,
            &GroupNames::default(),
            &mut supply,
            &mut out,
        )?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn add(name: &str, group: Option<&str>) -> UserCommand {
        UserCommand::Add {
            name: name.into(),
            group: group.map(str::to_string),
            email: Some("a@example.com".into()),
            password_stdin: true,
        }
    }

    #[test]
    fn test_user_cli_add_list_passwd_group_lock_del() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let msg = exec(&s, add("alice", Some("power-user")), "pw1").unwrap();
        assert!(msg.contains("group 3 power-user"), "{msg}");
        let u = s.user_by_name("alice").unwrap().unwrap();
        let hash = u.password_hash.unwrap();
        assert!(matches!(FAST.verify("pw1", &hash), Verified::Ok { .. }));

        let name = "alice".to_string();
        exec(
            &s,
            UserCommand::Passwd {
                name: name.clone(),
                password_stdin: true,
            },
            "pw2",
        )
        .unwrap();
        let hash = s
            .user_by_name("alice")
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap();
        assert!(matches!(FAST.verify("pw2", &hash), Verified::Ok { .. }));

        exec(
            &s,
            UserCommand::Group {
                name: "ALICE".into(),
                group: "7".into(),
            },
            "",
        )
        .unwrap();
        exec(&s, UserCommand::Lock { name: name.clone() }, "").unwrap();
        let table = exec(&s, UserCommand::List, "").unwrap();
        let row = table.lines().nth(1).unwrap();
        assert!(
            row.starts_with("alice") && row.contains("a@example.com"),
            "{table}"
        );
        assert!(row.contains("7 group-7") && row.contains("yes"), "{table}");
        exec(&s, UserCommand::Unlock { name: name.clone() }, "").unwrap();
        assert!(!s.user_by_name("alice").unwrap().unwrap().locked);
        exec(&s, UserCommand::Del { name }, "").unwrap();
        assert!(s.list_users().unwrap().is_empty());
    }

    #[test]
    fn test_user_cli_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        exec(&s, add("Bob", None), "pw").unwrap();
        let dup = exec(&s, add("bob", None), "pw").unwrap_err();
        assert!(
            matches!(dup, UserCliError::Store(StoreError::DuplicateName(_))),
            "{dup}"
        );
        let unknown = exec(
            &s,
            UserCommand::Lock {
                name: "carol".into(),
            },
            "",
        )
        .unwrap_err();
        assert!(unknown.to_string().contains("carol"), "{unknown}");
        let passwd = UserCommand::Passwd {
            name: "carol".into(),
            password_stdin: true,
        };
        assert!(matches!(
            exec(&s, passwd, "pw").unwrap_err(),
            UserCliError::Store(StoreError::UnknownUser(_))
        ));
        let group = UserCommand::Group {
            name: "bob".into(),
            group: "wizard".into(),
        };
        assert!(matches!(
            exec(&s, group, "").unwrap_err(),
            UserCliError::Group(_)
        ));
        assert!(matches!(
            exec(&s, add("", None), "pw").unwrap_err(),
            UserCliError::Name(_)
        ));
        assert!(matches!(
            exec(&s, add("x\ty", None), "pw").unwrap_err(),
            UserCliError::Name(_)
        ));
        assert!(matches!(
            exec(&s, add("dan", None), "").unwrap_err(),
            UserCliError::Password(_)
        ));
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            exec(&s, add("dan", None), &long).unwrap_err(),
            UserCliError::Password(_)
        ));
        assert!(
            s.user_by_name("dan").unwrap().is_none(),
            "nothing stored on refusal"
        );
    }

    #[test]
    fn test_user_cli_read_line_strips_newline() {
        let mut input: &[u8] = b"secret pw\r\nsecond line\n";
        assert_eq!(read_line(&mut input).unwrap(), "secret pw");
    }

    #[test]
    fn test_parse_group_names_numbers_and_refusals() {
        let none = GroupNames::default();
        assert_eq!(parse_group("admin", &none).unwrap(), 0);
        assert_eq!(parse_group("7", &none).unwrap(), 7);
        assert!(
            parse_group("member", &none).is_err(),
            "998 is a route level, not a user group"
        );
        assert!(parse_group("wizard", &none).is_err());
        let family = crate::config::parse(std::path::Path::new("t.toml"), "[groups]\nfamily = 5\n")
            .unwrap()
            .groups;
        assert_eq!(parse_group("Family", &family).unwrap(), 5);
    }
}
