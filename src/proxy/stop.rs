//! What the gateway does while Pingora stops it: from the moment shutdown
//! starts, access lines are written at once (nothing buffered is lost at
//! exit); `last_seen` is saved when the grace period starts and again once
//! requests have drained.

use std::sync::Arc;

use pingora::server::ExecutionPhase;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::app::App;

/// Follows the server's execution phases on a small thread of its own.
pub fn watch(mut phases: Receiver<ExecutionPhase>, app: Arc<App>) {
    let spawned = std::thread::Builder::new()
        .name("gatehouse-stop".into())
        .spawn(move || loop {
            match phases.blocking_recv() {
                Ok(ExecutionPhase::ShutdownStarted) => {
                    crate::observability::buffer::write_through()
                }
                // Saved when the grace period starts, and again once requests
                // drained: Pingora exits right after the runtimes stop without
                // waiting for this thread, so only the first save is sure to
                // finish (a PostgreSQL round trip is slower than the exit).
                Ok(ExecutionPhase::ShutdownGracePeriod | ExecutionPhase::ShutdownRuntimes) => {
                    if let Err(e) = app.sessions.persist_last_seen(&app.store) {
                        tracing::error!(error = %e, "last_seen not saved at stop");
                    }
                }
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
