//! Account helpers shared by every test area: fast argon2 settings, the real
//! `gatehouse user …` CLI, protected routes with identity headers, sign-in
//! through the real portal, and the gateway's SQLite store.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use std::path::Path;

use super::binary::{client, Gateway, GatewayBuilder};

/// Cheap argon2id parameters for the CLI and the gateway.
pub const ARGON: &str = "m=64,t=1,p=1";

/// Deadline for anything polled (CLI changes, expiry, restarts).
pub const WITHIN: Duration = Duration::from_secs(10);

/// Interval between polls.
pub const POLL: Duration = Duration::from_millis(50);

/// The session cookie's name.
pub const COOKIE: &str = "gatehouse_session";

/// A gateway builder with fast hashing.
pub fn builder(rest_toml: &str) -> GatewayBuilder {
    GatewayBuilder::new(rest_toml).env("GATEHOUSE_ARGON2", ARGON)
}

/// A `[[route]]` at `path` to `upstream` with `auth` (a TOML value such as
/// `"\"user\""` or `"4"`) and the four identity headers.
pub fn protected(name: &str, path: &str, upstream: &str, auth: &str) -> String {
    format!(
        "[[route]]\nname = {name:?}\npath = {path:?}\nupstream = [{upstream:?}]\nauth = {auth}\n\
         identity_headers = {{ \"X-WEBAUTH-USER\" = \"username\", \"X-WEBAUTH-EMAIL\" = \"email\", \
         \"X-WEBAUTH-GROUP\" = \"group\", \"X-WEBAUTH-GROUP-NAME\" = \"group_name\" }}\n"
    )
}

/// Runs `gatehouse -c <config> <args…>` in the gateway's directory with
/// `stdin` written to it.
pub fn cli(gw: &Gateway, args: &[&str], stdin: &str) -> Output {
    cli_at(gw.config_path(), args, stdin)
}

/// Runs `gatehouse -c <config> <args…>` (in the configuration's directory)
/// with `stdin` written to it.
pub fn cli_at(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    if let Some(dir) = config.parent().filter(|d| !d.as_os_str().is_empty()) {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .arg("-c")
        .arg(config)
        .args(args)
        .env("GATEHOUSE_ARGON2", ARGON)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the gatehouse CLI");
    let mut input = child.stdin.take().expect("CLI stdin");
    input.write_all(stdin.as_bytes()).expect("write CLI stdin");
    drop(input);
    child.wait_with_output().expect("CLI output")
}

/// Runs the CLI and panics with its output unless it succeeded.
pub fn cli_ok(gw: &Gateway, args: &[&str], stdin: &str) {
    let out = cli(gw, args, stdin);
    assert!(
        out.status.success(),
        "gatehouse {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `gatehouse user add NAME --group G --email NAME@example.com --password-stdin`.
pub fn add_user(gw: &Gateway, name: &str, group: &str, password: &str) {
    add_user_with_email(gw, name, group, password, &format!("{name}@example.com"));
}

/// `gatehouse user add NAME --group G --email E --password-stdin`.
pub fn add_user_with_email(gw: &Gateway, name: &str, group: &str, password: &str, email: &str) {
    cli_ok(
        gw,
        &[
            "user",
            "add",
            name,
            "--group",
            group,
            "--email",
            email,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
}

/// `POST /gatehouse/login` (form); returns the response.
pub async fn login_form(gw: &Gateway, user: &str, password: &str, rd: &str) -> reqwest::Response {
    client()
        .post(gw.url("/gatehouse/login"))
        .form(&[("username", user), ("password", password), ("rd", rd)])
        .send()
        .await
        .expect("POST /gatehouse/login")
}

/// The `name=value` of the session cookie a response sets, if any.
pub fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    set_cookies(resp)
        .into_iter()
        .filter_map(|c| c.split(';').next().map(str::to_string))
        .find(|c| c.starts_with(&format!("{COOKIE}=")) && c.len() > COOKIE.len() + 1)
}

/// Every `Set-Cookie` value of a response.
pub fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or("").to_string())
        .collect()
}

/// Signs in and returns `gatehouse_session=<token>`; panics on failure.
pub async fn login(gw: &Gateway, user: &str, password: &str) -> String {
    let resp = login_form(gw, user, password, "/").await;
    let status = resp.status();
    session_cookie(&resp).unwrap_or_else(|| panic!("sign-in of {user} failed: {status}"))
}

/// GET `path` with an optional cookie, as a script (no text/html) or a
/// browser navigation; returns the status.
pub async fn get_status(gw: &Gateway, path: &str, cookie: Option<&str>, browser: bool) -> u16 {
    let mut req = client().get(gw.url(path));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if browser {
        req = req.header("Accept", "text/html,application/xhtml+xml");
    }
    req.send()
        .await
        .expect("GET through the gateway")
        .status()
        .as_u16()
}

/// Polls `GET path` (script style) until it answers `want`; panics after [`WITHIN`].
pub async fn wait_status(gw: &Gateway, path: &str, cookie: Option<&str>, want: u16) {
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let got = get_status(gw, path, cookie, false).await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "GET {path} still {got}, not {want}, after {WITHIN:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The gateway's SQLite store.
pub fn db(gw: &Gateway) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(gw.dir().join("data").join("gatehouse.db"))
        .expect("open the store");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    conn
}
