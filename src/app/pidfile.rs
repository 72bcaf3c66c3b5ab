//! `data_dir/gatehouse.pid`: the running gateway's process id, written once
//! it serves, removed when it exits cleanly (only while it still names this
//! process: after an upgrade it names the new one). `gatehouse reload` and
//! `gatehouse upgrade` find the gateway through it.

use std::io;
use std::path::{Path, PathBuf};

/// The file's name in `data_dir`.
pub const FILE: &str = "gatehouse.pid";

/// Where the pid file of the gateway using `data_dir` lives.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// Writes this process's id (whole file at once: a reader never sees half).
pub fn write(data_dir: &Path) -> io::Result<()> {
    let tmp = data_dir.join(format!("{FILE}.{}", std::process::id()));
    std::fs::write(&tmp, format!("{}\n", std::process::id()))?;
    std::fs::rename(&tmp, path(data_dir))
}

/// Removes the file if it still names this process.
pub fn remove_if_ours(data_dir: &Path) {
    if read(data_dir).ok() == Some(std::process::id()) {
        if let Err(e) = std::fs::remove_file(path(data_dir)) {
            tracing::warn!(error = %e, "pid file not removed");
        }
    }
}

/// Why the pid file names no process to signal.
#[derive(Debug, thiserror::Error)]
pub enum PidError {
    #[error("{0}: no pid file: is the gateway running with this data_dir?")]
    Missing(PathBuf),
    #[error("{0}: cannot read: {1}")]
    Unreadable(PathBuf, io::Error),
    #[error("{0}: not a process id ({1:?})")]
    Garbled(PathBuf, String),
}

/// The process id the file names.
pub fn read(data_dir: &Path) -> Result<u32, PidError> {
    let file = path(data_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(PidError::Missing(file)),
        Err(e) => return Err(PidError::Unreadable(file, e)),
    };
    match text.trim().parse::<u32>() {
        Ok(pid) if pid > 1 => Ok(pid),
        _ => Err(PidError::Garbled(file, text.trim().to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_pid_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read(dir.path()), Err(PidError::Missing(_))));
        write(dir.path()).unwrap();
        assert_eq!(read(dir.path()).ok(), Some(std::process::id()));
        remove_if_ours(dir.path());
        assert!(!path(dir.path()).exists());
    }

    #[test]
    fn test_pid_file_of_another_process_stays() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path()), "999999\n").unwrap();
        remove_if_ours(dir.path());
        assert_eq!(read(dir.path()).ok(), Some(999_999));
        std::fs::write(path(dir.path()), "soon").unwrap();
        assert!(matches!(read(dir.path()), Err(PidError::Garbled(..))));
    }
}
