//! Outside programs and capabilities some tests need (nginx, Chromium, a
//! tmpfs mount). Missing on a developer's machine: the test prints one line
//! saying what was skipped and how to install it, and passes. With `CI` set
//! in the environment (as `.ci/run` has it) a missing program fails the test
//! instead, so CI can never skip silently.

use std::path::{Path, PathBuf};

/// Whether this run is CI (the `CI` environment variable is set).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Reports that `what` is missing: panics in CI, else prints the skip line.
/// Returns `false` so callers can `if !missing(..) { return; }`-style bail.
pub fn missing(test: &str, what: &str, install: &str) -> bool {
    let line = format!("SKIPPED {test}: {what} is not available ({install})");
    assert!(!in_ci(), "{line} — CI must run every test");
    eprintln!("{line}");
    false
}

/// The program `name` (an absolute path, or looked up in `PATH`, `/usr/sbin`
/// and `/sbin`), or `None` after reporting it missing.
pub fn program(test: &str, name: &str, install: &str) -> Option<PathBuf> {
    let found = if Path::new(name).is_absolute() {
        Path::new(name).is_file().then(|| PathBuf::from(name))
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    if found.is_none() {
        missing(test, name, install);
    }
    found
}

/// A tmpfs of `size` bytes mounted on a fresh temporary directory;
/// unmounted when dropped.
#[derive(Debug)]
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts it (needs root, as `.ci/run` has), or `None` after reporting
    /// that mounting is not possible here.
    pub fn mount(test: &str, size: u64) -> Option<Tmpfs> {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-tmpfs-")
            .tempdir()
            .expect("temp dir");
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                let why = String::from_utf8_lossy(&o.stderr).trim().to_string();
                missing(
                    test,
                    &format!("a tmpfs mount ({why})"),
                    "run the tests as root",
                );
                None
            }
            Err(e) => {
                missing(test, &format!("mount(8) ({e})"), "apt-get install mount");
                None
            }
        }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// `true` when the program at `path` (or named `path`) exists; otherwise
/// reports it missing with `apt-get install PACKAGE` and returns `false`.
pub fn available(path: &str, package: &str, test: &str) -> bool {
    program(test, path, &format!("apt-get install {package}")).is_some()
}
