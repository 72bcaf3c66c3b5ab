//! Users, sessions and the inline auth decision (no Pingora types here).

pub mod api_tokens;
pub mod decision;
pub mod password;
pub mod pending;
pub mod policy;
pub mod redirect_target;
pub mod regulation;
pub mod session;
pub mod shared_regulation;
pub mod spoof;
pub mod totp;
