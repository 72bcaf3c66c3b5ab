//! Loopback port allocation: ports come from the kernel (`127.0.0.1:0`), never
//! from a hard-coded list, and one test run never hands out the same port twice.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A port that was free on 127.0.0.1 a moment ago and that this process has not
/// handed out before. Nothing listens on it when this returns.
pub fn free_port() -> u16 {
    for _ in 0..1000 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        drop(listener);
        if handed_out().lock().expect("port set poisoned").insert(port) {
            return port;
        }
    }
    panic!("no fresh loopback port after 1000 tries");
}

/// Marks a port bound by a test server as used, so `free_port` never returns it.
pub fn reserve(port: u16) {
    handed_out().lock().expect("port set poisoned").insert(port);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_free_port_never_repeats() {
        let a: HashSet<u16> = (0..50).map(|_| free_port()).collect();
        assert_eq!(a.len(), 50);
    }
}
