//! Outside programs a test needs (nginx, …): present, or the test prints
//! one line saying what was skipped and how to install it, and passes —
//! unless the environment variable `CI` is set, then it fails.

use std::path::Path;

/// Whether `program` exists; otherwise a skip line (or a panic under CI).
pub fn available(program: &str, test: &str, install: &str) -> bool {
    if Path::new(program).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {program} is missing (CI is set, so this fails): {install}");
    }
    eprintln!("skipped {test}: {program} is missing; install it with: {install}");
    false
}
