//! Test support: real upstreams on loopback, the gateway binary harness,
//! port allocation and a raw-bytes HTTP client for malformed requests.
//!
//! Every server here runs on one background Tokio runtime (see `runtime.rs`),
//! so the helpers work the same from `#[test]` and `#[tokio::test]` functions
//! and keep serving while a test blocks.

// Not every test file uses every helper.
#![allow(dead_code)]
// Test support code: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod accounts;
pub mod binary;
pub mod conf;
pub mod fakes;
mod http1;
mod misbehaving;
pub mod nginx;
pub mod pebble;
pub mod ports;
pub mod postgres;
pub mod raw;
pub mod redis;
pub mod require;
mod runtime;
mod selftest;
pub mod testca;
pub mod tls;
pub mod tunnel;
pub mod upstream;
mod ws;
