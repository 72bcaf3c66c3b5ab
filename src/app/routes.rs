//! Per-route data computed once at start from the validated configuration:
//! `set_headers` split into prebuilt and templated values, the attempt
//! budget of `next_upstream`, the name shared with log lines.

use std::sync::Arc;

use http::header::{HeaderName, HeaderValue};

use crate::config::{HeaderTemplate, Route};

/// A route's `set_headers`, split once at start into prebuilt static values
/// and templates that need per-request expansion. `N` is how the name is held
/// (the proxy keeps a form prepared for its header maps, [`HeaderRule::map_name`]).
#[derive(Debug, Clone)]
pub enum HeaderRule<N = HeaderName> {
    /// Name and a prebuilt value (a refcount bump per request).
    Static(N, HeaderValue),
    /// Name and a template with variables.
    Dynamic(N, HeaderTemplate),
    /// `""`: the header is removed.
    Remove(N),
}

impl<N> HeaderRule<N> {
    /// The same rule with its name turned by `f`.
    pub fn map_name<M>(&self, f: impl FnOnce(&N) -> M) -> HeaderRule<M> {
        match self {
            HeaderRule::Static(name, value) => HeaderRule::Static(f(name), value.clone()),
            HeaderRule::Dynamic(name, template) => HeaderRule::Dynamic(f(name), template.clone()),
            HeaderRule::Remove(name) => HeaderRule::Remove(f(name)),
        }
    }
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
    /// `public_paths`, prebuilt for both path readings.
    pub public_paths: crate::route::public::PublicPaths,
    /// `WWW-Authenticate` values of a machine-client route's 401 (Basic
    /// and Bearer, realm = the route name); empty on other routes.
    pub challenges: Vec<HeaderValue>,
    /// Live health of each upstream, parallel to the route's `upstreams`
    /// (admin pages).
    pub health: Box<[super::upstream_health::UpstreamHealth]>,
    /// The route's metric handles, resolved at config load.
    pub metrics: crate::observability::metrics::RouteMetrics,
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
            public_paths: crate::route::public::PublicPaths::new(&route.access.public_paths),
            challenges: challenges(route),
            health: route.upstreams.iter().map(|_| Default::default()).collect(),
            metrics: crate::observability::metrics::RouteMetrics::new(&route.name),
        }
    }
}

/// A machine-client route's `WWW-Authenticate` values (the realm is the
/// route name, quoted; a name a header cannot carry falls back to
/// `gatehouse`).
fn challenges(route: &Route) -> Vec<HeaderValue> {
    if !route.access.machine_clients {
        return Vec::new();
    }
    let realm: String = route
        .name
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    let realm = if realm.is_empty() {
        "gatehouse".into()
    } else {
        realm
    };
    [
        format!("Basic realm=\"{realm}\", charset=\"UTF-8\""),
        format!("Bearer realm=\"{realm}\""),
    ]
    .iter()
    .filter_map(|v| HeaderValue::from_str(v).ok())
    .collect()
}
