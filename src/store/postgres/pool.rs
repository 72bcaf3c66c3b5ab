//! A small pool of PostgreSQL connections: idle clients in a vector,
//! opened on demand, dropped when their connection broke.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use postgres::{Client, Config, NoTls};

use crate::store::{Result, StoreError};
use crate::store_url as url;

/// How long opening a connection may take before the store counts as
/// unreachable (when the URL sets no `connect_timeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The pool.
pub(crate) struct Pool {
    config: Config,
    idle: Mutex<Vec<Client>>,
    label: String,
}

impl Pool {
    /// A pool for `url` (parsed now; nothing is connected yet).
    pub(crate) fn new(raw: &str) -> Result<Pool> {
        let label = url::mask(raw);
        let mut config: Config = raw.parse().map_err(|e: postgres::Error| {
            StoreError::Unreachable(label.clone(), url::mask(&e.to_string()))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("gatehouse");
        }
        Ok(Pool {
            config,
            idle: Mutex::new(Vec::new()),
            label,
        })
    }

    /// The URL with its password masked.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// An idle client, or a new connection.
    pub(crate) fn get(&self) -> Result<Client> {
        loop {
            let next = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match next {
                Some(c) if c.is_closed() => continue,
                Some(c) => return Ok(c),
                None => break,
            }
        }
        self.config
            .connect(NoTls)
            .map_err(|e| StoreError::Unreachable(self.label.clone(), e.to_string()))
    }

    /// Returns `client` after a call that ended with `outcome`: kept when
    /// its connection is sound; otherwise dropped with every idle one (the
    /// server went away: they are all stale), and the error reported as the
    /// store being unreachable.
    pub(crate) fn put<T>(&self, client: Client, outcome: Result<T>) -> Result<T> {
        let lost = matches!(&outcome, Err(StoreError::Postgres(e)) if connection_lost(e));
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if lost || client.is_closed() {
            idle.clear();
            return outcome.map_err(|e| match e {
                StoreError::Postgres(e) if lost => {
                    StoreError::Unreachable(self.label.clone(), e.to_string())
                }
                other => other,
            });
        }
        if idle.len() < super::MAX_IDLE {
            idle.push(client);
        }
        outcome
    }
}

/// Whether `e` is the connection failing (not an SQL error).
fn connection_lost(e: &postgres::Error) -> bool {
    use std::error::Error as _;
    e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>())
}

impl Drop for Pool {
    /// Closing a client blocks on the `postgres` crate's own runtime, which
    /// tokio forbids on a thread inside a runtime: close them elsewhere.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(PoisonError::into_inner));
        if tokio::runtime::Handle::try_current().is_err() {
            drop(idle);
            return;
        }
        std::thread::scope(|s| {
            s.spawn(move || drop(idle));
        });
    }
}
