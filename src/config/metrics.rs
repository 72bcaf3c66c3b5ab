//! `[metrics]`: the Prometheus scrape listener (docs/operations.md
//! "Metrics"). Off unless `listen` is set; read after `[server]` so a
//! metrics address that is also a public listener is refused (the public
//! port must never expose the metrics).

use std::net::SocketAddr;

use super::file::{as_str, Cx, Section};
use super::model::{Metrics, Server};
use super::validate::{check_metrics_listen, check_metrics_path};

/// `[metrics] path`.
pub const DEFAULT_METRICS_PATH: &str = "/metrics";

/// Reads `[metrics]` (an absent table is metrics off).
pub fn read_metrics(cx: &mut Cx<'_>, mut sec: Section<'_>, server: Option<&Server>) -> Metrics {
    let listen = sec.get(cx, "listen", |v| as_str(v).and_then(check_metrics_listen));
    let path = sec.get(cx, "path", |v| as_str(v).and_then(check_metrics_path));
    if let (Some(at), Some(server)) = (&listen, server) {
        let public = server.listen.iter().chain(&server.tls_listen);
        if let Some(addr) = at.value {
            if public
                .clone()
                .any(|p| p.port() == addr.port() && overlaps(*p, addr))
            {
                cx.report(
                    &at.spot,
                    "is also a public listener: metrics need their own address",
                );
            }
        }
    }
    sec.finish(cx);
    Metrics {
        listen: listen.and_then(|a| a.value),
        path: path.map_or_else(|| DEFAULT_METRICS_PATH.to_owned(), |a| a.value),
    }
}

/// Whether two listeners on one port would take the same socket (equal
/// addresses, or either is the unspecified address).
fn overlaps(a: SocketAddr, b: SocketAddr) -> bool {
    a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn errs(text: &str) -> Vec<String> {
        match crate::config::parse(Path::new("t.toml"), text) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn test_metrics_off_by_default() {
        let c = crate::config::parse(Path::new("t.toml"), "").unwrap();
        assert_eq!(c.metrics.listen, None);
        assert_eq!(c.metrics.path, "/metrics");
    }

    #[test]
    fn test_metrics_keys_read() {
        let text = "[metrics]\nlisten = \"127.0.0.1:9090\"\npath = \"/prom\"\n";
        let c = crate::config::parse(Path::new("t.toml"), text).unwrap();
        assert_eq!(c.metrics.listen, Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(c.metrics.path, "/prom");
    }

    #[test]
    fn test_metrics_bad_keys_name_file_line_key_value() {
        let e = errs("[metrics]\nlisten = \"9090\"\npath = \"metrics\"\ncolour = 1\n");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:2: metrics.listen: expected IP:PORT"),
            "{e:?}"
        );
        assert!(e[0].ends_with("(\"9090\")"), "{e:?}");
        assert!(
            e[1].starts_with("t.toml:3: metrics.path: expected an absolute path"),
            "{e:?}"
        );
        assert!(e[2].starts_with("t.toml:4: metrics.colour"), "{e:?}");
    }

    #[test]
    fn test_metrics_refuses_a_public_listener() {
        let text =
            "[server]\nlisten = [\"0.0.0.0:8080\"]\n[metrics]\nlisten = \"127.0.0.1:8080\"\n";
        let e = errs(text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:4: metrics.listen: is also a public listener"),
            "{e:?}"
        );
        let other =
            "[server]\nlisten = [\"0.0.0.0:8080\"]\n[metrics]\nlisten = \"127.0.0.1:9090\"\n";
        assert!(errs(other).is_empty());
    }
}
