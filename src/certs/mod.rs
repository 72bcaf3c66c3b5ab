//! TLS certificates: loading and checking PEM pairs (`pair`, `info`,
//! `pem`), `certs_dir` with both Gatehouse's and certbot's layouts (`dir`),
//! the set served by SNI (`set`) and the store that merges every source
//! and swaps new sets into the live resolver (`store`), polled by `watch`.
//!
//! Plain rustls types (the same rustls as Pingora's listener); no Pingora.

pub mod dir;
pub mod info;
pub mod pair;
pub mod pem;
pub mod set;
pub mod store;
pub mod watch;

pub use store::{AcmeStatus, CertError, CertRow, CertStore, Resolver, ACME_TLS_ALPN};
