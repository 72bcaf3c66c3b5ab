//! The background Tokio runtime every test server runs on, and a task handle
//! that stops its task (and the connection tasks it owns) when dropped.

use std::net::SocketAddr;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use tokio::task::AbortHandle;

use super::ports;

/// The shared runtime (two worker threads, timers and I/O enabled).
pub fn rt() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-upstreams")
            .enable_all()
            .build()
            .expect("build the test-server runtime")
    })
}

/// Binds 127.0.0.1:0 and registers the listener with the background runtime.
pub fn listen() -> (tokio::net::TcpListener, SocketAddr) {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    std_listener.set_nonblocking(true).expect("set_nonblocking");
    let addr = std_listener.local_addr().expect("local_addr");
    ports::reserve(addr.port());
    let _guard = rt().enter();
    let listener = tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
    (listener, addr)
}

/// Aborts its task when dropped (a server's accept loop; the loop owns a
/// `JoinSet` of connection tasks, which are aborted with it).
#[derive(Debug)]
pub struct TaskGuard(AbortHandle);

impl TaskGuard {
    /// Spawns `fut` on the background runtime.
    pub fn spawn<F>(fut: F) -> TaskGuard
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        TaskGuard(rt().spawn(fut).abort_handle())
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
