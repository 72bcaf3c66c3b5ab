//! `gatehouse import organizr` with the real Organizr fixture
//! (`tests/fixtures/organizr/`, copied into a temporary directory, never
//! written): every user signs in with the fixture's password, the locked one
//! is refused, groups and the custom group are right, the routes and home
//! tiles match the tabs, the settings land in the right keys, and a second
//! import changes nothing. Bad input: a clear error, exit 1, nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::accounts::common::{builder, login, login_form, session_cookie};
use crate::support::binary::{client, Gateway};
use crate::support::upstream::dead_port;

/// The fixture users: name, password, group, group name.
const USERS: &[(&str, &str, u16, &str)] = &[
    ("admin", "Admin-pass-1", 0, "admin"),
    ("carol", "Carol-pass-1", 4, "user"),
    ("dave", "Dave-pass-1", 3, "power-user"),
    ("erin", "Erin-pass-1", 2, "super-user"),
    ("frank", "Frank-pass-1", 1, "co-admin"),
    ("hank", "Hank-pass-1", 5, "family"),
];

/// A copy of the fixture in a temporary directory.
fn fixture_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/organizr");
    let dir = tempfile::tempdir().unwrap();
    for f in ["organizr.db", "config.php", "config.bak.php"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let db = dir.path().join("organizr.db");
    let php = dir.path().join("config.php");
    (dir, db, php)
}

fn gatehouse(args: &[&std::ffi::OsStr], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .current_dir(cwd)
        .env("GATEHOUSE_ARGON2", crate::accounts::common::ARGON)
        .output()
        .expect("run gatehouse")
}

