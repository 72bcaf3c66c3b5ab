//! The SSO debug area through the real gateway (every flag in each state,
//! admins only), and `gatehouse plex token|servers` run as the real binary
//! against the fake plex.tv, including its error answers.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::common::{add_user, api_login, cli, debug_json, gateway, get, Fakes, Setup};
use crate::support::fakes::ombi::OMBI_API_KEY;
use crate::support::fakes::plex_tv::{PlexTvFake, ALICE, BOB, MACHINE_ID, OTHER_MACHINE_ID};
use crate::support::fakes::Mode;

fn flags(enabled: bool, cookie: bool, url: bool, api: bool, backend: bool) -> Value {
    json!({"enabled": enabled, "cookie": cookie, "url": url, "api": api, "backend": backend})
}

fn statuses(v: &Value) -> Vec<(String, String)> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["service"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn test_debug_all_enabled_with_and_without_cookies() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    let v = debug_json(&gw, &l.jar()).await;
    assert_eq!(v["plex"], flags(true, true, true, true, true));
    assert_eq!(v["ombi"], flags(true, true, true, true, true));
    assert_eq!(v["tautulli"], flags(true, true, true, true, true));
    assert_eq!(
        v["plex_details"],
        json!({"machine_id": true, "token": true, "admin": "username", "strict_friends": true, "oauth": true})
    );
    let instances = v["tautulli_instances"].as_array().unwrap();
    assert_eq!(instances.len(), 2);
    assert!(instances[0]["url"]
        .as_str()
        .unwrap()
        .starts_with(&f.t1.url()));
    assert!(instances[1]["url"]
        .as_str()
        .unwrap()
        .starts_with(&f.t2.url()));
    assert!(instances.iter().all(|i| i["token"] == true));
    let s = statuses(&v);
    assert_eq!(s.len(), 4, "{s:?}");
    assert!(s.iter().all(|(_, st)| st == "ok"), "{s:?}");
    assert_eq!((s[0].0.as_str(), s[1].0.as_str()), ("plex", "ombi"));
    // The Ombi key was checked live.
    let check = f.ombi.server.requests_to("/api/v1/Settings/about");
    assert_eq!(check.last().unwrap().header("ApiKey"), Some(OMBI_API_KEY));
    let text = v.to_string();
    assert!(
        !text.contains(ALICE.token) && !text.contains(OMBI_API_KEY),
        "no secrets: {text}"
    );

    // Only the session cookie: the browser-side cookies are reported absent.
    let session = format!(
        "gatehouse_session={}",
        super::common::cookie(&l.cookies, "gatehouse_session").value
    );
    let v = debug_json(&gw, &session).await;
    assert_eq!(v["plex"]["cookie"], false);
    assert_eq!(v["ombi"]["cookie"], false);
    assert_eq!(
        v["tautulli"]["cookie"], true,
        "Tautulli tokens live in the session"
    );
}

#[tokio::test]
async fn test_debug_invalid_keys_and_a_failed_instance() {
    let f = Fakes::start();
    let gw = gateway(
        &f,
        &Setup {
            ombi_key: "not-the-key".into(),
            tautulli_key: String::new(),
            ..Setup::default()
        },
    );
    f.t1.set_mode(Mode::Down);
    f.ombi.set_mode(Mode::Unauthorized);
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200);
    f.ombi.set_mode(Mode::Ok);
    let v = debug_json(&gw, &l.jar()).await;
    assert_eq!(
        v["ombi"],
        flags(true, false, true, false, true),
        "key refused by Ombi"
    );
    assert_eq!(
        v["tautulli"],
        flags(true, false, true, false, true),
        "no key; one instance without token"
    );
    let instances = v["tautulli_instances"].as_array().unwrap();
    assert_eq!(
        (instances[0]["token"].clone(), instances[1]["token"].clone()),
        (json!(false), json!(true))
    );
    let s = statuses(&v);
    assert_eq!(s[1], ("ombi".to_string(), "401".to_string()), "{s:?}");
    assert!(s[2].0.starts_with("tautulli ") && s[2].1 != "ok", "{s:?}");
    assert_eq!(s[3].1, "ok", "{s:?}");
    let check = f.ombi.server.requests_to("/api/v1/Settings/about");
    assert_eq!(check.last().unwrap().header("ApiKey"), Some("not-the-key"));
}

#[tokio::test]
async fn test_debug_disabled_services_and_local_backend() {
    let f = Fakes::start();
    let s = Setup {
        backend: "local",
        plex_sso: false,
        ombi: false,
        ombi_url: false,
        ombi_key: String::new(),
        tautulli: false,
        tautulli_urls: Some(Vec::new()),
        tautulli_key: String::new(),
        ..Setup::default()
    };
    let gw = gateway(&f, &s);
    add_user(&gw, "root", "co-admin", "root-pw");
    let l = api_login(&gw, "root", "root-pw", false).await;
    assert_eq!(l.status, 200);
    let v = debug_json(&gw, &l.jar()).await;
    assert_eq!(v["plex"], flags(false, false, true, true, false));
    assert_eq!(v["ombi"], flags(false, false, false, false, false));
    assert_eq!(v["tautulli"], flags(false, false, false, false, false));
    assert_eq!(v["results"], json!([]));
    assert!(
        f.ombi.requests().is_empty(),
        "no live key check when Ombi SSO is off"
    );
}

