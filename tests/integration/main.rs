//! The one integration-test binary: every test starts the real `gatehouse`
//! binary (or a real client against a fake service) on loopback ports chosen
//! at run time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod access;
mod accounts;
mod acme;
mod admin;
mod cluster;
mod config_check;
mod hardening;
mod host_routing;
mod import_nginx;
mod import_organizr;
mod layers;
pub mod metrics;
mod ops_plex_admin;
mod ops_reload;
mod proxy_body;
mod proxy_failover;
mod proxy_headers;
mod proxy_idle_memory;
mod proxy_malformed;
mod proxy_routing;
mod proxy_stop;
mod proxy_tls;
mod proxy_websocket;
mod proxy_workers;
mod sso_clients;
mod sso_gateway;
mod store;
