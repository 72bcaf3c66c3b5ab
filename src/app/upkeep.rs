//! Background upkeep of the account layer, off the hot path: reload users
//! (and drop sessions) when another process (the CLI) changed the store,
//! flush `last_seen` in batches, purge expired sessions, probe that the
//! store can still write, and retry sign-outs it refused.

use std::sync::Arc;
use std::time::Duration;

use super::state::App;

/// How often the store's `data_version` is checked.
pub const USER_POLL: Duration = Duration::from_secs(1);
/// How often `last_seen` is flushed and expired sessions purged.
pub const FLUSH_EVERY: Duration = Duration::from_secs(60);
/// How often a healthy store is probed with a tiny write (a failing one is
/// probed every [`USER_POLL`]).
pub const PROBE_EVERY: Duration = Duration::from_secs(10);

/// The store key the write probe updates.
const PROBE_KEY: &str = "health_probe";

/// Starts the upkeep thread (its own small runtime; never blocks a worker).
pub fn spawn(app: Arc<App>) {
    let spawned = std::thread::Builder::new()
        .name("gatehouse-upkeep".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "upkeep runtime not started");
                    return;
                }
            };
            rt.block_on(run(app));
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "upkeep thread not started");
    }
}

async fn run(app: Arc<App>) {
    let mut version = app.store.data_version().unwrap_or(0);
    let mut poll = tokio::time::interval(USER_POLL);
    let mut since_flush = Duration::ZERO;
    let mut since_probe = Duration::ZERO;
    loop {
        poll.tick().await;
        since_flush += USER_POLL;
        since_probe += USER_POLL;
        let failing = app.store_health.failure().is_some();
        if failing || since_probe >= PROBE_EVERY {
            since_probe = Duration::ZERO;
            let now = crate::clock::unix(crate::clock::now()).to_string();
            let probe = app.store.set_meta(PROBE_KEY, &now);
            app.store_health.record(&probe);
            if probe.is_ok() {
                retry_pending_logouts(&app);
            }
        }
        match app.store.data_version() {
            Ok(v) if v != version => {
                version = v;
                if let Err(e) = app.sessions.refresh_users(&app.store) {
                    tracing::error!(error = %e, "users not reloaded");
                } else {
                    tracing::info!("users reloaded after an outside change");
                }
                match app.sessions.reconcile(&app.store) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sessions = n, "sessions ended by an outside change"),
                    Err(e) => tracing::error!(error = %e, "sessions not reconciled"),
                }
                match app.api_tokens.reconcile(&app.store) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(tokens = n, "API tokens revoked by an outside change"),
                    Err(e) => tracing::error!(error = %e, "API tokens not reconciled"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "store not readable"),
        }
        if since_flush >= FLUSH_EVERY {
            since_flush = Duration::ZERO;
            let flushed = app.sessions.persist_last_seen(&app.store);
            app.store_health.record(&flushed);
            if let Err(e) = flushed {
                tracing::error!(error = %e, "last_seen not flushed");
            }
            match app.sessions.purge_expired(&app.store, crate::clock::now()) {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "expired sessions purged"),
                Err(e) => tracing::error!(error = %e, "expired sessions not purged"),
            }
            // Expired API tokens are refused at once; here they leave the
            // store and the in-memory table.
            match app.store.delete_expired_api_tokens(crate::clock::now()) {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(tokens = n, "expired API tokens purged");
                    if let Err(e) = app.api_tokens.reconcile(&app.store) {
                        tracing::error!(error = %e, "API tokens not reconciled");
                    }
                }
                Err(e) => tracing::error!(error = %e, "expired API tokens not purged"),
            }
        }
    }
}

/// Retries the deletions the store refused earlier; `true` when none is
/// left.
pub fn retry_pending_logouts(app: &App) -> bool {
    let batch: Vec<[u8; 32]> = match app.pending_logouts.lock() {
        Ok(q) if q.is_empty() => return true,
        Ok(q) => q.clone(),
        Err(_) => return false,
    };
    let outcome = app.store.delete_sessions(&batch);
    app.store_health.record(&outcome);
    match outcome {
        Ok(_) => {
            if let Ok(mut q) = app.pending_logouts.lock() {
                q.retain(|h| !batch.contains(h));
                tracing::info!(sessions = batch.len(), "queued sign-outs stored");
                return q.is_empty();
            }
            false
        }
        Err(_) => false,
    }
}
