//! The SSO and plex.tv clients against the fakes of plex.tv, Ombi and
//! Tautulli (no gateway): every client method and error, the concurrent
//! token fetch, the Tautulli CSRF dance vs the API key, the debug-page data
//! and `gatehouse plex token|servers`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// `src/cli/mod.rs` does not declare `pub mod plex;` yet; until it does this
// module cannot compile, and would break the whole test binary.
mod cli;
mod common;
mod debug;
mod fakes_contract;
mod fetch;
mod ombi;
mod plex_tv;
mod tautulli;
