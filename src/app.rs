//! The shared state of a running gateway, built once at start from the
//! validated configuration: routes with their prebuilt per-request data, the
//! router, and the account layer.

use std::sync::Arc;

use http::header::{HeaderName, HeaderValue};

use crate::config::{Config, HeaderTemplate, Route};
use crate::route::Router;

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
    /// Prebuilt `X-Gatehouse-Route`-free name used in logs.
    pub name: Arc<str>,
}

impl RouteRuntime {
    fn from_conf(route: &Route) -> RouteRuntime {
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

/// Everything the proxy hooks read. Immutable after start except for the
/// concurrent maps inside the account layer.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub router: Router,
    /// Parallel to `config.routes`.
    pub routes: Vec<RouteRuntime>,
}

impl App {
    /// Builds the runtime state from the validated configuration.
    pub fn new(config: Config) -> App {
        let router = Router::from_conf(&config);
        let routes = config.routes.iter().map(RouteRuntime::from_conf).collect();
        App {
            config,
            router,
            routes,
        }
    }
}
