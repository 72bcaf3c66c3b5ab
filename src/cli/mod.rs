//! The command line (DESIGN §2): `run` (default), `check`, `user …`, `plex …`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The default configuration file.
pub const DEFAULT_CONFIG: &str = "conf/gatehouse.toml";

/// `gatehouse [run] [-c FILE]`, `gatehouse check [-c FILE]`, …
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about = "Front door for a home server: reverse proxy, group auth and SSO in one binary")]
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
    Run,
    /// Validate the configuration: exit 0, or 1 with `FILE:LINE: KEY: reason (value)` lines.
    Check,
}
