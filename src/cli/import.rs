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

use crate::import::{nginx, ImportError};

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
    let _ = config;
    let outcome = match cli.what {
        ImportCommand::Nginx {
            file,
            prefix,
            output,
            certs_dir,
        } => run_nginx(file, prefix, output, certs_dir),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse import: {e}");
            ExitCode::from(1)
        }
    }
}

/// Writes `text` to `path` atomically (a temporary file renamed into place).
pub fn write_atomically(path: &Path, text: &str) -> Result<(), ImportError> {
    let shown = path.display().to_string();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.gatehouse-import.tmp",
        path.file_name()
            .map_or("out".into(), |n| n.to_string_lossy())
    ));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ImportError::file(&shown, format!("cannot write: {e}"))
    })
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
            write_atomically(path, &out.toml)?;
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