fn import(gw: &Gateway, db: &Path, php: Option<&Path>, extra: &[&str]) -> Output {
    let mut args: Vec<std::ffi::OsString> =
        vec!["import".into(), "organizr".into(), "--db".into(), db.into()];
    if let Some(p) = php {
        args.push("--config".into());
        args.push(p.into());
    }
    args.push("-c".into());
    args.push(gw.config_path().into());
    args.extend(extra.iter().map(Into::into));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    gatehouse(&refs, gw.dir())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The home page's tile titles for a session.
async fn tiles(gw: &Gateway, cookie: &str) -> Vec<String> {
    let html = client()
        .get(gw.url("/"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.split("<li><a href=\"")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("\">")
                .and_then(|(_, t)| t.split_once("</a>"))
                .map(|(t, _)| t.to_owned())
        })
        .collect()
}

/// A gateway whose plex.tv and SSO calls go nowhere slow.
fn gateway() -> Gateway {
    builder(&format!(
        "[plex]\napi_url = \"http://127.0.0.1:{}\"\n",
        dead_port()
    ))
    .start()
}

fn users_table(gw: &Gateway) -> Vec<(String, String, i64, Option<String>, i64)> {
    let db = crate::accounts::common::db(gw);
    let mut s = db
        .prepare("SELECT name, email, grp, password_hash, locked FROM users ORDER BY name")
        .unwrap();
    s.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[tokio::test]
async fn test_import_organizr_users_tabs_settings_then_nothing_changes() {
    let (dir, db, php) = fixture_copy();
    let db_before = std::fs::read(&db).unwrap();
    let mut gw = gateway();
    let config = gw.config_path().to_path_buf();
    let merge = config.to_str().unwrap().to_owned();
    let out = import(&gw, &db, Some(&php), &["--merge", &merge]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("user gina: added (group 4 user, locked)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("user hank: added (group 5 family)"),
        "{stderr}"
    );
    assert!(stderr.contains("7 added"), "{stderr}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        db_before,
        "the database is only read"
    );
    for extra in ["organizr.db-wal", "organizr.db-shm", "organizr.db-journal"] {
        assert!(!dir.path().join(extra).exists(), "{extra} was created");
    }

    // Settings in the right keys.
    let merged = std::fs::read_to_string(&config).unwrap();
    let doc: toml_edit::DocumentMut = merged.parse().unwrap();
    assert_eq!(
        doc["login"]["backend"].as_str(),
        Some("local"),
        "authType internal: Organizr checked its own passwords"
    );
    assert_eq!(doc["plex"]["token"].as_str(), Some("FIXTUREPLEXTOKEN"));
    assert_eq!(
        doc["plex"]["machine_id"].as_str(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    assert_eq!(doc["plex"]["admin"].as_str(), Some("admin@example.com"));
    assert_eq!(doc["plex"]["oauth"].as_bool(), Some(true));
    assert_eq!(doc["plex"]["strict_friends"].as_bool(), Some(true));
    assert!(
        doc["plex"]["api_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "kept"
    );
    assert_eq!(doc["sso"]["plex"]["enabled"].as_bool(), Some(true));
    assert_eq!(doc["sso"]["ombi"]["enabled"].as_bool(), Some(true));
    assert_eq!(
        doc["sso"]["ombi"]["url"].as_str(),
        Some("http://127.0.0.1:3579")
    );
    assert_eq!(
        doc["sso"]["ombi"]["api_key"].as_str(),
        Some("FIXTUREOMBIKEY")
    );
    assert_eq!(
        doc["sso"]["ombi"]["fallback_user"].as_str(),
        Some("ombi-fallback")
    );
    assert_eq!(
        doc["sso"]["ombi"]["fallback_password"].as_str(),
        Some("Ombi-fallback-1"),
        "decrypted"
    );
    assert_eq!(doc["sso"]["tautulli"]["urls"].as_array().unwrap().len(), 2);
    assert_eq!(doc["sso"]["tautulli"]["min_group"].as_integer(), Some(4));
    assert_eq!(doc["session"]["remember_me"].as_str(), Some("7d"));
    assert_eq!(doc["groups"]["family"].as_integer(), Some(5));

    // Routes match the tabs.
    let routes = doc["route"].as_array_of_tables().unwrap();
    let got: Vec<(String, String, i64)> = routes
        .iter()
        .map(|t| {
            (
                t["title"].as_str().unwrap().to_owned(),
                t["path"].as_str().unwrap().to_owned(),
                t["auth"].as_integer().unwrap(),
            )
        })
        .collect();
    let want = [
        ("Plex", "/plex/", 4),
        ("Ombi", "/ombi/", 4),
        ("Tautulli", "/tautulli/", 3),
        ("Grafana", "/grafana/", 2),
        ("NZBHydra", "/nzbhydra/", 1),
        ("Calibre-web", "/calibre-web/", 4),
        ("Photos", "/photos/", 5),
    ];
    assert_eq!(got, want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c)));
    assert_eq!(
        routes.get(5).unwrap()["upstream"].as_str(),
        Some("http://192.168.1.20:8083/"),
        "url_local first"
    );
    assert_eq!(
        routes.get(0).unwrap()["upstream"].as_str(),
        Some("http://127.0.0.1:32400/")
    );
    assert_eq!(
        routes.get(6).unwrap()["home_min_group"].as_integer(),
        Some(1)
    );
    assert_eq!(
        doc["link"][0]["url"].as_str(),
        Some("https://wiki.example.net/")
    );

    // Sign-ins, groups, home tiles: with the routes loaded.
    gw.restart();
    for (name, pw, group, group_name) in USERS {
        let cookie = login(&gw, name, pw).await;
        let me: serde_json::Value = client()
            .get(gw.url("/gatehouse/api/me"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["group"], *group, "{name}");
        assert_eq!(me["group_name"], *group_name, "{name}");
        let titles = tiles(&gw, &cookie).await;
        let expected: Vec<&str> = [
            ("Plex", 4, 0),
            ("Ombi", 4, 0),
            ("Tautulli", 3, 0),
            ("Grafana", 2, 0),
            ("NZBHydra", 1, 0),
            ("Calibre-web", 4, 0),
            ("Photos", 5, 1),
            ("Wiki", 4, 0),
        ]
        .iter()
        .filter(|(_, max, min)| group <= max && group >= min)
        .map(|(t, _, _)| *t)
        .collect();
        assert_eq!(titles, expected, "home tiles of {name}");
    }
    let refused = login_form(&gw, "gina", "Gina-pass-1", "/").await;
    assert!(
        session_cookie(&refused).is_none(),
        "the locked user is refused"
    );
    let wrong = login_form(&gw, "carol", "Carol-pass-X", "/").await;
    assert!(session_cookie(&wrong).is_none());

    // A second import changes nothing.
    let users_before = users_table(&gw);
    let again = import(&gw, &db, Some(&php), &["--merge", &merge]);
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("0 added, 0 replaced, 7 unchanged"),
        "{stderr}"
    );
    assert!(
        stderr.contains("already up to date, not touched"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), merged);
    let users_after = users_table(&gw);
    let unchanged: Vec<_> = users_before
        .iter()
        .filter(|u| !u.3.as_deref().is_some_and(|h| h.starts_with("$argon2")))
        .collect();
    for u in unchanged {
        assert!(users_after.contains(u), "{} changed", u.0);
    }
}

#[tokio::test]
async fn test_import_organizr_wizard_config_to_stdout_takes_organizr_defaults() {
    let (dir, db, _) = fixture_copy();
    let gw = gateway();
    let out = import(&gw, &db, Some(&dir.path().join("config.bak.php")), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let toml = text(&out.stdout);
    let doc: toml_edit::DocumentMut = toml.parse().unwrap();
    assert_eq!(
        doc["plex"]["oauth"].as_bool(),
        Some(false),
        "Organizr's default"
    );
    assert_eq!(
        doc["plex"]["strict_friends"].as_bool(),
        Some(true),
        "Organizr's default"
    );
    assert_eq!(doc["sso"]["plex"]["enabled"].as_bool(), Some(false));
    assert!(doc["route"][0].get("sso").is_none(), "no SSO is on");
    let file = gw.dir().join("stdout.toml");
    std::fs::write(&file, format!("[server]\ndata_dir = \"data\"\n{toml}")).unwrap();
    let check = gatehouse(
        &["check".as_ref(), "-c".as_ref(), file.as_os_str()],
        gw.dir(),
    );
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[tokio::test]
async fn test_import_organizr_existing_users_left_alone_unless_overwrite() {
    let (_dir, db, php) = fixture_copy();
    let gw = gateway();
    assert!(import(&gw, &db, Some(&php), &[]).status.success());
    crate::accounts::common::cli_ok(&gw, &["user", "group", "carol", "co-admin"], "");
    let again = import(&gw, &db, Some(&php), &[]);
    assert!(
        text(&again.stderr)
            .contains("user carol: a user with this name exists and differs; left alone"),
        "{}",
        text(&again.stderr)
    );
    let table = users_table(&gw);
    assert_eq!(table.iter().find(|u| u.0 == "carol").unwrap().2, 1);
    let over = import(&gw, &db, Some(&php), &["--overwrite"]);
    assert!(
        text(&over.stderr).contains("user carol: replaced by Organizr's (group 4 user)"),
        "{}",
        text(&over.stderr)
    );
    let table = users_table(&gw);
    assert_eq!(table.iter().find(|u| u.0 == "carol").unwrap().2, 4);
}

#[tokio::test]
async fn test_import_organizr_bad_input_exits_1_and_writes_nothing() {
    let (dir, db, php) = fixture_copy();
    let gw = gateway();
    let config_before = std::fs::read(gw.config_path()).unwrap();
    let merge = gw.config_path().to_str().unwrap().to_owned();

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE things (id INTEGER); INSERT INTO things VALUES (1);")
        .unwrap();
    let text_file = dir.path().join("notes.db");
    std::fs::write(
        &text_file,
        "this is not a database, just text\n".repeat(200),
    )
    .unwrap();
    let truncated = dir.path().join("truncated.php");
    let full = std::fs::read_to_string(&php).unwrap();
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();

    let cases: Vec<(PathBuf, Option<PathBuf>, &str)> = vec![
        (
            other.clone(),
            None,
            "other.db: not an Organizr database: it has no `users` table",
        ),
        (text_file.clone(), None, "notes.db: file is not a database"),
        (
            dir.path().join("missing.db"),
            None,
            "missing.db: cannot open",
        ),
        (db.clone(), Some(truncated.clone()), "truncated.php:"),
    ];
    for (db_path, php_path, want) in cases {
        for extra in [vec!["-o", "out.toml"], vec!["--merge", merge.as_str()]] {
            let out = import(&gw, &db_path, php_path.as_deref(), &extra);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{want}: {stderr}");
            assert!(stderr.contains(want), "{want}: {stderr}");
            assert!(
                !gw.dir().join("out.toml").exists(),
                "{want}: nothing written"
            );
            assert_eq!(
                std::fs::read(gw.config_path()).unwrap(),
                config_before,
                "{want}: the merge file is untouched"
            );
        }
    }
    assert!(users_table(&gw).is_empty(), "no user was imported");
    let usage = import(&gw, &db, None, &["--merge", &merge, "-o", "x.toml"]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "--merge and -o together: usage"
    );
}
