//! The running configuration and its live reload.
//!
//! [`Live`] is one configuration's snapshot: the [`App`] built from it, the
//! portal over it and the upstream peers of its routes. The gateway keeps the current one in
//! an `ArcSwap`; each request loads it once when it starts
//! ([`super::ctx::RequestCtx::live`]) and keeps it to its end. A reload
//! ([`Current::reload`]) reads and validates the file, builds the next
//! snapshot sharing every long-lived part with the running one
//! ([`App::reloaded`]) and swaps it in: new requests see it, requests in
//! flight finish on the old one.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::header_names::RouteHeaderNames;
use super::peer::PeerSlot;
use crate::app::App;
use crate::portal::Portal;

/// Log target of reload results (`result=ok|failed`).
pub const TARGET: &str = "gatehouse::reload";

/// One configuration: its state, the portal over it and
/// `peers[route][upstream]`.
pub struct Live {
    pub app: Arc<App>,
    pub portal: Arc<Portal>,
    pub peers: Vec<Vec<PeerSlot>>,
    /// Each route's header names prepared for the upstream request.
    pub header_names: Vec<RouteHeaderNames>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("routes", &self.peers.len())
            .finish_non_exhaustive()
    }
}

impl Live {
    /// The snapshot of `portal`'s app, with the peers of every route built.
    pub fn new(portal: Arc<Portal>) -> Live {
        let app = portal.app.clone();
        let peers = app
            .config
            .routes
            .iter()
            .map(|r| {
                r.upstreams
                    .iter()
                    .map(|u| PeerSlot::new(u, &r.proxy))
                    .collect()
            })
            .collect();
        let header_names = app
            .config
            .routes
            .iter()
            .zip(app.routes.iter())
            .map(|(route, runtime)| RouteHeaderNames::new(route, runtime))
            .collect();
        Live {
            app,
            portal,
            peers,
            header_names,
        }
    }
}

/// The current snapshot (what the gateway loads per request), and a lock
/// so two reloads never interleave.
#[derive(Debug, Clone)]
pub struct Current {
    pub live: Arc<ArcSwap<Live>>,
    lock: Arc<Mutex<()>>,
}

/// What one reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The new configuration runs; these changed keys wait for an upgrade.
    Applied { needs_upgrade: Vec<&'static str> },
    /// The file is invalid (or unreadable): the running one stays.
    Failed,
}

impl Current {
    /// Starts on `portal` (and its app).
    pub fn new(portal: Arc<Portal>) -> Current {
        Current {
            live: Arc::new(ArcSwap::from_pointee(Live::new(portal))),
            lock: Arc::default(),
        }
    }

    /// Re-reads the running configuration's file and switches to it when
    /// it is valid. Every outcome is logged on [`TARGET`].
    pub fn reload(&self) -> Outcome {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let old = self.live.load_full();
        let path = old.app.config.path.clone();
        let mut config = match crate::config::load(&path) {
            Ok(config) => config,
            Err(errors) => {
                for e in &errors.0 {
                    tracing::error!(target: TARGET, "{e}");
                }
                tracing::error!(
                    target: TARGET,
                    result = "failed",
                    file = %path.display(),
                    errors = errors.0.len(),
                    "configuration not reloaded: the running one stays"
                );
                crate::observability::metrics::config_reload(false);
                return Outcome::Failed;
            }
        };
        let needs_upgrade = crate::app::reload::keep_running(&old.app.config, &mut config);
        for key in &needs_upgrade {
            tracing::warn!(
                target: TARGET,
                key = %key,
                "{}: {key}: changed, needs an upgrade (gatehouse upgrade); the running value stays",
                path.display()
            );
        }
        let routes = config.routes.len();
        let app = Arc::new(old.app.reloaded(config));
        let portal = Arc::new(old.portal.reloaded(app.clone()));
        self.live.store(Arc::new(Live::new(portal)));
        // certs_dir is re-read now rather than at the next poll.
        if !app.config.server.tls_listen.is_empty() {
            let certs = app.certs.clone();
            std::thread::spawn(move || certs.poll_dir());
        }
        crate::observability::metrics::config_reload(true);
        tracing::info!(
            target: TARGET,
            result = "ok",
            file = %path.display(),
            routes,
            needs_upgrade = needs_upgrade.len(),
            "configuration reloaded"
        );
        Outcome::Applied { needs_upgrade }
    }
}
