//! `gatehouse`: parse the command line, load and validate the configuration,
//! then run the gateway or the requested administrative command.

use std::process::ExitCode;

use clap::Parser;
use gatehouse::cli::{Cli, Command};
use gatehouse::config;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let Cli { config: path, command } = Cli::parse();
    let cfg = match config::load(&path) {
        Ok(cfg) => cfg,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(1);
        }
    };
    match command.unwrap_or(Command::Run) {
        Command::Check => {
            println!("{}: ok ({} routes)", path.display(), cfg.routes.len());
            ExitCode::SUCCESS
        }
        Command::Run => match gatehouse::proxy::run(cfg) {
            Ok(never) => match never {},
            Err(e) => {
                eprintln!("gatehouse: {e}");
                ExitCode::from(1)
            }
        },
    }
}
