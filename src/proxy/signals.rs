//! SIGHUP: reload the configuration (`live::Current::reload`), like nginx.
//! Pingora keeps SIGTERM (graceful stop), SIGQUIT (graceful upgrade) and
//! SIGINT (fast stop); without this handler SIGHUP would end the process.

use tokio::signal::unix::{signal, SignalKind};

use super::live::Current;

/// Starts the thread that reloads on each SIGHUP; returns once the handler
/// is installed (a SIGHUP from then on reloads, never kills).
pub fn reload_on_hangup(current: Current) -> Result<(), String> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name("gatehouse-reload".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("reload runtime: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                let mut hangups = match signal(SignalKind::hangup()) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("SIGHUP handler: {e}")));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                while hangups.recv().await.is_some() {
                    tracing::info!(target: super::live::TARGET, "SIGHUP: reloading the configuration");
                    current.reload();
                }
            });
        })
        .map_err(|e| format!("reload thread: {e}"))?;
    ready_rx
        .recv()
        .map_err(|_| "reload thread ended before its SIGHUP handler".to_owned())?
}
