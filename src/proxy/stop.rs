//! What the gateway does while Pingora stops it (SIGTERM) or hands its
//! sockets to a new process (SIGQUIT, `gatehouse upgrade`): from the moment
//! shutdown starts, access lines are written at once (nothing buffered is
//! lost at exit); the process exits as soon as its last request in flight
//! is done, at most `[server] drain_timeout` later, after saving
//! `last_seen` and removing the pid file if it still names this process.

use std::sync::Arc;
use std::time::Duration;

use pingora::server::ExecutionPhase;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::app::App;

/// Follows the server's execution phases on a small thread of its own.
pub fn watch(mut phases: Receiver<ExecutionPhase>, app: Arc<App>, drain: Duration) {
    let spawned = std::thread::Builder::new()
        .name("gatehouse-stop".into())
        .spawn(move || loop {
            match phases.blocking_recv() {
                Ok(ExecutionPhase::ShutdownStarted) => {
                    crate::observability::buffer::write_through()
                }
                Ok(ExecutionPhase::ShutdownGracePeriod) => {
                    // Saved now as well: when the drain times out, Pingora
                    // exits right after the runtimes stop without waiting
                    // for this thread (a PostgreSQL round trip can lose
                    // that race).
                    if let Err(e) = app.sessions.persist_last_seen(&app.store) {
                        tracing::error!(error = %e, "last_seen not saved at stop");
                    }
                    if super::drain::wait(drain) {
                        tracing::info!("requests drained, exiting");
                        finish(&app);
                        std::process::exit(0);
                    }
                    tracing::warn!(
                        in_flight = super::drain::in_flight(),
                        "drain_timeout reached with requests in flight"
                    );
                }
                Ok(ExecutionPhase::ShutdownRuntimes) => finish(&app),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => {
                    crate::observability::buffer::write_through();
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        // Lines are still flushed every 100 ms; only the last ones may be lost.
        tracing::error!(error = %e, "stop watcher not started");
    }
}

/// Saves `last_seen`, flushes the log and lets go of the pid file.
fn finish(app: &App) {
    if let Err(e) = app.sessions.persist_last_seen(&app.store) {
        tracing::error!(error = %e, "last_seen not saved at stop");
    }
    crate::app::pidfile::remove_if_ours(&app.config.server.data_dir);
    crate::observability::buffer::write_through();
}
