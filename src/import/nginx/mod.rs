//! `gatehouse import nginx FILE`: an nginx configuration to a Gatehouse TOML.
//!
//! The pipeline: [`includes::load`] (tokenizer, parser, includes) →
//! [`tree::read`] (servers, locations, inheritance; unknown directives
//! refused) → [`convert::convert`] (routes, redirects, listeners, warnings)
//! → [`emit::emit`] (TOML), which is then checked with the real
//! configuration reader before anything is written.

pub mod auth;
pub mod convert;
pub mod directives;
pub mod emit;
pub mod includes;
pub mod lexer;
pub mod parser;
pub mod plan;
pub mod redirects;
pub mod rewrite;
pub mod scope;
pub mod servers;
pub mod tree;
pub mod units;
pub mod vars;

use std::path::{Path, PathBuf};

use super::{ImportError, Warning};

/// What to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The main nginx file.
    pub file: PathBuf,
    /// `--prefix DIR`: absolute paths are looked up under it first.
    pub prefix: Option<PathBuf>,
    /// `--certs-dir DIR`: copy certificates there (and set `certs_dir`).
    pub certs_dir: Option<PathBuf>,
}

/// One certificate file to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertCopy {
    pub from: PathBuf,
    pub to: PathBuf,
}

/// The result of an import.
#[derive(Debug)]
pub struct Outcome {
    /// The Gatehouse configuration.
    pub toml: String,
    /// Every warning, once each.
    pub warnings: Vec<Warning>,
    pub routes: usize,
    pub redirects: usize,
    /// Certificate files to copy once the configuration is written.
    pub certs: Vec<CertCopy>,
}

/// A path from the configuration as found on this machine (under
/// `--prefix` first for an absolute one).
fn on_disk(path: &str, prefix: Option<&Path>, main_dir: &Path) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        if let Some(prefix) = prefix {
            let under = prefix.join(p.strip_prefix("/").unwrap_or(p));
            if under.exists() {
                return under;
            }
        }
        p.to_path_buf()
    } else {
        main_dir.join(p)
    }
}

/// Reads, converts and checks; writes nothing.
pub fn import(opts: &Options) -> Result<Outcome, ImportError> {
    let (top, stock) = includes::load(&opts.file, opts.prefix.as_deref())?;
    let mut tree = tree::read(&top)?;
    tree.warnings.extend(stock);
    let mut plan = convert::convert(&tree);
    let main_dir = opts.file.parent().unwrap_or(Path::new("."));
    let mut notes = Vec::new();
    let mut copies = Vec::new();
    match &opts.certs_dir {
        Some(dir) => notes.push(format!(
            "certs_dir = {}",
            super::toml_out::string(&dir.display().to_string())
        )),
        None if !plan.certs.is_empty() => notes.push(
            "# Certificates (not copied: rerun with --certs-dir DIR, or copy them yourself):"
                .to_owned(),
        ),
        None => {}
    }
    for cert in &plan.certs {
        let crt = on_disk(&cert.cert, opts.prefix.as_deref(), main_dir);
        let key = on_disk(&cert.key, opts.prefix.as_deref(), main_dir);
        for name in &cert.names {
            match &opts.certs_dir {
                Some(dir) => {
                    for (from, ext) in [(&crt, "crt"), (&key, "key")] {
                        if !from.exists() {
                            plan.warnings.push((
                                None,
                                Warning {
                                    file: cert.file.clone(),
                                    line: cert.line,
                                    directive: "ssl_certificate".to_owned(),
                                    reason: format!(
                                        "{} does not exist here: copy it to {}",
                                        from.display(),
                                        dir.join(format!("{name}.{ext}")).display()
                                    ),
                                },
                            ));
                            continue;
                        }
                        let to = dir.join(format!("{name}.{ext}"));
                        notes.push(format!("# {} <- {}", to.display(), from.display()));
                        copies.push(CertCopy {
                            from: from.clone(),
                            to,
                        });
                    }
                }
                None => {
                    plan.warnings.push((
                        None,
                        Warning {
                            file: cert.file.clone(),
                            line: cert.line,
                            directive: "ssl_certificate".to_owned(),
                            reason: format!("not copied: Gatehouse reads certificates from certs_dir; rerun with --certs-dir DIR, or copy {} as certs/{name}.crt and its key as certs/{name}.key", crt.display()),
                        },
                    ));
                    notes.push(format!("#   cp {} certs/{name}.crt", crt.display()));
                    notes.push(format!("#   cp {} certs/{name}.key", key.display()));
                }
            }
        }
    }
    let toml = emit::emit(&plan, &opts.file.display().to_string(), &notes);
    if let Err(errors) = crate::config::parse(Path::new("<imported configuration>"), &toml) {
        return Err(ImportError::plain(format!(
            "internal error: the converted configuration does not validate; please report this with your nginx file:\n{errors}"
        )));
    }
    Ok(Outcome {
        warnings: plan.all_warnings(),
        routes: plan.routes.len(),
        redirects: plan.redirects.len(),
        certs: copies,
        toml,
    })
}

/// Copies the certificates of an [`Outcome`] (after the configuration was written).
pub fn copy_certs(certs: &[CertCopy]) -> Result<(), ImportError> {
    for c in certs {
        if let Some(dir) = c.to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                ImportError::file(&dir.display().to_string(), format!("cannot create: {e}"))
            })?;
        }
        std::fs::copy(&c.from, &c.to).map_err(|e| {
            ImportError::file(
                &c.from.display().to_string(),
                format!("cannot copy to {}: {e}", c.to.display()),
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
