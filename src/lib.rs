//! Gatehouse: a single-binary front door for a home server.
//!
//! A Pingora reverse proxy with nginx `proxy.conf` semantics, Organizr-style
//! group auth decided inline, identity-header injection, a login portal and
//! single sign-on into Plex, Ombi and Tautulli.
//!
//! Only [`proxy`] knows Pingora; everything else is plain functions and types
//! that tests and benches call directly.

pub mod acme;
pub mod app;
pub mod auth;
pub mod certs;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod cookie;
pub mod groups;
pub mod headers;
pub mod import;
pub mod ip_text;
pub mod net;
pub mod observability;
pub mod portal;
pub mod proxy;
pub mod reply;
pub mod request_host;
pub mod route;
pub mod sso;
pub mod store;
pub mod store_url;
pub mod tokens;
