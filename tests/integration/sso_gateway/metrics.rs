//! `gatehouse_sso_fetches_total` and the Plex backend's sign-in counts
//! (docs/operations.md "Metrics"), against the fakes: one owner sign-in
//! fetches Ombi's token and both Tautulli instances' tokens and keeps the
//! plex.tv one; the labels name the service kind, never its URL.

use super::common::{api_login, gateway, Fakes, Setup};
use crate::metrics::scrape;
use crate::support::fakes::plex_tv::ALICE;
use crate::support::ports::free_port;

#[tokio::test]
async fn test_metrics_sso_fetches_and_plex_signins() {
    let f = Fakes::start();
    let port = free_port();
    let gw = gateway(
        &f,
        &Setup {
            extra: format!("[metrics]\nlisten = \"127.0.0.1:{port}\"\n"),
            ..Setup::default()
        },
    );
    let before = scrape(port).await;
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200, "{:?}", l.body);
    let wrong = api_login(&gw, "alice", "not-the-password", false).await;
    assert_ne!(wrong.status, 200);
    let after = scrape(port).await;

    let moved =
        |name: &str, labels: &[(&str, &str)]| after.get(name, labels) - before.get(name, labels);
    let fetches = |service, result| {
        moved(
            "gatehouse_sso_fetches_total",
            &[("service", service), ("result", result)],
        )
    };
    assert_eq!(fetches("plex", "ok"), 1.0);
    assert_eq!(fetches("ombi", "ok"), 1.0);
    assert_eq!(fetches("tautulli", "ok"), 2.0, "one per instance");
    assert_eq!(fetches("ombi", "failed"), 0.0);
    let signins = |result| {
        moved(
            "gatehouse_signins_total",
            &[("backend", "plex"), ("result", result)],
        )
    };
    assert_eq!(signins("ok"), 1.0);
    assert_eq!(signins("wrong_password"), 1.0);
    for url in [f.t1.url(), f.t2.url(), f.ombi.url()] {
        let hostport = url.trim_start_matches("http://").trim_end_matches('/');
        assert!(!after.text.contains(hostport), "{hostport} in the metrics");
    }
    assert!(!after.text.contains("alice"));
}
