//! The certificate thread: its own small Tokio runtime (never a proxy
//! worker's) that polls `certs_dir` every [`POLL_EVERY`] and runs the ACME
//! scheduler beside it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::CertStore;

/// How often `certs_dir` is polled: a pair replaced on disk is served
/// within this interval (plus the time to read it).
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// Polls `store`'s directory for ever.
pub async fn poll(store: Arc<CertStore>) {
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let store = store.clone();
        // File reads block: keep them off the timer's thread.
        if let Err(e) = tokio::task::spawn_blocking(move || store.poll_dir()).await {
            tracing::error!(error = %e, "certs_dir poll failed");
        }
    }
}

/// Starts the certificate thread: the `certs_dir` poller plus `beside`
/// (the ACME scheduler, or nothing).
pub fn spawn<F>(store: Arc<CertStore>, beside: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let spawned = std::thread::Builder::new()
        .name("gatehouse-certs".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "certificate runtime not started");
                    return;
                }
            };
            rt.block_on(async move {
                tokio::join!(poll(store), beside);
            });
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "certificate thread not started");
    }
}
