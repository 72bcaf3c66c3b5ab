//! Outside programs a test needs (Debian packages that `.ci/run` installs):
//! missing on a developer machine, the test prints one line saying what was
//! skipped and how to install it, and passes; with `CI` set it fails.

use std::path::Path;

/// `true` when `path` exists; otherwise reports the skip (or panics in CI).
pub fn available(path: &str, package: &str, test: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    let line = format!("skipped {test}: {path} is missing (apt-get install {package})");
    assert!(std::env::var_os("CI").is_none(), "{line}; CI must run it");
    println!("{line}");
    false
}
