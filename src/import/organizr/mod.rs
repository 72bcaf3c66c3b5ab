//! `gatehouse import organizr --db organizr.db [--config config.php]
//! [--merge FILE] [-o OUT] [-c CONFIG] [--overwrite]`.
//!
//! Reads Organizr's database ([`db`], read-only) and `config.php`
//! ([`php`], parsed, never run; passwords decrypted by [`crypto`]); turns
//! tabs and groups into routes, home links and `[groups]` ([`convert`]),
//! settings into Gatehouse keys ([`settings`]); writes users into the
//! store of CONFIG's `data_dir` ([`users`]) and the rest as TOML
//! ([`output`]). Organizr's session tokens are not imported: users sign in
//! once more.

pub mod convert;
pub mod crypto;
pub mod db;
pub mod output;
pub mod php;
pub mod settings;
pub mod users;

use std::path::{Path, PathBuf};

use super::ImportError;
use crate::store::Store;

/// What to import and where to.
#[derive(Debug, Clone)]
pub struct Options {
    pub db: PathBuf,
    /// Organizr's `config.php`; without it, Organizr's defaults.
    pub php: Option<PathBuf>,
    /// Update this configuration in place instead of printing.
    pub merge: Option<PathBuf>,
    /// Write the TOML here instead of stdout.
    pub output: Option<PathBuf>,
    /// The Gatehouse configuration whose `data_dir` gets the users.
    pub config: PathBuf,
    /// Replace users that already exist.
    pub overwrite: bool,
}

/// Where the TOML goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// To stdout: the text.
    Stdout(String),
    /// To a file (`-o`).
    File(PathBuf),
    /// Merged into a file; the changes (none: the file was not touched).
    Merged(PathBuf, Vec<String>),
}

/// What an import did.
#[derive(Debug)]
pub struct Report {
    pub users: users::UserReport,
    pub written: Written,
    pub routes: usize,
    pub links: usize,
    pub groups: usize,
    /// Notes and warnings, one line each.
    pub warnings: Vec<String>,
    /// Where the users went.
    pub data_dir: PathBuf,
}

/// Runs the import: everything is read and checked before anything is written.
pub fn run(opts: &Options) -> Result<Report, ImportError> {
    let org = db::read(&opts.db)?;
    let php = match &opts.php {
        Some(p) => {
            let shown = p.display().to_string();
            let bytes = std::fs::read(p)
                .map_err(|e| ImportError::file(&shown, format!("cannot read: {e}")))?;
            Some(php::parse(&shown, &bytes)?)
        }
        None => None,
    };
    let cfg = crate::config::load(&opts.config).map_err(|e| {
        ImportError::plain(format!(
            "{e}\n(the users go into this configuration's data_dir; give it with -c)"
        ))
    })?;
    let (keys, notes, mut warnings) = settings::Settings::new(php.as_ref()).keys();
    let on = |t: &str| {
        keys.iter()
            .any(|(tt, k, v)| *tt == t && *k == "enabled" && v.as_bool() == Some(true))
    };
    let mut sso: Vec<&'static str> = Vec::new();
    for (t, name) in [
        ("sso.plex", "plex"),
        ("sso.ombi", "ombi"),
        ("sso.tautulli", "tautulli"),
    ] {
        if on(t) {
            sso.push(name);
        }
    }
    let tabs = convert::tabs(&org.tabs, &cfg.server.public_url, &sso);
    let (groups, group_warnings) = convert::custom_groups(&org.groups);
    warnings.extend(group_warnings);
    warnings.extend(tabs.skipped.iter().cloned());
    for r in tabs.routes.iter().filter(|r| r.upstream.is_none()) {
        if opts.merge.is_none() {
            warnings.push(format!("tab {}: its URL {} is relative and it has no local URL, so the upstream is unknown: run with --merge FILE where FILE routes {} (imported from nginx, say), or add the route by hand", r.title, r.path, r.path));
        }
    }
    let mut comments: Vec<String> = notes.iter().map(|n| format!("note: {n}")).collect();
    comments.extend(warnings.iter().map(|w| format!("warning: {w}")));
    let imported = output::Imported {
        keys,
        groups: groups.clone(),
        routes: tabs.routes.clone(),
        links: tabs.links.clone(),
        comments,
    };
    let header = format!(
        "Gatehouse settings, routes and home links imported from Organizr ({}{}) by\n`gatehouse import organizr`; the users went into the store in {}.\nAdd your [server] section (or use --merge FILE to update a configuration in place).",
        opts.db.display(),
        opts.php.as_ref().map(|p| format!(", {}", p.display())).unwrap_or_default(),
        cfg.server.data_dir.display()
    );
    // The configuration text, checked before the store is touched.
    let pending = match &opts.merge {
        Some(file) => {
            let shown = file.display().to_string();
            let text = std::fs::read_to_string(file)
                .map_err(|e| ImportError::file(&shown, format!("cannot read: {e}")))?;
            let mut doc: toml_edit::DocumentMut =
                text.parse().map_err(|e: toml_edit::TomlError| {
                    let line = e.span().map_or(0, |s| {
                        text[..s.start.min(text.len())].matches('\n').count() + 1
                    });
                    ImportError::at(
                        &shown,
                        line,
                        format!("not valid TOML: {}", e.message().trim()),
                    )
                })?;
            let merged_report = output::merge(&mut doc, &imported)?;
            let changes = merged_report.changes;
            warnings.extend(merged_report.skipped);
            let merged = doc.to_string();
            crate::config::parse(file, &merged).map_err(|e| ImportError::plain(format!("the merged configuration would not be valid, so {shown} is left as it was:\n{e}")))?;
            Pending::Merge(file.clone(), merged, changes)
        }
        None => {
            let text = output::render(&imported, &header);
            crate::config::parse(Path::new("<imported configuration>"), &text).map_err(|e| ImportError::plain(format!("internal error: the imported configuration does not validate; please report this:\n{e}")))?;
            Pending::Text(text)
        }
    };
    let store = Store::open_url(&cfg.store.url, &cfg.server.data_dir)
        .map_err(|e| ImportError::plain(format!("store: {e}")))?;
    let user_report = users::import(
        &store,
        &org.users,
        &names(&groups),
        opts.overwrite,
        crate::clock::now(),
    )
    .map_err(|e| ImportError::plain(format!("store: {e}")))?;
    let written = match pending {
        Pending::Merge(file, text, changes) => {
            if !changes.is_empty() {
                super::write_atomically(&file, &text)?;
            }
            Written::Merged(file, changes)
        }
        Pending::Text(text) => match &opts.output {
            Some(out) => {
                super::write_atomically(out, &text)?;
                Written::File(out.clone())
            }
            None => Written::Stdout(text),
        },
    };
    let mut all = notes;
    all.extend(warnings);
    Ok(Report {
        routes: tabs
            .routes
            .iter()
            .filter(|r| r.upstream.is_some() || opts.merge.is_some())
            .count(),
        links: tabs.links.len(),
        groups: groups.len(),
        users: user_report,
        written,
        warnings: all,
        data_dir: cfg.server.data_dir.clone(),
    })
}

enum Pending {
    Merge(PathBuf, String, Vec<String>),
    Text(String),
}

/// `[groups]` names for the report.
fn names(groups: &[(String, i64)]) -> crate::config::GroupNames {
    let text: String = std::iter::once("[groups]\n".to_owned())
        .chain(groups.iter().map(|(n, g)| format!("{n} = {g}\n")))
        .collect();
    crate::config::parse(Path::new("<groups>"), &text)
        .map(|c| c.groups)
        .unwrap_or_default()
}
