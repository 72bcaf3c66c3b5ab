//! `gatehouse store copy --to postgres://…` (README "Commands",
//! docs/cluster.md): moves the embedded SQLite store of `[server] data_dir`
//! into an empty PostgreSQL store and prints the rows per table on both
//! sides. The URL is only ever printed with its password masked.

use std::io::Write;

use clap::Subcommand;

use crate::config::Config;
use crate::store::{copy, Store, StoreError, DB_FILE};
use crate::store_url as url;

/// The `store` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy the embedded SQLite store (users, sessions, bans, second factors,
    /// API tokens) into an empty PostgreSQL store.
    Copy {
        /// The target: postgres://user:password@host:port/db (or
        /// ?host=/socket/dir).
        #[arg(long = "to")]
        to: String,
    },
}

/// Runs one `store` command; messages go to `out`.
pub fn run(cmd: StoreCommand, config: &Config, out: &mut dyn Write) -> Result<(), StoreError> {
    match cmd {
        StoreCommand::Copy { to } => copy_to(config, &to, out),
    }
}

fn copy_to(config: &Config, to: &str, out: &mut dyn Write) -> Result<(), StoreError> {
    let masked = url::mask(to);
    if !url::is_postgres(to) {
        return Err(StoreError::Unreachable(
            masked,
            "--to must be a postgres:// or postgresql:// URL".into(),
        ));
    }
    let file = config.server.data_dir.join(DB_FILE);
    if !file.is_file() {
        return Err(StoreError::Corrupt(
            file.display().to_string(),
            "no embedded store here ([server] data_dir) to copy".into(),
        ));
    }
    let source = Store::open(&config.server.data_dir)?;
    let target = Store::open_url(to, &config.server.data_dir)?;
    let _ = writeln!(out, "copying {} to {masked}", file.display());
    let copied = copy::copy(&source, &target)?;
    let _ = writeln!(out, "{:<18} {:>8} {:>8}", "table", "source", "target");
    for c in &copied {
        let _ = writeln!(out, "{:<18} {:>8} {:>8}", c.table, c.source, c.target);
    }
    let _ = writeln!(
        out,
        "copied and verified; to use it, set [store] url = \"{masked}\" (with its password) and restart"
    );
    Ok(())
}