#[tokio::test]
async fn test_debug_page_admins_only() {
    let f = Fakes::start();
    let gw = gateway(&f, &Setup::default());
    let bob = api_login(&gw, "bob", BOB.password, false).await;
    assert_eq!(bob.body["group"], 4);
    for path in ["/gatehouse/admin/sso", "/gatehouse/admin/sso?format=json"] {
        assert_eq!(get(&gw, path, &bob.jar()).await.status(), 403, "{path}");
    }
    let resp = get(&gw, "/gatehouse/admin/sso", "").await;
    assert_eq!(resp.status(), 302, "not signed in: to the sign-in page");
    let alice = api_login(&gw, "alice", ALICE.password, false).await;
    let resp = get(&gw, "/gatehouse/admin/sso", &alice.jar()).await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("id=\"sso-plex\"") && html.contains("id=\"sso-tautulli\""),
        "{html}"
    );
}

/// A config for the CLI only (no gateway), in a fresh directory.
fn cli_config(plex: &PlexTvFake, token: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gatehouse.toml");
    let toml = format!(
        "[server]\ndata_dir = {:?}\n\n[plex]\ntoken = {token:?}\napi_url = {:?}\napp_url = {:?}\n",
        dir.path().join("data"),
        plex.url(),
        plex.url()
    );
    std::fs::write(&path, toml).unwrap();
    (dir, path)
}

/// Runs `gatehouse plex ARGS`; (exit code, stdout, the error line if any).
fn plex_cli(config: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut all = vec!["plex"];
    all.extend_from_slice(args);
    let out = cli(config, &all, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // The error stands on a line of its own, also after an unanswered prompt.
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("gatehouse:"))
        .collect();
    assert!(
        errors.iter().all(|l| l.starts_with("gatehouse:")),
        "error shares a line with a prompt: {stderr}"
    );
    assert!(errors.len() <= 1, "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        errors.first().map(|l| l.to_string()).unwrap_or_default(),
    )
}

#[tokio::test]
async fn test_cli_plex_token_prints_the_token() {
    let plex = PlexTvFake::start();
    let (_dir, config) = cli_config(&plex, "");
    let (code, out, err) = plex_cli(&config, &["token"], "alice\nalice-pw\n");
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "alice-plex-token-0001\n", "")
    );
    let (code, out, _) = plex_cli(&config, &["token"], "alice@example.com\nalice-pw\n");
    assert_eq!((code, out), (0, format!("{}\n", ALICE.token)));
    let reqs = plex.server.requests_to("/users/sign_in.json");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].form("user[login]").as_deref(), Some("alice"));
    let ids: Vec<_> = reqs
        .iter()
        .map(|r| r.header("X-Plex-Client-Identifier").unwrap().to_string())
        .collect();
    assert_eq!(ids[0], ids[1], "one stable client identifier per install");
}

#[tokio::test]
async fn test_cli_plex_token_errors_exit_1_with_one_line() {
    let plex = PlexTvFake::start();
    let (_dir, config) = cli_config(&plex, "");
    let cases = [
        ("alice\nwrong\n", "gatehouse: plex.tv: wrong username, e-mail or password"),
        ("erin\nerin-pw\n", "gatehouse: plex.tv: this account uses two-factor authentication; sign in with Plex (PIN) instead"),
        ("alice\n", "gatehouse: expected the plex.tv username (or e-mail) and the password on two lines of standard input"),
    ];
    for (stdin, want) in cases {
        let (code, out, err) = plex_cli(&config, &["token"], stdin);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (1, "", want),
            "{stdin:?}"
        );
    }
    plex.set_mode(Mode::RateLimited);
    let (code, _, err) = plex_cli(&config, &["token"], "alice\nalice-pw\n");
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "gatehouse: plex.tv is rate limiting requests (429); try again later"
        )
    );
    plex.set_mode(Mode::Down);
    let (code, out, err) = plex_cli(&config, &["token"], "alice\nalice-pw\n");
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.starts_with("gatehouse: plex.tv is unreachable at "),
        "{err}"
    );
    assert!(!err.contains("alice-pw"));
}

#[tokio::test]
async fn test_cli_plex_servers_lists_name_owned_machine_id() {
    let plex = PlexTvFake::start();
    let (_dir, config) = cli_config(&plex, ALICE.token);
    let (code, out, err) = plex_cli(&config, &["servers"], "");
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(rows[0], ["NAME", "OWNED", "MACHINE IDENTIFIER"]);
    assert_eq!(rows[1], ["Alice & Friends", "yes", MACHINE_ID]);
    assert_eq!(rows[2], ["Zed's Server", "no", OTHER_MACHINE_ID]);
    assert_eq!(rows.len(), 3);
    let r = plex.server.requests_to("/pms/servers");
    assert_eq!(r.last().unwrap().header("X-Plex-Token"), Some(ALICE.token));

    let (code, out, _) = plex_cli(&config, &["servers", "--token", BOB.token], "");
    assert_eq!((code, out.lines().count()), (0, 1), "header only: {out}");
    let (code, _, err) = plex_cli(&config, &["servers", "--token", "bogus"], "");
    assert_eq!(
        (code, err.as_str()),
        (1, "gatehouse: plex.tv refused the token (401)")
    );
    plex.set_mode(Mode::Down);
    let (code, _, err) = plex_cli(&config, &["servers"], "");
    assert_eq!(code, 1);
    assert!(
        err.starts_with("gatehouse: plex.tv is unreachable at "),
        "{err}"
    );

    let (_dir2, no_token) = cli_config(&plex, "");
    let (code, _, err) = plex_cli(&no_token, &["servers"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no Plex token"), "{err}");
}
