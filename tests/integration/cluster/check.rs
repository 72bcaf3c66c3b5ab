//! The Redis password never shows: not in `gatehouse check`'s errors, not
//! in the gateway's log (the startup line, the outage line).

use std::process::Command;

use super::common::*;
use crate::support::redis::Redis;
use crate::support::upstream::EchoServer;

const SECRET: &str = "s3cret-redis-pw";

#[test]
fn test_cluster_check_masks_the_redis_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gatehouse.toml");
    std::fs::write(
        &path,
        format!(
            "[cluster]\nredis = \"http://:{SECRET}@10.0.0.5:6379/0\"\nnode_name = \"gate-a\"\n"
        ),
    )
    .unwrap();
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
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "{}:2: cluster.redis: unsupported scheme",
            path.display()
        )),
        "{text}"
    );
    assert!(text.contains("http://:***@10.0.0.5:6379/0"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn test_cluster_log_never_shows_the_redis_password() {
    let Some(mut redis) = Redis::start_with(
        "test_cluster_log_never_shows_the_redis_password",
        Some(SECRET),
    ) else {
        return;
    };
    let echo = EchoServer::start();
    let gw = builder(&rest(&redis, "gate-a", &echo, "")).start();
    wait_subscribers(&redis, 1).await;
    let started = gw.wait_log("gatehouse listening", WITHIN).await;
    assert!(started.contains("gate-a"), "the node in the startup line");
    assert!(started.contains("redis://:***@127.0.0.1"), "{started}");
    // The CLI publishes with the password too …
    add_user(&gw, "fay", "user", "pw-fay");
    let out = cli(&gw, &["user", "lock", "fay"], "");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && !err.contains("not published"),
        "{err}"
    );
    redis.kill();
    let log = gw.wait_log("redis unreachable", WITHIN).await;
    assert!(!log.contains(SECRET), "{log}");
    // … and says so, masked, when Redis is down (the store has the change).
    let out = cli(&gw, &["user", "unlock", "fay"], "");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("not published to redis (redis://:***@127.0.0.1"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}
