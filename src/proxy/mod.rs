//! The Pingora side of Gatehouse: the server, its listeners (plain and TLS
//! with SNI), and the `ProxyHttp` implementation. The only module that
//! imports Pingora.

pub mod access;
pub mod acme_challenge;
mod cluster_miss;
pub mod ctx;
pub mod gateway;
pub mod https;
pub mod limits;
pub mod local;
pub mod machine;
pub mod peer;
pub mod respond;
pub mod retry;
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

/// Seconds a stopping server waits for in-flight requests.
const GRACE_SECONDS: u64 = 5;

/// Starts the gateway and serves until the process is stopped.
pub fn run(config: Config) -> Result<Infallible, StartError> {
    crate::observability::init();
    crate::clock::follow_test_clock();
    // Refuse to start on a port we cannot bind, with a clear message,
    // before Pingora takes over the listeners.
    for addr in config.server.listen.iter().chain(&config.server.tls_listen) {
        TcpListener::bind(addr).map_err(|e| StartError::Listen(*addr, e))?;
    }
    let conf = ServerConf {
        threads: config.server.threads.max(1),
        work_stealing: false,
        grace_period_seconds: Some(GRACE_SECONDS),
        graceful_shutdown_timeout_seconds: Some(GRACE_SECONDS),
        upstream_keepalive_pool_size: 1024,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();

    let listen = config.server.listen.clone();
    let keepalive_requests = config.server.keepalive_requests;
    let keepalive_timeout = config.server.keepalive_timeout;
    let tls_listen = config.server.tls_listen.clone();
    let app = Arc::new(App::open(config).map_err(|e| StartError::App(e.to_string()))?);
    let cluster_node = app.cluster.as_ref().map(|c| c.node().to_owned());
    let portal = Arc::new(Portal::new(app.clone()));
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
        app.config.server.data_dir.clone(),
        app.certs.clone(),
        app.acme_http01.clone(),
        app.config
            .server
            .listen
            .iter()
            .chain(&app.config.server.tls_listen)
            .copied()
            .collect(),
    );
    crate::certs::watch::spawn(app.certs.clone(), acme.run());
    let alpn_01 = app.config.acme.enabled
        && app.config.acme.challenge == crate::config::AcmeChallenge::TlsAlpn01;
    let resolver = app.certs.resolver();
    stop::watch(server.watch_execution_phase(), app.clone());
    let app_certs = app.certs.clone();
    let mut service = pingora::proxy::http_proxy_service_with_name(
        &server.configuration,
        gateway::Gateway::new(portal),
        "gatehouse",
    );
    let mut options = HttpServerOptions::default();
    // nginx keepalive_requests counts requests; Pingora's limit counts
    // reuses of the connection after the first one.
    options.keepalive_request_limit = Some(keepalive_requests.saturating_sub(1));
    // HTTP/2 connections idle out like HTTP/1.1 ones.
    options.h2_idle_timeout = Some(keepalive_timeout).filter(|d| !d.is_zero());
    if let Some(app) = service.app_logic_mut() {
        app.server_options = Some(options);
    }
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
    match &cluster_node {
        Some(node) => {
            tracing::info!(listen = ?listen, tls_listen = ?tls_listen, node = %node, "gatehouse listening")
        }
        None => tracing::info!(listen = ?listen, tls_listen = ?tls_listen, "gatehouse listening"),
    }
    server.run_forever()
}
