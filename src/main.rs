//! `gatehouse`: parse the command line, load and validate the configuration,
//! then run the gateway or the requested administrative command.

use std::process::ExitCode;

use clap::Parser;
use gatehouse::cli::{self, Cli, Command};
use gatehouse::config;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let Cli {
        config: path,
        command,
    } = Cli::parse();
    // The imports run without a Gatehouse configuration (or read their own).
    if let Some(Command::Import { args }) = command {
        return cli::import::run(args, &path);
    }
    let cfg = match config::load(&path) {
        Ok(cfg) => cfg,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(1);
        }
    };
    let outcome = match command.unwrap_or(Command::Run { upgrade: false }) {
        Command::Check => {
            println!("{}: ok ({} routes)", path.display(), cfg.routes.len());
            Ok(())
        }
        Command::Run { upgrade } => match gatehouse::proxy::run(cfg, upgrade) {
            Ok(never) => match never {},
            Err(e) => Err(e.to_string()),
        },
        Command::Reload => cli::control::reload(&cfg),
        Command::Upgrade => cli::control::upgrade(&cfg, &path),
        Command::User { cmd } => cli::user::run(cmd, &cfg).map_err(|e| e.to_string()),
        Command::Store { cmd } => {
            cli::store::run(cmd, &cfg, &mut std::io::stdout().lock()).map_err(|e| e.to_string())
        }
        Command::Plex { cmd } => plex(cmd, &cfg),
        Command::Import { .. } => Ok(()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e}");
            ExitCode::from(1)
        }
    }
}

fn plex(cmd: cli::plex::PlexCommand, cfg: &config::Config) -> Result<(), String> {
    let client_id = cli::plex_client_id(cfg).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(cli::plex::run(cmd, cfg, &client_id))
        .map_err(|e| e.to_string())
}
