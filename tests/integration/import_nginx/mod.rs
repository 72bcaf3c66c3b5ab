//! `gatehouse import nginx` through the real binary: the differential
//! tests against real nginx, and the command line (exit codes, warnings,
//! bad input).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod differential;
mod harness;
