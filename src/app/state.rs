//! [`App`]: everything the portal and the proxy hooks read, opened once at
//! start.

use std::sync::{Arc, Mutex};

use crate::auth::password::{Hasher, PasswordPolicy};
use crate::auth::regulation::Regulation;
use crate::auth::session::SessionTable;
use crate::auth::spoof::StripList;
use crate::config::Config;
use crate::route::strict::StrictReading;
use crate::route::Router;

use super::routes::RouteRuntime;
use crate::store::health::StoreHealth;
use crate::store::{Store, StoreError};

/// Why the gateway's state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("store {0}")]
    Store(#[from] StoreError),
    #[error("SSO client: {0}")]
    Sso(#[from] crate::sso::SsoError),
    #[error("TLS: {0}")]
    Certs(#[from] crate::certs::CertError),
    #[error("{0}")]
    Cluster(#[from] crate::cluster::ClusterError),
}

/// Everything the proxy hooks and the portal read.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub router: Router,
    /// Which routes a stricter route could shadow under a loose path reading.
    pub strict: StrictReading,
    /// Parallel to `config.routes`.
    pub routes: Vec<RouteRuntime>,
    pub strip: StripList,
    pub store: Store,
    pub sessions: Arc<SessionTable>,
    /// API tokens of machine clients (docs/access.md).
    pub api_tokens: Arc<crate::auth::api_tokens::ApiTokenTable>,
    /// Sign-ins waiting for their second factor (five minutes at most).
    pub pending: Arc<crate::auth::pending::PendingTable>,
    pub regulation: Arc<Regulation>,
    pub hasher: Hasher,
    /// Outbound client for Ombi / Tautulli (SSO at login).
    pub http: reqwest::Client,
    /// This install's plex.tv client identifier (kept in the store).
    pub plex_client_id: String,
    /// Whether store writes currently succeed (`{portal}/health`).
    pub store_health: Arc<StoreHealth>,
    /// Sessions ended in memory whose deletion the store refused; retried
    /// by the upkeep until stored.
    pub pending_logouts: Arc<Mutex<Vec<[u8; 32]>>>,
    /// TLS certificates (certs_dir, ACME) and the live SNI resolver.
    pub certs: Arc<crate::certs::CertStore>,
    /// Pending ACME HTTP-01 answers.
    pub acme_http01: Arc<crate::acme::Http01Tokens>,
    /// This node's TLS-ALPN-01 challenges, shared with the other nodes.
    pub acme_alpn: Arc<crate::acme::AlpnShare>,
    /// `[cluster] redis`: the shared layer of several instances
    /// (docs/cluster.md); `None` for a single instance.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

impl App {
    /// Opens the store and builds the runtime state.
    pub fn open(config: Config) -> Result<App, AppError> {
        let now = crate::clock::now();
        let store = Store::open_url(&config.store.url, &config.server.data_dir)?;
        let sessions = Arc::new(SessionTable::load(&store, &config.session, now)?);
        let regulation = Arc::new(Regulation::load(&store, &config.login, now)?);
        let api_tokens = Arc::new(crate::auth::api_tokens::ApiTokenTable::load(&store)?);
        let plex_client_id = crate::sso::plex_tv::client_id(&store)?;
        let router = Router::from_conf(&config);
        let strict = StrictReading::new(&config.routes);
        let routes = config.routes.iter().map(RouteRuntime::from_conf).collect();
        let strip = StripList::from_config(&config);
        let certs = Arc::new(if config.server.tls_listen.is_empty() {
            crate::certs::CertStore::empty()
        } else {
            crate::certs::CertStore::open(&config.server.certs_dir, config.acme.enabled)?
        });
        crate::acme::load_stored(&config.acme, &acme_keep(&config, &store), &certs);
        let cluster = match &config.cluster.redis {
            Some(url) => Some(Arc::new(crate::cluster::Cluster::start(
                url,
                &config.cluster.node_name,
                sessions.clone(),
                regulation.clone(),
                store.clone(),
            )?)),
            None => None,
        };
        let acme_http01 = Arc::new(crate::acme::Http01Tokens::default());
        let acme_alpn = Arc::new(crate::acme::AlpnShare::default());
        if let Some(c) = &cluster {
            let mirror = super::cluster_acme::AcmeMirror(c.kv().clone());
            acme_http01.set_mirror(Arc::new(mirror));
            acme_alpn.set_mirror(Arc::new(super::cluster_acme::AlpnMirror(c.alpn())));
            c.set_alpn_sink(Arc::new(super::cluster_acme::AlpnSink(certs.clone())));
        }
        Ok(App {
            router,
            strict,
            routes,
            strip,
            sessions,
            api_tokens,
            pending: Default::default(),
            regulation,
            hasher: Hasher::new(PasswordPolicy::from_env()),
            http: crate::sso::http_client()?,
            plex_client_id,
            store_health: Arc::default(),
            pending_logouts: Arc::new(Mutex::new(Vec::new())),
            certs,
            acme_http01,
            acme_alpn,
            cluster,
            store,
            config,
        })
    }

    /// The state for a reloaded `config`: routes, router, strict reading
    /// and strip list rebuilt from it; every long-lived part (store,
    /// sessions, tokens, bans, hasher, clients, certificates) shared with
    /// `self`, so requests on either see the same accounts. The caller
    /// keeps what needs new sockets or tables as running
    /// (`super::reload::keep_running`).
    pub fn reloaded(&self, config: Config) -> App {
        App {
            router: Router::from_conf(&config),
            strict: StrictReading::new(&config.routes),
            routes: config.routes.iter().map(RouteRuntime::from_conf).collect(),
            strip: StripList::from_config(&config),
            store: self.store.clone(),
            sessions: self.sessions.clone(),
            api_tokens: self.api_tokens.clone(),
            pending: self.pending.clone(),
            regulation: self.regulation.clone(),
            hasher: self.hasher.clone(),
            http: self.http.clone(),
            plex_client_id: self.plex_client_id.clone(),
            store_health: self.store_health.clone(),
            pending_logouts: self.pending_logouts.clone(),
            certs: self.certs.clone(),
            acme_http01: self.acme_http01.clone(),
            acme_alpn: self.acme_alpn.clone(),
            cluster: self.cluster.clone(),
            config,
        }
    }
}

/// Where ACME keeps its account and certificates for `config`.
pub fn acme_keep(config: &Config, store: &Store) -> crate::acme::Keep {
    crate::acme::Keep {
        store: store.clone(),
        data_dir: config.server.data_dir.clone(),
        node: config.cluster.node_name.clone(),
    }
}
