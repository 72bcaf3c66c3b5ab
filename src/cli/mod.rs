//! The command line (README "Commands"): `run` (default), `check`, `reload`, `upgrade`,
//! `user …`, `store …`, `plex …`, `import …`.

pub mod control;
pub mod import;
pub mod plex;
pub mod store;
pub mod user;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The default configuration file.
pub const DEFAULT_CONFIG: &str = "conf/gatehouse.toml";

/// `gatehouse [run] [-c FILE]`, `gatehouse check [-c FILE]`, …
#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Front door for a home server: reverse proxy, group auth and SSO in one binary"
)]
pub struct Cli {
    /// Configuration file.
    #[arg(short = 'c', long = "config", global = true, default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// What to do; `run` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Run {
        /// Take the listening sockets over from the running gateway (graceful
        /// upgrade; `gatehouse upgrade` starts this).
        #[arg(short = 'u', long)]
        upgrade: bool,
    },
    /// Re-read the configuration in the running gateway (SIGHUP), after
    /// validating it; found through `data_dir/gatehouse.pid`.
    Reload,
    /// Replace the running gateway by this binary without dropping a
    /// connection (Pingora's graceful upgrade).
    Upgrade,
    /// Validate the configuration: exit 0, or 1 with `FILE:LINE: KEY: reason (value)` lines.
    Check,
    /// Manage users in the store.
    User {
        #[command(subcommand)]
        cmd: user::UserCommand,
    },
    /// The store: `store copy --to postgres://…` moves the embedded store.
    Store {
        #[command(subcommand)]
        cmd: store::StoreCommand,
    },
    /// plex.tv helpers: the owner's token and the server's machine identifier.
    Plex {
        #[command(subcommand)]
        cmd: plex::PlexCommand,
    },
    /// Move in: `import nginx FILE …` or `import organizr --db FILE …`
    /// (`gatehouse import --help` for the options).
    #[command(disable_help_flag = true)]
    Import {
        /// `nginx FILE [--prefix DIR] [-o OUT] [--certs-dir DIR]` or
        /// `organizr --db DB [--config config.php] [--merge FILE] [-o OUT] [-c CONFIG] [--overwrite]`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<std::ffi::OsString>,
    },
}

/// This install's plex.tv client identifier (created once, kept in the store).
pub fn plex_client_id(config: &crate::config::Config) -> Result<String, crate::store::StoreError> {
    crate::sso::plex_tv::client_id(&crate::store::Store::open_url(
        &config.store.url,
        &config.server.data_dir,
    )?)
}
