//! `gatehouse import nginx …` and `gatehouse import organizr …`.
//!
//! These run without a Gatehouse configuration (nginx) or with the one
//! given by `-c` (organizr: its `data_dir` receives the users), so the
//! import arguments are parsed here, apart from the main command line:
//! `import organizr` uses `--config` for Organizr's `config.php`.
//!
//! Exit codes: 0 a configuration was written (warnings or not), 1 the
//! input cannot be read or is malformed (nothing written), 2 usage.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::import::{nginx, organizr, ImportError};

/// The `import` command line.
#[derive(Debug, Parser)]
#[command(name = "gatehouse import", about = "Move in from nginx and Organizr")]
pub struct ImportCli {
    #[command(subcommand)]
    pub what: ImportCommand,
}

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Convert an nginx configuration to a Gatehouse configuration (stdout or -o).
    Nginx {
        /// The main nginx file (nginx.conf, a site file, or a proxy-confs fragment).
        file: PathBuf,
        /// Look up absolute paths (includes, certificates) under DIR first.
        #[arg(long, value_name = "DIR")]
        prefix: Option<PathBuf>,
        /// Write the configuration to OUT instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
        /// Copy the certificates into DIR under the names Gatehouse looks for.
        #[arg(long, value_name = "DIR")]
        certs_dir: Option<PathBuf>,
    },
    /// Import Organizr's users (into CONFIG's store), tabs and settings (as TOML).
    Organizr {
        /// Organizr's database (organizr.db); only read.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Organizr's config.php (settings; without it, Organizr's defaults).
        #[arg(long = "config", value_name = "FILE")]
        php: Option<PathBuf>,
        /// Update this Gatehouse configuration in place (comments kept) instead of printing.
        #[arg(long, value_name = "FILE", conflicts_with = "output")]
        merge: Option<PathBuf>,
        /// Write the TOML to OUT instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
        /// The Gatehouse configuration whose data_dir receives the users.
        #[arg(short = 'c', value_name = "CONFIG")]
        gatehouse_config: Option<PathBuf>,
        /// Replace users whose name already exists.
        #[arg(long)]
        overwrite: bool,
    },
}

/// Runs `gatehouse import …` with the arguments after `import`.
/// `config` is the `-c` given before `import` (or the default).
pub fn run(args: Vec<OsString>, config: &Path) -> ExitCode {
    let argv = std::iter::once(OsString::from("gatehouse import")).chain(args);
    let cli = match ImportCli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.what {
        ImportCommand::Nginx {
            file,
            prefix,
            output,
            certs_dir,
        } => run_nginx(file, prefix, output, certs_dir),
        ImportCommand::Organizr {
            db,
            php,
            merge,
            output,
            gatehouse_config,
            overwrite,
        } => run_organizr(organizr::Options {
            db,
            php,
            merge,
            output,
            config: gatehouse_config.unwrap_or_else(|| config.to_path_buf()),
            overwrite,
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse import: {e}");
            ExitCode::from(1)
        }
    }
}

fn run_nginx(
    file: PathBuf,
    prefix: Option<PathBuf>,
    output: Option<PathBuf>,
    certs_dir: Option<PathBuf>,
) -> Result<(), ImportError> {
    let out = nginx::import(&nginx::Options {
        file,
        prefix,
        certs_dir,
    })?;
    for w in &out.warnings {
        eprintln!("{w}");
    }
    let target = match &output {
        Some(path) => {
            crate::import::write_atomically(path, &out.toml)?;
            path.display().to_string()
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(out.toml.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| ImportError::plain(format!("cannot write to stdout: {e}")))?;
            "stdout".to_owned()
        }
    };
    nginx::copy_certs(&out.certs)?;
    eprintln!(
        "gatehouse import nginx: wrote the configuration to {target}: {} routes, {} redirects, {} warnings",
        out.routes,
        out.redirects,
        out.warnings.len()
    );
    Ok(())
}

fn run_organizr(opts: organizr::Options) -> Result<(), ImportError> {
    let report = organizr::run(&opts)?;
    for line in &report.users.lines {
        eprintln!("{line}");
    }
    for w in &report.warnings {
        eprintln!("{w}");
    }
    let target = match &report.written {
        organizr::Written::Stdout(text) => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| ImportError::plain(format!("cannot write to stdout: {e}")))?;
            "stdout".to_owned()
        }
        organizr::Written::File(path) => path.display().to_string(),
        organizr::Written::Merged(path, changes) if changes.is_empty() => {
            format!("{} (already up to date, not touched)", path.display())
        }
        organizr::Written::Merged(path, changes) => {
            format!("{} ({} changes)", path.display(), changes.len())
        }
    };
    let u = &report.users;
    eprintln!(
        "gatehouse import organizr: users into {}: {} added, {} replaced, {} unchanged, {} left alone, {} skipped; {} routes, {} links, {} groups written to {target}",
        report.data_dir.display(),
        u.added,
        u.updated,
        u.unchanged,
        u.left_alone,
        u.skipped,
        report.routes,
        report.links,
        report.groups
    );
    Ok(())
}
