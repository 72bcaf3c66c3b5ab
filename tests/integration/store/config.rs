//! `[store] url` in `gatehouse check`: a bad URL is refused with
//! FILE:LINE: KEY: reason (value), its password masked; a good one passes,
//! its password printed nowhere.

use std::process::Command;

fn check(text: &str) -> (tempfile::TempDir, std::path::PathBuf, i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gatehouse.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["check", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, path, out.status.code().unwrap_or(-1), text)
}

#[test]
fn test_store_url_bad_scheme_reported_with_password_masked() {
    let (_dir, path, code, out) = check("[store]\nurl = \"mysql://gh:hunter2@db.lan/gatehouse\"\n");
    assert_eq!(code, 1, "{out}");
    let want = format!("{}:2: store.url:", path.display());
    assert!(out.contains(&want), "{out}");
    assert!(
        out.contains("postgres://"),
        "the reason says what is accepted: {out}"
    );
    assert!(
        out.contains("(\"mysql://gh:***@db.lan/gatehouse\")"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
}

#[test]
fn test_store_url_bad_port_and_query_password_masked() {
    let (_dir, _path, code, out) =
        check("[store]\nurl = \"postgres://gh:hunter2@db:notaport/x?password=hunter3\"\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("store.url"), "{out}");
    assert!(
        !out.contains("hunter2") && !out.contains("hunter3"),
        "{out}"
    );
}

#[test]
fn test_store_url_valid_passes_check_without_showing_password() {
    let (_dir, _path, code, out) =
        check("[store]\nurl = \"postgres://gh:hunter2@127.0.0.1:5432/gatehouse\"\n");
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    let (_dir, _path, code, out) = check("[store]\nurl = \"\"\n");
    assert_eq!(code, 0, "{out}");
    let (_dir, path, code, out) = check("[store]\nurl = \"\"\nbogus = 1\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("{}:3: store.bogus:", path.display())),
        "{out}"
    );
}
