//! The one interface both store backends implement: run a statement, read
//! rows, in or out of a transaction.
//!
//! Every store method (users.rs, sessions.rs, …) is written once against
//! [`Db`]; only the SQL text may differ per [`Dialect`] (see `pick`). SQL is
//! written with SQLite's numbered placeholders `?1`, `?2`…; the PostgreSQL
//! backend rewrites them to `$1`, `$2`… (`postgres::placeholders`).
//!
//! Values are the four SQLite storage classes (integers are `BIGINT` on
//! PostgreSQL, blobs `BYTEA`, booleans stored as 0/1 integers on both), so a
//! row reads the same whichever backend produced it.

use super::{Result, StoreError};

/// Which SQL dialect a [`Db`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The SQL text for this dialect: `sqlite` on SQLite, `postgres` on
/// PostgreSQL (for the few statements whose dialects differ).
pub(crate) fn pick(d: Dialect, sqlite: &'static str, postgres: &'static str) -> &'static str {
    match d {
        Dialect::Sqlite => sqlite,
        Dialect::Postgres => postgres,
    }
}

/// One bound or read value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}
impl From<&Vec<u8>> for Value {
    fn from(v: &Vec<u8>) -> Value {
        Value::Blob(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// Bound values, in placeholder order: `args![a, b]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$($crate::store::backend::Value::from($v)),*][..]
    };
}
pub(crate) use args;

/// One read row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("column {i}"), "missing".into()))
    }

    /// An integer column (`NULL` is an error).
    pub fn int(&self, i: usize) -> Result<i64> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(wrong(i, "an integer", other)),
        }
    }

    /// A nullable integer column.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(wrong(i, "an integer", other)),
        }
    }

    /// A 0/1 column.
    pub fn flag(&self, i: usize) -> Result<bool> {
        Ok(self.int(i)? != 0)
    }

    /// A text column.
    pub fn text(&self, i: usize) -> Result<String> {
        match self.at(i)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(wrong(i, "text", other)),
        }
    }

    /// A nullable text column.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(wrong(i, "text", other)),
        }
    }

    /// A blob column.
    pub fn blob(&self, i: usize) -> Result<Vec<u8>> {
        match self.at(i)? {
            Value::Blob(v) => Ok(v.clone()),
            other => Err(wrong(i, "a blob", other)),
        }
    }
}

fn wrong(i: usize, want: &str, got: &Value) -> StoreError {
    let kind = match got {
        Value::Null => "NULL",
        Value::Int(_) => "an integer",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    };
    StoreError::Corrupt(
        format!("column {i}"),
        format!("{kind} where {want} was expected"),
    )
}

/// A connection (or an open transaction on one) of either backend.
pub trait Db {
    /// The SQL dialect.
    fn dialect(&self) -> Dialect;

    /// Runs a statement; how many rows it changed.
    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<usize>;

    /// Hands every result row to `each`, one at a time (no list is built).
    fn query_each(
        &mut self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<usize>;

    /// Runs several statements separated by `;` (migrations), no arguments.
    fn batch(&mut self, sql: &str) -> Result<()>;

    /// Every result row.
    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        self.query_each(sql, args, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first result row, if any.
    fn query_opt(&mut self, sql: &str, args: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The first result row; none is an error.
    fn query_one(&mut self, sql: &str, args: &[Value]) -> Result<Row> {
        self.query_opt(sql, args)?
            .ok_or_else(|| StoreError::Corrupt(sql.chars().take(60).collect(), "no row".into()))
    }
}
