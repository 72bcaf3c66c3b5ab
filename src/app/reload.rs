//! What a live reload may change. Routes, redirects, auth levels, identity
//! headers, SSO and proxy settings switch at once; what needs new sockets,
//! a new store or tables built once at start stays as it runs, and is
//! reported as needing an upgrade (`gatehouse upgrade`, docs/operations.md).

use crate::config::Config;

/// Keys a reload cannot apply, in the order they are checked.
pub const NEEDS_UPGRADE: &[&str] = &[
    "server.listen",
    "server.tls_listen",
    "server.threads",
    "server.data_dir",
    "server.certs_dir",
    "server.public_url",
    "server.keepalive_requests",
    "server.drain_timeout",
    "metrics.listen",
    "metrics.path",
    "session",
    "login.max_failures",
    "login.window",
    "login.ban",
    "acme",
    "store",
    "cluster",
];

/// Puts the running values of [`NEEDS_UPGRADE`] keys back into `new` and
/// returns the keys whose value the file changed (empty: all applied).
pub fn keep_running(old: &Config, new: &mut Config) -> Vec<&'static str> {
    let mut changed = Vec::new();
    macro_rules! keep {
        ($key:literal, $($field:ident).+) => {
            if old.$($field).+ != new.$($field).+ {
                changed.push($key);
                new.$($field).+ = old.$($field).+.clone();
            }
        };
    }
    macro_rules! keep_debug {
        ($key:literal, $field:ident) => {
            if format!("{:?}", old.$field) != format!("{:?}", new.$field) {
                changed.push($key);
                new.$field = old.$field.clone();
            }
        };
    }
    keep!("server.listen", server.listen);
    keep!("server.tls_listen", server.tls_listen);
    keep!("server.threads", server.threads);
    keep!("server.data_dir", server.data_dir);
    keep!("server.certs_dir", server.certs_dir);
    keep!("server.public_url", server.public_url);
    keep!("server.keepalive_requests", server.keepalive_requests);
    keep!("server.drain_timeout", server.drain_timeout);
    keep!("metrics.listen", metrics.listen);
    keep!("metrics.path", metrics.path);
    keep_debug!("session", session);
    keep!("login.max_failures", login.max_failures);
    keep!("login.window", login.window);
    keep!("login.ban", login.ban);
    keep_debug!("acme", acme);
    keep_debug!("store", store);
    keep_debug!("cluster", cluster);
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Config {
        crate::config::parse(std::path::Path::new("t.toml"), text).unwrap()
    }

    const BASE: &str = "[server]\nlisten = [\"127.0.0.1:8080\"]\n\n\
        [[route]]\nname = \"a\"\npath = \"/a/\"\nupstream = \"http://127.0.0.1:9000\"\n";

    #[test]
    fn test_keep_running_routes_only_applies_all() {
        let old = parse(BASE);
        let mut new = parse(&BASE.replace("/a/", "/b/"));
        assert!(keep_running(&old, &mut new).is_empty());
        assert_eq!(new.routes[0].path, "/b/");
    }

    #[test]
    fn test_keep_running_listen_and_session_are_kept() {
        let old = parse(BASE);
        let changed = BASE.replace("127.0.0.1:8080", "127.0.0.1:8081")
            + "\n[session]\nlifetime = \"3h\"\n[login]\nban = \"1h\"\n";
        let mut new = parse(&changed);
        assert_eq!(
            keep_running(&old, &mut new),
            ["server.listen", "session", "login.ban"]
        );
        assert_eq!(new.server.listen, old.server.listen);
        assert_eq!(new.session.lifetime, old.session.lifetime);
        assert_eq!(new.login.ban, old.login.ban);
    }

    #[test]
    fn test_needs_upgrade_lists_every_checked_key() {
        assert_eq!(NEEDS_UPGRADE.len(), 17);
    }
}
