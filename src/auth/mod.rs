//! Users, sessions and the inline auth decision (no Pingora types here).

pub mod groups;
