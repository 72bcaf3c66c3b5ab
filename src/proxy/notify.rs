//! systemd's readiness protocol (`Type=notify`, contrib/systemd): once the
//! gateway serves it sends `READY=1` and its pid (`MAINPID=`) to
//! `$NOTIFY_SOCKET`, so after `gatehouse upgrade` systemd supervises the new
//! process. Nothing happens outside systemd.

use std::os::unix::net::UnixDatagram;

/// Sends `READY=1` and `MAINPID=` when systemd asked for notifications.
pub fn ready() {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let message = format!("READY=1\nMAINPID={}\n", std::process::id());
    if let Err(e) = send(&socket.to_string_lossy(), message.as_bytes()) {
        tracing::warn!(error = %e, "systemd readiness not sent");
    }
}

fn send(socket: &str, message: &[u8]) -> std::io::Result<usize> {
    let sock = UnixDatagram::unbound()?;
    match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            sock.send_to_addr(message, &addr)
        }
        None => sock.send_to(message, socket),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_send_reaches_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        send(path.to_str().unwrap(), b"READY=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
    }
}
