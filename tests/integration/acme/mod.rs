//! Automatic HTTPS (issue 13) against Debian's Pebble: http-01, tls-alpn-01
//! and dns-01 issuance, live renewal, restarts, a CA that is down or
//! broken, failing challenges; and `certs_dir` hot swaps with certbot's
//! layout, `redirect_https` and `hsts`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod certs_dir;
pub mod common;
mod failures;
mod https;
mod issuance;
mod lifecycle;
