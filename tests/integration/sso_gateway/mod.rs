//! Plex sign-in and SSO through the real gateway, against the fakes (issue 4).
//!
//! Every test starts the real `gatehouse` binary wired to the fakes of
//! plex.tv, Ombi and Tautulli (`support/fakes`) and asserts both what the
//! browser gets back (status, `Set-Cookie`) and what the fakes received.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod common;
mod debug_cli;
mod inject_pages;
mod login;
mod metrics;
mod plex_accounts;
mod sso_cookies;
