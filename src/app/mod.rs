//! The shared state of a running gateway, built once at start from the
//! validated configuration: routes with their prebuilt per-request data, the
//! router, the strip list, and the account layer (store, sessions,
//! regulation, password hasher, SSO client); plus the background upkeep
//! that keeps the account layer in step with the store ([`upkeep`]).
//!
//! Below the portal and the proxy: it knows neither.

mod cluster_acme;
pub mod open_files;
pub mod pidfile;
pub mod reload;
pub mod routes;
mod state;
pub mod upkeep;
pub mod upstream_health;

pub use routes::{HeaderRule, RouteRuntime};
pub use state::{acme_keep, App, AppError};
