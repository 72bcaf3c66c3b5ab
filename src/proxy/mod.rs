//! The Pingora side of Gatehouse: the server, its listeners (plain and TLS
//! with SNI), and the `ProxyHttp` implementation. The only module that
//! imports Pingora.

pub mod access;
pub mod acme_challenge;
mod cluster_miss;
pub mod ctx;
pub mod drain;
pub mod gateway;
pub mod header_names;
pub mod https;
pub mod limits;
pub mod live;
pub mod local;
pub mod machine;
pub mod metrics;
pub mod notify;
pub mod peer;
pub mod respond;
pub mod retry;
pub mod signals;
pub mod sso_inject;
mod steps;
pub mod stop;
pub mod tls;
pub mod upgrade;
pub mod upstream_request;

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use pingora::apps::HttpServerOptions;
use pingora::prelude::*;
use pingora::server::configuration::ServerConf;

use crate::app::App;
use crate::config::Config;
use crate::portal::Portal;

/// Why the gateway did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("{0}")]
    App(String),
}

/// Seconds the runtimes get to stop once the drain is over.
const RUNTIME_STOP_SECONDS: u64 = 1;

/// How many seconds each side of a graceful upgrade waits for the other on
/// the upgrade socket.
const UPGRADE_WAIT_SECONDS: usize = 30;

/// The upgrade socket in `data_dir`, through which an old process hands its
/// listening sockets to the new one (`gatehouse upgrade`).
pub fn upgrade_socket(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("gatehouse-upgrade.sock")
}

/// Starts the gateway and serves until the process is stopped. With
/// `upgrade`, the listening sockets come from the running gateway through
/// the upgrade socket (sent when it gets SIGQUIT) instead of being bound.
pub fn run(config: Config, upgrade: bool) -> Result<Infallible, StartError> {
    crate::observability::init();
    crate::clock::follow_test_clock();
    // Refuse to start on a port we cannot bind, with a clear message,
    // before Pingora takes over the listeners.
    // (An upgrade takes the listening sockets over from the old process.)
    let metrics_listen = config.metrics.listen;
    if !upgrade {
        for addr in config
            .server
            .listen
            .iter()
            .chain(&config.server.tls_listen)
            .chain(&metrics_listen)
        {
            TcpListener::bind(addr).map_err(|e| StartError::Listen(*addr, e))?;
        }
    }
    let data_dir = config.server.data_dir.clone();
    let drain = config.server.drain_timeout;
    let conf = ServerConf {
        threads: config.server.threads.max(1),
        work_stealing: false,
        // The most the drain may take; `stop` ends it once the last
        // request in flight is done.
        grace_period_seconds: Some(drain.as_secs()),
        graceful_shutdown_timeout_seconds: Some(RUNTIME_STOP_SECONDS),
        upstream_keepalive_pool_size: 1024,
        upgrade_sock: upgrade_socket(&data_dir).to_string_lossy().into_owned(),
        upgrade_sock_connect_accept_max_retries: Some(UPGRADE_WAIT_SECONDS),
        ..ServerConf::default()
    };
    let opt = Opt {
        upgrade,
        ..Opt::default()
    };
    let mut server = Server::new_with_opt_and_conf(Some(opt), conf);
    server.bootstrap();

    let listen = config.server.listen.clone();
    let keepalive_requests = config.server.keepalive_requests;
    let keepalive_timeout = config.server.keepalive_timeout;
    let tls_listen = config.server.tls_listen.clone();
    let app = Arc::new(App::open(config).map_err(|e| StartError::App(e.to_string()))?);
    let cluster_node = app.cluster.as_ref().map(|c| c.node().to_owned());
    let portal = Arc::new(Portal::new(app.clone()));
    let current = live::Current::new(portal.clone());
    if let Some(token) = portal.setup.ensure(&app.store) {
        let url = format!(
            "{}{}/setup?token={token}",
            app.config.server.public_url.as_str().trim_end_matches('/'),
            app.config.portal.prefix
        );
        // Printed (not logged) once: the only way in while no admin exists.
        println!("No administrator yet. Create one at: {url}");
        println!("(or run: gatehouse user add NAME --group admin)");
    }
    crate::app::upkeep::spawn(app.clone());
    let acme = crate::acme::Scheduler::new(
        app.config.acme.clone(),
        crate::app::acme_keep(&app.config, &app.store),
        app.certs.clone(),
        app.acme_http01.clone(),
        app.acme_alpn.clone(),
        app.config
            .server
            .listen
            .iter()
            .chain(&app.config.server.tls_listen)
            .copied()
            .collect(),
    );
    crate::certs::watch::spawn(app.certs.clone(), acme.run());
    // With several instances any node may be asked another node's
    // TLS-ALPN-01 challenge (docs/cluster.md).
    let alpn_01 = (app.config.acme.enabled
        && app.config.acme.challenge == crate::config::AcmeChallenge::TlsAlpn01)
        || app.cluster.is_some();
    let resolver = app.certs.resolver();
    stop::watch(server.watch_execution_phase(), app.clone(), drain);
    let app_certs = app.certs.clone();
    let mut proxy = pingora::proxy::http_proxy(
        &server.configuration,
        gateway::Gateway::new(current.live.clone()),
    );
    let mut options = HttpServerOptions::default();
    // nginx keepalive_requests counts requests; Pingora's limit counts
    // reuses of the connection after the first one.
    options.keepalive_request_limit = Some(keepalive_requests.saturating_sub(1));
    // HTTP/2 connections idle out like HTTP/1.1 ones.
    options.h2_idle_timeout = Some(keepalive_timeout).filter(|d| !d.is_zero());
    proxy.server_options = Some(options);
    // Counted: the open client connections gauge (proxy/metrics.rs).
    let mut service = pingora::services::listening::Service::new(
        "gatehouse".to_owned(),
        metrics::Counted(Arc::new(proxy)),
    );
    for addr in &listen {
        service.add_tcp(&addr.to_string());
    }
    if !tls_listen.is_empty() {
        tracing::info!(certificates = ?app_certs.served_names(), "TLS certificates loaded");
    }
    for addr in &tls_listen {
        let settings = tls::settings(resolver.clone(), alpn_01).map_err(StartError::App)?;
        service.add_tls_with_settings(&addr.to_string(), None, settings);
    }
    server.add_service(service);
    if let Some(addr) = metrics_listen {
        let scrape = metrics::Scrape { app: app.clone() };
        let mut metrics_service =
            pingora::services::listening::Service::new("metrics".to_owned(), scrape);
        metrics_service.threads = Some(1);
        metrics_service.add_tcp(&addr.to_string());
        server.add_service(metrics_service);
        tracing::info!(listen = %addr, path = %app.config.metrics.path, "metrics listening");
    }
    match crate::app::open_files::raise_to_hard() {
        Ok(limit) => tracing::debug!(limit, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, "open-files limit not raised"),
    }
    // SIGHUP reloads from now on (before the pid file tells anyone so).
    signals::reload_on_hangup(current).map_err(StartError::App)?;
    if let Err(e) = crate::app::pidfile::write(&data_dir) {
        tracing::error!(error = %e, "pid file not written: gatehouse reload and upgrade cannot find this process");
    }
    notify::ready();
    let pid = std::process::id();
    match &cluster_node {
        Some(node) => {
            tracing::info!(listen = ?listen, tls_listen = ?tls_listen, pid, node = %node, "gatehouse listening")
        }
        None => {
            tracing::info!(listen = ?listen, tls_listen = ?tls_listen, pid, "gatehouse listening")
        }
    }
    server.run_forever()
}
