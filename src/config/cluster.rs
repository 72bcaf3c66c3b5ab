//! `[cluster]`: several gateways sharing sessions, bans and revocations
//! through one Redis (docs/cluster.md). `redis = ""` (the default) is a
//! single instance, exactly as before.
//!
//! The Redis URL may carry a password (`redis://:secret@host/0`): it is
//! kept only in [`RedisUrl`], whose `Display` and `Debug` mask it, and
//! every configuration error shows the value masked (`crate::store_url::mask`).

use url::Url;

pub use super::cluster_model::{Cluster, RedisUrl};
use super::file::{as_str, Cx, Section};

/// Reads `[cluster]` (an absent table is a single instance).
pub fn read_cluster(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Cluster {
    let redis = sec.get(cx, "redis", |v| as_str(v).and_then(check_redis_url));
    let node = sec.get(cx, "node_name", |v| as_str(v).and_then(check_node_name));
    sec.finish(cx);
    Cluster {
        redis: redis.and_then(|a| a.value),
        node_name: node
            .map(|a| a.value)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(host_name),
    }
}

/// `redis`: `""`, or a `redis://`, `rediss://` or `unix://` URL the client
/// can open.
pub fn check_redis_url(text: &str) -> Result<Option<RedisUrl>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let url = Url::parse(t).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "redis" | "rediss" => {
            if url.host_str().is_none_or(str::is_empty) {
                return Err("a redis:// URL needs a host, e.g. redis://127.0.0.1:6379/0".into());
            }
            let db = url.path().trim_start_matches('/');
            if !db.is_empty() && db.parse::<u16>().is_err() {
                return Err("the path is the database number, e.g. /0".into());
            }
        }
        "unix" | "redis+unix" => {
            if url.path().is_empty() || url.path() == "/" {
                return Err(
                    "a unix:// URL needs the socket's path, e.g. unix:///run/redis.sock".into(),
                );
            }
        }
        other => {
            return Err(format!(
                "unsupported scheme {other:?}: expected redis://, rediss:// or unix://"
            ))
        }
    }
    Ok(Some(RedisUrl::new(url)))
}

/// `node_name`: at most 64 printable characters without spaces.
fn check_node_name(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.len() > 64 {
        return Err("at most 64 characters".into());
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("no spaces or control characters".into());
    }
    Ok(t.to_owned())
}

/// The machine's host name (`/proc/sys/kernel/hostname`, `/etc/hostname`,
/// `$HOSTNAME`), or `gatehouse`.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty() && check_node_name(s).is_ok())
        .unwrap_or_else(|| "gatehouse".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_check_redis_url() {
        assert_eq!(check_redis_url("").unwrap(), None);
        let u = check_redis_url("redis://:pw@127.0.0.1:6379/0")
            .unwrap()
            .unwrap();
        assert_eq!(u.to_string(), "redis://:***@127.0.0.1:6379/0");
        assert!(!format!("{u:?}").contains("pw"));
        assert!(check_redis_url("rediss://h/2").unwrap().is_some());
        assert!(check_redis_url("unix:///run/redis.sock").unwrap().is_some());
        for bad in [
            "http://h",
            "redis://",
            "redis://h/db",
            "unix://",
            "not a url",
        ] {
            assert!(check_redis_url(bad).is_err(), "{bad}");
        }
    }

    const ROUTE: &str =
        "[[route]]\nname = \"app\"\npath = \"/app/\"\nupstream = \"http://127.0.0.1:9000/\"\n";

    fn parse(text: &str) -> Result<crate::config::Config, String> {
        crate::config::parse(std::path::Path::new("t.toml"), &format!("{text}\n{ROUTE}"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn test_cluster_in_a_file_never_shows_the_password() {
        let c = parse(
            "[cluster]\nredis = \"redis://:s3cret@10.0.0.5:6379/0\"\nnode_name = \"gate-a\"\n",
        )
        .unwrap();
        assert_eq!(c.cluster.node_name, "gate-a");
        assert_eq!(
            c.cluster.redis.as_ref().unwrap().secret_str(),
            "redis://:s3cret@10.0.0.5:6379/0"
        );
        assert!(!format!("{:?}", c.cluster).contains("s3cret"));
        let e = parse("[cluster]\nredis = \"http://:s3cret@h/\"\n").unwrap_err();
        assert!(
            e.starts_with("t.toml:2: cluster.redis: unsupported scheme"),
            "{e}"
        );
        assert!(
            e.ends_with("(\"http://:***@h/\")") && !e.contains("s3cret"),
            "{e}"
        );
        let e = parse("[cluster]\nredis = \"redis://:s3cret@h/0\" junk\n").unwrap_err();
        assert!(e.contains("syntax error") && !e.contains("s3cret"), "{e}");
        let e = parse("[cluster]\nnode_name = \"a b\"\nredis = 5\n").unwrap_err();
        assert!(e.contains("t.toml:2: cluster.node_name: no spaces"), "{e}");
        assert!(
            e.contains("t.toml:3: cluster.redis: expected a string"),
            "{e}"
        );
        let single = parse("").unwrap();
        assert!(single.cluster.redis.is_none());
        assert!(!single.cluster.node_name.is_empty(), "the host name");
    }

    #[test]
    fn test_node_name() {
        assert!(check_node_name("node-a").is_ok());
        assert!(check_node_name("a b").is_err());
        assert!(check_node_name(&"x".repeat(65)).is_err());
        assert!(!host_name().is_empty());
    }
}
