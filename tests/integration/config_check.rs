//! `gatehouse check -c FILE` on the real binary: every kind of bad
//! configuration exits 1 and prints `FILE:LINE: KEY: reason (value)` with the
//! right line; the shipped `conf/gatehouse.toml`, an empty file and the
//! fixtures in `conf/test/` exit 0.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Exit code and stdout+stderr of `gatehouse check -c path`.
fn run_check(path: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["check", "-c"])
        .arg(path)
        .output()
        .expect("run gatehouse check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Writes `text` to a fresh temporary file and checks it.
fn check_text(text: &str) -> (tempfile::TempDir, PathBuf, i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gatehouse.toml");
    std::fs::write(&path, text).expect("write config");
    let (code, out) = run_check(&path);
    (dir, path, code, out)
}

/// Asserts `check` fails and reports `KEY` at `LINE` for each `(line, key)`.
fn assert_errors(text: &str, expected: &[(usize, &str)]) -> String {
    let (_dir, path, code, out) = check_text(text);
    assert_eq!(code, 1, "expected exit 1, output:\n{out}");
    for (line, key) in expected {
        let want = format!("{}:{line}: {key}:", path.display());
        assert!(out.contains(&want), "missing {want:?} in:\n{out}");
    }
    out
}

/// A valid route, four lines long.
const ROUTE: &str =
    "[[route]]\nname = \"app\"\npath = \"/app/\"\nupstream = [\"http://127.0.0.1:9000/\"]\n";

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn test_check_shipped_config_ok() {
    let (code, out) = run_check(&repo_file("conf/gatehouse.toml"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok"), "{out}");
}

#[test]
fn test_check_empty_file_ok() {
    let (_dir, _path, code, out) = check_text("");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn test_check_fixture_routes_only_ok() {
    let (code, out) = run_check(&repo_file("conf/test/routes_only.toml"));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn test_check_missing_file() {
    let (code, out) = run_check(Path::new("/nonexistent/gatehouse.toml"));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("/nonexistent/gatehouse.toml:0: file: cannot read"),
        "{out}"
    );
}

#[test]
fn test_check_toml_syntax_error() {
    let out = assert_errors(
        "[server]\nlisten = [\"127.0.0.1:8080\"\n\n[portal]\nprefix = \"/x\"\n",
        &[],
    );
    assert!(out.contains(": toml: syntax error"), "{out}");
    assert_errors("[server]\n\nthreads = = 2\n", &[(3, "toml")]);
}

#[test]
fn test_check_unknown_keys() {
    let text = format!(
        "colour = 1\n[proxy]\nproxy_buffers = \"32 4k\"\n[sso.ombi]\nkey = \"x\"\n{ROUTE}auht = \"user\"\n"
    );
    assert_errors(
        &text,
        &[
            (1, "colour"),
            (3, "proxy.proxy_buffers"),
            (5, "sso.ombi.key"),
            (10, "route[0].auht"),
        ],
    );
}

#[test]
fn test_check_wrong_types() {
    assert_errors(
        "[server]\nthreads = \"four\"\n[proxy]\nwebsocket = \"yes\"\n",
        &[(2, "server.threads"), (4, "proxy.websocket")],
    );
}

#[test]
fn test_check_bad_size() {
    assert_errors(
        "[proxy]\nclient_max_body_size = \"10mb\"\n",
        &[(2, "proxy.client_max_body_size")],
    );
}

#[test]
fn test_check_bad_duration() {
    assert_errors(
        "[session]\nlifetime = \"forever\"\n[proxy]\nread_timeout = \"4 minutes-ish\"\n",
        &[(2, "session.lifetime"), (4, "proxy.read_timeout")],
    );
}

#[test]
fn test_check_bad_regex() {
    assert_errors(
        "[[redirect]]\nif_referer = \"/plex/\"\nfrom = \"^/web/(.*\"\nto = \"/plex/web/$1\"\n",
        &[(3, "redirect[0].from")],
    );
}

#[test]
fn test_check_bad_upstream_url() {
    let text = "[[route]]\nname = \"a\"\npath = \"/a/\"\nupstream = [\n  \"http://127.0.0.1:1/\",\n  \"127.0.0.1:32400\",\n]\n";
    assert_errors(text, &[(6, "route[0].upstream[1]")]);
}

#[test]
fn test_check_duplicate_route_names() {
    let text = format!("{ROUTE}{}", ROUTE.replace("/app/", "/other/"));
    assert_errors(&text, &[(6, "route[1].name")]);
}

#[test]
fn test_check_duplicate_host_path() {
    let text = format!("{ROUTE}{}", ROUTE.replace("\"app\"", "\"app2\""));
    assert_errors(&text, &[(7, "route[1].path")]);
}

#[test]
fn test_check_unknown_group_names() {
    let text = format!("[plex]\nnew_user_group = \"wizard\"\n{ROUTE}auth = \"admins\"\n");
    assert_errors(&text, &[(2, "plex.new_user_group"), (7, "route[0].auth")]);
}

#[test]
fn test_check_bad_listen_address() {
    assert_errors(
        "[server]\nlisten = [\"localhost:8080\"]\n",
        &[(2, "server.listen[0]")],
    );
}

#[test]
fn test_check_bad_public_url() {
    assert_errors(
        "[server]\npublic_url = \"example.com\"\n",
        &[(2, "server.public_url")],
    );
}

#[test]
fn test_check_unknown_next_upstream() {
    assert_errors(
        "[proxy]\nnext_upstream = [\"error\", \"http_418\"]\n",
        &[(2, "proxy.next_upstream[1]")],
    );
}

#[test]
fn test_check_bad_header_names() {
    let text = format!(
        "[proxy]\nhide_headers = [\"X Frame\"]\nset_headers = {{ \"Bad Header\" = \"x\" }}\n{ROUTE}identity_headers = {{ \"X User\" = \"username\" }}\n"
    );
    assert_errors(
        &text,
        &[
            (2, "proxy.hide_headers[0]"),
            (3, "proxy.set_headers.Bad Header"),
            (8, "route[0].identity_headers.X User"),
        ],
    );
}

#[test]
fn test_check_bad_identity_value() {
    let text = format!("{ROUTE}identity_headers = {{ \"X-User\" = \"fullname\" }}\n");
    assert_errors(&text, &[(5, "route[0].identity_headers.X-User")]);
}

#[test]
fn test_check_bad_sso_item() {
    let text = format!("{ROUTE}sso = [\"plex\", \"jellyfin\"]\n");
    assert_errors(&text, &[(5, "route[0].sso[1]")]);
}

#[test]
fn test_check_unknown_variable() {
    assert_errors(
        "[proxy.set_headers]\nHost = \"$host:$server_port\"\nX-Up = \"$upstream_addr\"\n",
        &[(3, "proxy.set_headers.X-Up")],
    );
}

#[test]
fn test_check_route_path_without_slash() {
    let text = ROUTE.replace("\"/app/\"", "\"app/\"");
    assert_errors(&text, &[(3, "route[0].path")]);
}

#[test]
fn test_check_route_missing_upstream() {
    assert_errors(
        "\n[[route]]\nname = \"a\"\npath = \"/a/\"\n",
        &[(2, "route[0].upstream")],
    );
}

#[test]
fn test_check_public_suffix_domain() {
    assert_errors(
        "[session]\ndomain = \".duckdns.org\"\n",
        &[(2, "session.domain")],
    );
}

#[test]
fn test_check_bad_tautulli_urls() {
    assert_errors(
        "[sso.tautulli]\nenabled = true\nurls = \"http://127.0.0.1:8181/,tautulli.lan\"\n",
        &[(3, "sso.tautulli.urls[0]")],
    );
}

#[test]
fn test_check_bad_portal_prefix() {
    assert_errors(
        "[portal]\nprefix = \"/gatehouse/\"\n",
        &[(2, "portal.prefix")],
    );
}

#[test]
fn test_check_bad_redirect_status() {
    assert_errors(
        "[[redirect]]\nfrom = \"^/a\"\nto = \"/b\"\nstatus = 200\n",
        &[(4, "redirect[0].status")],
    );
}

#[test]
fn test_check_bad_login_backend() {
    assert_errors("[login]\nbackend = \"ldap\"\n", &[(2, "login.backend")]);
}

#[test]
fn test_check_bad_machine_id() {
    assert_errors(
        "[plex]\nmachine_id = \"not-hex\"\n",
        &[(2, "plex.machine_id")],
    );
}

#[test]
fn test_check_secret_not_printed() {
    let out = assert_errors("[plex]\ntoken = 12345\n", &[(2, "plex.token")]);
    assert!(!out.contains("12345"), "{out}");
    assert!(out.contains("<redacted>"), "{out}");
}

#[test]
fn test_check_several_errors_all_reported() {
    let path = repo_file("conf/test/many_errors.toml");
    let (code, out) = run_check(&path);
    assert_eq!(code, 1, "{out}");
    let expected = [
        (5, "server.listen[0]"),
        (9, "session.domain"),
        (12, "proxy.client_max_body_size"),
        (13, "proxy.read_timeout"),
        (14, "proxy.bogus"),
        (19, "route[0].upstream[0]"),
        (20, "route[0].auth"),
        (25, "route[1].name"),
        (31, "redirect[0].from"),
    ];
    for (line, key) in expected {
        let want = format!("{}:{line}: {key}:", path.display());
        assert!(out.contains(&want), "missing {want:?} in:\n{out}");
    }
    let reported = out
        .lines()
        .filter(|l| l.contains("many_errors.toml:"))
        .count();
    assert_eq!(reported, expected.len(), "{out}");
}

#[test]
fn test_check_host_cookie_prefix_rules() {
    let out = assert_errors(
        "[server]\npublic_url = \"https://home.example.com\"\n[session]\ndomain = \".example.com\"\ncookie = \"__Host-gatehouse_session\"\n",
        &[(5, "session.cookie")],
    );
    assert!(out.contains("Domain"), "{out}");
    let out = assert_errors(
        "[server]\npublic_url = \"http://home.example.com\"\n[session]\ncookie = \"__Host-gatehouse_session\"\n",
        &[(4, "session.cookie")],
    );
    assert!(out.contains("https"), "{out}");
    let (_dir, _path, code, out) = check_text(
        "[server]\npublic_url = \"https://home.example.com\"\n[session]\ncookie = \"__Host-gatehouse_session\"\n",
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn test_check_keepalive_keys() {
    assert_errors(
        "[server]\nkeepalive_timeout = \"soon\"\nkeepalive_requests = 0\n",
        &[
            (2, "server.keepalive_timeout"),
            (3, "server.keepalive_requests"),
        ],
    );
}

#[test]
fn test_check_refuses_incomplete_acme() {
    // No e-mail, no domains (public_url's host is an IP), no TLS listener.
    let out = assert_errors(
        "[acme]\nenabled = true\n",
        &[(1, "acme.email"), (1, "acme.domains"), (2, "acme.enabled")],
    );
    assert!(out.contains("acme.enabled: needs a TLS listener"), "{out}");
    // http-01 without a plain listener.
    let out = assert_errors(
        "[server]\nlisten = []\ntls_listen = [\"127.0.0.1:8443\"]\n\n[acme]\nenabled = true\n\
         email = \"me@example.com\"\ndomains = [\"home.example.com\"]\nchallenge = \"http-01\"\n",
        &[(9, "acme.challenge")],
    );
    assert!(
        out.contains("acme.challenge: http-01 needs a plain listener (server.listen; port 80 in production) (\"http-01\")"),
        "{out}"
    );
}

#[test]
fn test_check_accepts_complete_acme_and_https_keys() {
    let (_dir, _path, code, out) = check_text(
        "[server]\nlisten = [\"0.0.0.0:80\"]\ntls_listen = [\"0.0.0.0:443\"]\nredirect_https = true\n\
         hsts = \"365d\"\n[acme]\nenabled = true\nemail = \"me@example.com\"\n\
         domains = [\"home.example.com\"]\nchallenge = \"tls-alpn-01\"\n",
    );
    assert_eq!(code, 0, "{out}");
}
