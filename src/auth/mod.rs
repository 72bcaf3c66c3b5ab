//! Users, sessions and the inline auth decision (no Pingora types here).

pub mod decision;
pub mod password;
pub mod redirect_target;
pub mod regulation;
pub mod session;
pub mod spoof;
