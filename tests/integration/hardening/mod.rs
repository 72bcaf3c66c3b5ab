//! What outside testing found (an attack suite and fault injection run
//! against the release binary), each case proved fixed through the real
//! binary: upgrade tunnels, planted cookies, path readings of shared
//! upstreams, pass-through headers, cross-site logout, store failures,
//! idle connections.

mod cookies;
mod headers;
mod keepalive;
mod logout;
mod paths;
mod store;
mod upgrade;
