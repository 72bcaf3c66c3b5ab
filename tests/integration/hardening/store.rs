//! A failing store (a full disk) never makes a sign-out look stored when it
//! was not, and `{portal}/health` tells; a database file that is not SQLite
//! stops the start with its path named.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::accounts::{add_user, builder, get_status, login, protected, set_cookies};
use crate::support::binary::client;
use crate::support::conf::route;
use crate::support::ports::free_port;
use crate::support::require::Tmpfs;
use crate::support::upstream::EchoServer;

const WITHIN: Duration = Duration::from_secs(30);

async fn health(gw: &crate::support::binary::Gateway) -> (u16, String) {
    let resp = client()
        .get(gw.url("/gatehouse/health"))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn wait_health(gw: &crate::support::binary::Gateway, want: u16) -> String {
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let (status, body) = health(gw).await;
        if status == want {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "health still {status} ({body}), not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fills the file system of `dir` until a write fails with ENOSPC.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "{e}");
                break;
            }
        }
    }
    // The last partial blocks too.
    while f.write(&[0u8; 512]).is_ok_and(|n| n > 0) {}
    path
}

#[tokio::test]
async fn test_full_disk_logout_is_not_reported_done_and_health_says_so() {
    let Some(tmpfs) = Tmpfs::mount("hardening::store full disk", 8 << 20) else {
        return;
    };
    let echo = EchoServer::start();
    let mut conf = protected("app", "/app/", &echo.url(), "\"user\"");
    conf += &route("pub", "/pub/", &[echo.url()]);
    let mut gw = builder(&conf).data_dir(tmpfs.path()).start();
    add_user(&gw, "alice", "user", "alice-pw");
    let alice = login(&gw, "alice", "alice-pw").await;
    assert_eq!(health(&gw).await.0, 200);

    let filler = fill(tmpfs.path());
    let reason = wait_health(&gw, 503).await;
    assert!(reason.starts_with("store failing: "), "{reason}");
    assert_eq!(reason.lines().count(), 1, "{reason}");
    // Proxying goes on.
    assert_eq!(get_status(&gw, "/pub/x", None, false).await, 200);

    let out = client()
        .post(gw.url("/gatehouse/logout"))
        .header("Cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.status(),
        503,
        "a sign-out the store refused is not a success"
    );
    let removal = set_cookies(&out)
        .into_iter()
        .find(|c| c.starts_with("gatehouse_session="))
        .expect("the browser's cookie is still cleared");
    assert!(
        removal.to_ascii_lowercase().contains("max-age=0"),
        "{removal}"
    );
    assert!(out.text().await.unwrap().contains("not save"));
    assert_eq!(
        get_status(&gw, "/app/x", Some(&alice), false).await,
        401,
        "signed out in memory"
    );

    // Space again: the queued deletion is stored, health recovers, and the
    // session stays dead across a restart.
    std::fs::remove_file(filler).unwrap();
    wait_health(&gw, 200).await;
    gw.restart();
    assert_eq!(get_status(&gw, "/app/x", Some(&alice), false).await, 401);
    drop(gw);
}

#[test]
fn test_not_a_database_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("gatehouse.db");
    std::fs::write(
        &db,
        b"this is not SQLite at all, just some text\n".repeat(200),
    )
    .unwrap();
    let config = dir.path().join("gatehouse.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = [\"127.0.0.1:{}\"]\ndata_dir = {:?}\n",
            free_port(),
            data.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("-c")
        .arg(&config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&db.display().to_string()), "{err}");
    assert!(err.contains("not a database"), "{err}");
}
