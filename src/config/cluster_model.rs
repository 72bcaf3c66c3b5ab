//! The validated `[cluster]` (read by `cluster.rs`): several instances
//! sharing one Redis (docs/cluster.md).

use std::fmt;

use url::Url;

/// `[cluster]`, validated.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// `None`: a single instance (nothing shared).
    pub redis: Option<RedisUrl>,
    /// This node's name in logs and the startup line (the host name when
    /// not set).
    pub node_name: String,
}

/// A Redis URL (`redis://`, `rediss://`, `unix://`) that never shows its
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(Url);

impl RedisUrl {
    pub(super) fn new(url: Url) -> RedisUrl {
        RedisUrl(url)
    }

    /// The full URL, password included: for the Redis client only.
    pub fn secret_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::store_url::mask(self.0.as_str()))
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}
