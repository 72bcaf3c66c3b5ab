//! The PostgreSQL backend (`[store] url = "postgres://…"`), on the
//! synchronous `postgres` client with a small pool of connections.
//!
//! Why the blocking client: every store method is synchronous and already
//! runs off the proxy's worker threads (async callers go through
//! [`crate::store::Store::call`], i.e. `spawn_blocking`; the CLI and the
//! upkeep thread call directly), exactly as SQLite's calls do. The
//! `postgres` crate drives each call on a small runtime of its own, which
//! tokio forbids on a thread that is inside a runtime (the upkeep thread's
//! `block_on`, a worker by mistake). So [`Postgres::run`] hands the work to
//! a scoped helper thread whenever the calling thread has a tokio context:
//! no call site can panic, and a misplaced call blocks one thread instead.
//!
//! Connections: a pool of idle clients (at most [`MAX_IDLE`]); a new one is
//! opened when none is idle. A connection that failed below SQL (the server
//! went away) is dropped together with every idle one, so the next call
//! connects afresh: when the server returns, the store works again without
//! a restart.

mod pool;
mod value;

use postgres::GenericClient;

use super::backend::{Db, Dialect, Row, Value};
use super::{migrations, Result, StoreError};

pub(crate) use pool::Pool;

/// At most this many idle connections are kept.
pub const MAX_IDLE: usize = 8;

/// The PostgreSQL backend.
pub(crate) struct Postgres {
    pool: Pool,
}

impl Postgres {
    /// Connects to `url` and applies pending migrations. Failures name the
    /// URL with its password masked.
    pub(crate) fn open(url: &str) -> Result<Postgres> {
        let pg = Postgres {
            pool: Pool::new(url)?,
        };
        pg.transaction(&mut |db| migrations::apply(db))
            .map_err(|e| match e {
                StoreError::Unreachable(..) => e,
                other => StoreError::OpenUrl(pg.label().to_string(), other.to_string()),
            })?;
        Ok(pg)
    }

    /// The URL with its password masked.
    pub(crate) fn label(&self) -> &str {
        self.pool.label()
    }

    /// Runs `f` on a pooled connection.
    pub(crate) fn with<T: Send>(
        &self,
        f: &mut (dyn FnMut(&mut dyn Db) -> Result<T> + Send),
    ) -> Result<T> {
        self.run(|| {
            let mut client = self.pool.get()?;
            let out = f(&mut PgDb(&mut client));
            self.pool.put(client, out)
        })
    }

    /// Runs `f` in one transaction (committed when `f` succeeds).
    pub(crate) fn transaction<T: Send>(
        &self,
        f: &mut (dyn FnMut(&mut dyn Db) -> Result<T> + Send),
    ) -> Result<T> {
        self.run(|| {
            let mut client = self.pool.get()?;
            let out = match client.transaction() {
                Ok(mut tx) => match f(&mut PgDb(&mut tx)) {
                    Ok(v) => tx.commit().map(|()| v).map_err(StoreError::from),
                    Err(e) => Err(e),
                },
                Err(e) => Err(StoreError::from(e)),
            };
            self.pool.put(client, out)
        })
    }

    /// Runs `work` here, or on a scoped thread when this thread is inside a
    /// tokio runtime (see the module documentation).
    fn run<T: Send>(&self, work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_err() {
            return work();
        }
        std::thread::scope(|s| match s.spawn(work).join() {
            Ok(r) => r,
            Err(_) => Err(StoreError::Corrupt(
                "postgres call".into(),
                "the store thread panicked".into(),
            )),
        })
    }
}

/// `?N` placeholders (SQLite's numbered form, in which the store's SQL is
/// written) as `$N`. Text inside single quotes is left alone.
pub(crate) fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

/// A client or a transaction as a [`Db`].
struct PgDb<'a, C: GenericClient>(&'a mut C);

fn refs(args: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    args.iter()
        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl<C: GenericClient> Db for PgDb<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<usize> {
        let n = self.0.execute(placeholders(sql).as_str(), &refs(args))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn query_each(
        &mut self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<usize> {
        use postgres::fallible_iterator::FallibleIterator;
        let params = refs(args);
        let mut rows = self
            .0
            .query_raw(placeholders(sql).as_str(), params.iter().copied())?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let mut values = Vec::with_capacity(r.len());
            for i in 0..r.len() {
                values.push(r.try_get::<_, Value>(i)?);
            }
            each(Row(values))?;
            n += 1;
        }
        Ok(n)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.0.batch_execute(sql)?)
    }
}

/// Whether `e` is PostgreSQL's unique-constraint violation.
pub(crate) fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_placeholders() {
        assert_eq!(
            placeholders("SELECT ?1, '?' FROM t WHERE a = ?2 AND b = '''?'"),
            "SELECT $1, '?' FROM t WHERE a = $2 AND b = '''?'"
        );
    }
}
