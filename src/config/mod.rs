//! Configuration: the TOML file, its validation and the internal model.

pub mod model;
pub use model::*;
