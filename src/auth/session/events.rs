//! What the session table tells other instances (docs/cluster.md): the
//! sessions it ended and the users it changed. Set only with `[cluster]
//! redis`; a single instance tells no one.

/// Receives the table's changes after the store has them. Must not block:
/// an implementation queues and returns.
pub trait SessionEvents: Send + Sync + std::fmt::Debug {
    /// These sessions ended (logout, revocation, a second-step token swap).
    fn sessions_ended(&self, hashes: &[[u8; 32]]);
    /// This user changed (lock, group, password, deletion) or lost every
    /// session.
    fn user_changed(&self, user_id: i64);
}
