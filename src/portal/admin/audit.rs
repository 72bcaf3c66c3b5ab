//! The audit log: one line per admin or account change on tracing target
//! `gatehouse::audit` — who, what, on whom, from which client address, and
//! the result (`ok`, or `refused` with a reason). Never a password, token or
//! cookie: callers pass names and actions only. Names are written with
//! `Debug` quoting, so a user name cannot forge a line.

use std::net::IpAddr;

/// The tracing target of audit lines.
pub const TARGET: &str = "gatehouse::audit";

/// Who acts, from where.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub group: u16,
    pub client: IpAddr,
}

/// A change that was made.
pub fn done(actor: &Actor<'_>, action: &str, on: &str) {
    tracing::info!(
        target: TARGET,
        actor = ?actor.name,
        actor_group = actor.group,
        action,
        on = ?on,
        client = %actor.client,
        result = "ok",
        "admin change"
    );
}

/// A change that was refused, and why.
pub fn refused(actor: &Actor<'_>, action: &str, on: &str, reason: &str) {
    tracing::warn!(
        target: TARGET,
        actor = ?actor.name,
        actor_group = actor.group,
        action,
        on = ?on,
        client = %actor.client,
        result = "refused",
        reason,
        "admin change refused"
    );
}

/// A refused request with no signed-in actor (a cross-site form, no
/// session).
pub fn refused_anonymous(client: IpAddr, action: &str, reason: &str) {
    tracing::warn!(
        target: TARGET,
        actor = "-",
        action,
        client = %client,
        result = "refused",
        reason,
        "admin change refused"
    );
}
