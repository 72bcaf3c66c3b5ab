//! The shared half of login regulation with several instances
//! (docs/cluster.md): failure counters and bans kept where every node sees
//! them, so failures split across nodes ban exactly as the same count on
//! one node would. [`super::regulation::Regulation`] falls back to its own
//! counters whenever this answers `None` (the shared layer is down).

/// Failure counters and bans every instance sees. Keys are the ones
/// regulation counts under: the normalized user name and the client
/// address (an IPv6 address as its /64).
pub trait SharedRegulation: Send + Sync + std::fmt::Debug {
    /// Adds a failure at `t` (Unix seconds) under the user and the address;
    /// how many failures each holds within the last `window` seconds.
    /// Blocks briefly: call it off the worker threads.
    fn add_failure(&self, user: &str, ip: &str, t: u64, window: u64) -> Option<(usize, usize)>;
    /// Bans both until `until` for every instance (and tells them). Blocks
    /// briefly.
    fn ban(&self, user: &str, ip: &str, until: u64, t: u64);
    /// Whether either is banned at `t`; `None` when unknown. Blocks briefly.
    fn banned(&self, user: &str, ip: &str, t: u64) -> Option<bool>;
    /// A success: both counters start over. Must not block.
    fn clear(&self, user: &str, ip: &str);
}
