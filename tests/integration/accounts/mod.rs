//! Accounts, sessions and inline group auth through the real gateway (issue 3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_control;
mod bans;
mod bcrypt_import;
pub mod common;
mod group_table;
mod nginx;
mod organizr_api;
mod portal;
mod redirects;
mod sessions;
mod spoofing;
