//! The `gatehouse import nginx` command line: it runs without any Gatehouse
//! configuration, writes stdout or `-o OUT`, reports every unhonoured
//! directive as `FILE:LINE: DIRECTIVE: reason` plus one summary line, and
//! exits 0 (written), 1 (input unreadable or malformed: nothing written)
//! or 2 (usage).

use std::path::Path;
use std::process::{Command, Output};

fn gatehouse(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gatehouse")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn test_import_nginx_without_a_gatehouse_config_writes_stdout_and_warnings() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("site.conf"),
        "server {\n  listen 80;\n  location /app/ {\n    proxy_pass http://127.0.0.1:9000/;\n    sub_filter '</head>' '<x>';\n  }\n}\n",
    )
    .unwrap();
    // No conf/gatehouse.toml anywhere near: the import must not need one.
    let out = gatehouse(&["import", "nginx", "site.conf"], d.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("site.conf:5: sub_filter: response bodies are passed unchanged"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().last().unwrap(),
        "gatehouse import nginx: wrote the configuration to stdout: 1 routes, 0 redirects, 1 warnings"
    );
    let toml = text(&out.stdout);
    assert!(
        toml.contains("# warning: site.conf:5: sub_filter:"),
        "the warning is above the route:\n{toml}"
    );
    std::fs::write(d.path().join("out.toml"), &toml).unwrap();
    let check = gatehouse(&["check", "-c", "out.toml"], d.path());
    assert!(
        check.status.success(),
        "gatehouse check accepts it: {}",
        text(&check.stderr)
    );
}

#[test]
fn test_import_nginx_output_file_and_certificates() {
    let d = tempfile::tempdir().unwrap();
    let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    std::fs::write(
        d.path().join("site.conf"),
        format!(
            "server {{\n listen 443 ssl;\n server_name a.test;\n ssl_certificate {0}/a.test.crt;\n ssl_certificate_key {0}/a.test.key;\n location / {{ proxy_pass http://127.0.0.1:9000; }}\n}}\nserver {{\n listen 443 ssl;\n server_name b.test;\n ssl_certificate {0}/b.test.crt;\n ssl_certificate_key {0}/b.test.key;\n location / {{ proxy_pass http://127.0.0.1:9001; }}\n}}\n",
            certs.display()
        ),
    )
    .unwrap();
    let out = gatehouse(
        &[
            "import",
            "nginx",
            "site.conf",
            "-o",
            "gh.toml",
            "--certs-dir",
            "mycerts",
        ],
        d.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let toml = std::fs::read_to_string(d.path().join("gh.toml")).unwrap();
    assert!(toml.contains("certs_dir = \"mycerts\""), "{toml}");
    for (name, src) in [
        ("default.crt", "a.test.crt"),
        ("a.test.key", "a.test.key"),
        ("b.test.crt", "b.test.crt"),
    ] {
        assert_eq!(
            std::fs::read(d.path().join("mycerts").join(name)).unwrap(),
            std::fs::read(certs.join(src)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn test_import_nginx_bad_input_exits_1_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "truncated.conf",
            b"http {\n  server {\n    listen 80;\n",
            "truncated.conf:3: unexpected end of file, expecting \"}\"",
        ),
        (
            "unknown.conf",
            b"server {\n  location / {\n    proxy_pass http://x;\n    frobnicate on;\n  }\n}\n",
            "unknown.conf:4: unknown directive \"frobnicate\"",
        ),
        (
            "binary.conf",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00",
            "binary.conf:1: not a text file",
        ),
        (
            "missing.conf",
            b"http {\n  include /etc/nowhere/proxy.conf;\n}\n",
            "missing.conf:2: include: cannot open \"/etc/nowhere/proxy.conf\"",
        ),
        (
            "loop.conf",
            b"include loop.conf;\n",
            "loop.conf:1: include loop: ",
        ),
    ];
    for (name, bytes, want) in cases {
        std::fs::write(d.path().join(name), bytes).unwrap();
        let out = gatehouse(&["import", "nginx", name, "-o", "out.toml"], d.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!("gatehouse import: {want}")),
            "{name}: {stderr}"
        );
        assert!(
            !d.path().join("out.toml").exists(),
            "{name}: nothing written"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn test_import_nginx_usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    for args in [
        &["import", "nginx"][..],
        &["import", "nginx", "a", "--bogus"],
        &["import", "apache", "x"],
    ] {
        let out = gatehouse(args, d.path());
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let help = gatehouse(&["import", "--help"], d.path());
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("organizr"));
}

#[test]
fn test_import_nginx_prefix_finds_a_copied_config() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("copied-from-server");
    std::fs::create_dir_all(root.join("config/nginx/proxy-confs")).unwrap();
    std::fs::write(
        root.join("config/nginx/proxy.conf"),
        "proxy_read_timeout 240;\nproxy_set_header Host $host;\n",
    )
    .unwrap();
    std::fs::write(
        root.join("config/nginx/proxy-confs/app.subfolder.conf"),
        "location ^~ /app/ {\n  include /config/nginx/proxy.conf;\n  proxy_pass http://127.0.0.1:9000;\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("config/nginx/default.conf"),
        "server {\n  listen 443 ssl;\n  include /config/nginx/proxy-confs/*.subfolder.conf;\n}\n",
    )
    .unwrap();
    let out = gatehouse(
        &[
            "import",
            "nginx",
            "copied-from-server/config/nginx/default.conf",
            "--prefix",
            "copied-from-server",
        ],
        d.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let toml = text(&out.stdout);
    assert!(
        toml.contains("path = \"/app/\"") && toml.contains("read_timeout = \"240s\""),
        "{toml}"
    );
}
