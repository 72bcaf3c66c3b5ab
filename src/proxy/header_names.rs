//! A route's request header rules with their names prepared once per configuration
//! snapshot for Pingora's header maps ([`PreparedHeaderName`]: parsed, with the case they
//! are written in), so that inserting `set_headers` and `identity_headers` into each
//! upstream request parses and copies no name.

use http::header::HeaderName;
use pingora::http::PreparedHeaderName;

use crate::app::{HeaderRule, RouteRuntime};
use crate::config::Route;

/// One route's prepared rules.
#[derive(Debug)]
pub struct RouteHeaderNames {
    /// `set_headers` in file order (`RouteRuntime::header_rules`, names prepared).
    pub set: Vec<HeaderRule<PreparedHeaderName>>,
    /// Parallel to the route's `identity_headers`.
    pub identity: Vec<PreparedHeaderName>,
}

impl RouteHeaderNames {
    /// Names are written on the wire as Pingora writes an inserted `HeaderName` (titled
    /// for the common standard headers, lowercase otherwise): the same bytes as when each
    /// request inserted the `HeaderName` itself.
    pub fn new(route: &Route, runtime: &RouteRuntime) -> RouteHeaderNames {
        let prepared = |name: &HeaderName| PreparedHeaderName::from_header_name(name.clone());
        RouteHeaderNames {
            set: runtime
                .header_rules
                .iter()
                .map(|rule| rule.map_name(prepared))
                .collect(),
            identity: route
                .identity_headers
                .iter()
                .map(|(name, _)| prepared(name))
                .collect(),
        }
    }

    /// How many headers these rules may add to a request.
    pub fn added_at_most(&self) -> usize {
        self.set.len() + self.identity.len()
    }
}
