//! `gatehouse import`: moving in from nginx and Organizr.
//!
//! - [`nginx`] reads an nginx configuration the way nginx does (tokenizer,
//!   includes, inheritance, location rules) and writes a Gatehouse TOML,
//!   with every directive it does not honour reported as a [`Warning`].
//! - [`organizr`] reads an Organizr database (users, groups, tabs) and its
//!   `config.php` (settings, encrypted passwords decrypted), writes the
//!   routes and settings as TOML and the users into the store.
//!
//! Both only read their inputs and write nothing until everything was read.

pub mod nginx;
pub mod organizr;

pub mod toml_out;

use std::fmt;
use std::io::Write as _;
use std::path::Path;

/// Why an import stopped: unreadable or malformed input (exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file, as shown to the user.
    pub file: Option<String>,
    /// 1-based line (0 = the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl ImportError {
    /// An error at `file:line`.
    pub fn at(file: &str, line: usize, message: impl Into<String>) -> ImportError {
        ImportError {
            file: Some(file.to_owned()),
            line,
            message: message.into(),
        }
    }

    /// An error about a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> ImportError {
        ImportError::at(file, 0, message)
    }

    /// An error with no file.
    pub fn plain(message: impl Into<String>) -> ImportError {
        ImportError {
            file: None,
            line: 0,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), 0) => write!(f, "{file}: {}", self.message),
            (Some(file), line) => write!(f, "{file}:{line}: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Something in the input that the output does not do the same way:
/// `FILE:LINE: DIRECTIVE: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file, as shown to the user.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The directive (or setting) concerned.
    pub directive: String,
    /// What happens instead, and what to do about it.
    pub reason: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.directive, self.reason
        )
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
