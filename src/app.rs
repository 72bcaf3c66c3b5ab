//! The shared state of a running gateway, built once at start from the
//! validated configuration: routes with their prebuilt per-request data, the
//! router, the strip list, and the account layer (store, sessions,
//! regulation, password hasher, SSO client).

use std::sync::{Arc, Mutex};

use http::header::{HeaderName, HeaderValue};

use crate::auth::password::{Hasher, PasswordPolicy};
use crate::auth::regulation::Regulation;
use crate::auth::session::SessionTable;
use crate::auth::spoof::StripList;
use crate::config::{Config, HeaderTemplate, Route};
use crate::route::Router;
use crate::store::{Store, StoreError};

/// A route's `set_headers`, split once at start into prebuilt static values
/// and templates that need per-request expansion.
#[derive(Debug, Clone)]
pub enum HeaderRule {
    /// Name and a prebuilt value (a refcount bump per request).
    Static(HeaderName, HeaderValue),
    /// Name and a template with variables.
    Dynamic(HeaderName, HeaderTemplate),
    /// `""`: the header is removed.
    Remove(HeaderName),
}

/// Per-route data computed once at start.
#[derive(Debug)]
pub struct RouteRuntime {
    /// `set_headers` in file order.
    pub header_rules: Vec<HeaderRule>,
    /// How many upstream attempts a request may make.
    pub max_attempts: usize,
    /// The route name, shared with log lines.
    pub name: Arc<str>,
}

impl RouteRuntime {
    /// Computes the per-route data once.
    pub fn from_conf(route: &Route) -> RouteRuntime {
        let header_rules = route
            .proxy
            .set_headers
            .iter()
            .map(|(name, t)| {
                if t.is_removal() {
                    return HeaderRule::Remove(name.clone());
                }
                match t.as_static().map(HeaderValue::from_str) {
                    Some(Ok(v)) => HeaderRule::Static(name.clone(), v),
                    _ => HeaderRule::Dynamic(name.clone(), t.clone()),
                }
            })
            .collect();
        let n = route.upstreams.len().max(1);
        let tries = route.proxy.next_upstream_tries as usize;
        let max_attempts = if tries == 0 { n } else { tries.min(n) };
        RouteRuntime {
            header_rules,
            max_attempts,
            name: Arc::from(route.name.as_str()),
        }
    }
}

/// Why the gateway's state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("store {0}")]
    Store(#[from] StoreError),
    #[error("SSO client: {0}")]
    Sso(#[from] crate::sso::SsoError),
    #[error("TLS: {0}")]
    Certs(#[from] crate::certs::CertError),
}

/// Everything the proxy hooks and the portal read.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub router: Router,
    /// Parallel to `config.routes`.
    pub routes: Vec<RouteRuntime>,
    pub strip: StripList,
    pub store: Store,
    pub sessions: Arc<SessionTable>,
    pub regulation: Arc<Regulation>,
    pub hasher: Hasher,
    /// Outbound client for Ombi / Tautulli (SSO at login).
    pub http: reqwest::Client,
    /// This install's plex.tv client identifier (kept in the store).
    pub plex_client_id: String,
    /// The one-time first-admin token while no admin exists.
    pub setup_token: Mutex<Option<String>>,
    /// Pending "Sign in with Plex" PINs: id → browser nonce.
    pub plex_pins: crate::portal::plex::Pins,
    /// TLS certificates (certs_dir, ACME) and the live SNI resolver.
    pub certs: Arc<crate::certs::CertStore>,
    /// Pending ACME HTTP-01 answers.
    pub acme_http01: Arc<crate::acme::Http01Tokens>,
}

/// The store key of the plex.tv client identifier.
pub const PLEX_CLIENT_ID_KEY: &str = "plex_client_id";

impl App {
    /// Opens the store and builds the runtime state.
    pub fn open(config: Config) -> Result<App, AppError> {
        let now = crate::clock::now();
        let store = Store::open(&config.server.data_dir)?;
        let sessions = Arc::new(SessionTable::load(&store, &config.session, now)?);
        let regulation = Arc::new(Regulation::load(&store, &config.login, now)?);
        let plex_client_id = match store.get_meta(PLEX_CLIENT_ID_KEY)? {
            Some(id) => id,
            None => {
                let id = crate::sso::plex_tv::new_client_id();
                store.set_meta(PLEX_CLIENT_ID_KEY, &id)?;
                id
            }
        };
        let router = Router::from_conf(&config);
        let routes = config.routes.iter().map(RouteRuntime::from_conf).collect();
        let strip = StripList::from_config(&config);
        let certs = Arc::new(if config.server.tls_listen.is_empty() {
            crate::certs::CertStore::empty()
        } else {
            crate::certs::CertStore::open(&config.server.certs_dir, config.acme.enabled)?
        });
        crate::acme::load_stored(&config.acme, &config.server.data_dir, &certs);
        Ok(App {
            router,
            routes,
            strip,
            sessions,
            regulation,
            hasher: Hasher::new(PasswordPolicy::from_env()),
            http: crate::sso::http_client()?,
            plex_client_id,
            setup_token: Mutex::new(None),
            plex_pins: crate::portal::plex::Pins::default(),
            certs,
            acme_http01: Arc::default(),
            store,
            config,
        })
    }
}
