//! Configuration: the TOML file, its validation and the internal model.
//!
//! [`load`] / [`parse`] read `conf/gatehouse.toml` (docs/configuration.md) into a
//! [`Config`], or return every problem found as [`ConfigErrors`], each
//! `FILE:LINE: KEY: reason (value)`.
//!
//! Layout: `file.rs` walks the TOML tree (types, unknown keys, lines),
//! `units.rs` parses sizes and durations, `template.rs` the `set_headers`
//! variables, `validate.rs` holds the small named checks, `sections.rs`,
//! `overrides.rs` and `routes.rs` build the model from them, `defaults.rs`
//! holds every default, `load.rs` ties it together.

pub mod access_model;
pub mod acme;
pub mod cluster;
mod cluster_model;
pub mod defaults;
pub mod error;
mod file;
pub mod groups;
mod groups_table;
pub mod hosts;
mod links;
mod load;
mod locate;
pub mod metrics;
pub mod model;
mod overrides;
pub mod policy;
mod routes;
mod sections;
pub mod store;
mod store_model;
pub mod template;
pub mod units;
mod validate;

pub use access_model::{RouteAccess, SecondFactorPolicy, TrustedSkip};
pub use error::{ConfigError, ConfigErrors};
pub use load::{load, parse};
pub use model::*;
