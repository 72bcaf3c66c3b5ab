//! `gatehouse store copy`: everything an embedded (SQLite) store holds —
//! users, sessions, bans, second factors, API tokens, ACME accounts and
//! certificates, install-wide values —
//! into an empty store of the other backend, in one transaction, ids kept,
//! then the rows of every table counted on both sides.
//!
//! The tables are read from the source's schema (the columns of each, so a
//! migration step that adds a column needs no change here); [`ORDER`] lists
//! them parents first so foreign keys hold at every insert. A table missing
//! from it is copied after them.

use super::backend::{args, Db, Dialect, Row, Value};
use super::{Result, Store, StoreError};

/// Tables, parents before children.
pub const ORDER: &[&str] = &[
    "users",
    "sessions",
    "bans",
    "meta",
    "totp",
    "recovery_codes",
    "passkeys",
    "webauthn_handles",
    "api_tokens",
    "acme_accounts",
    "acme_certs",
    "acme_leases",
];

/// Tables whose `id` comes from a sequence (its position is carried over,
/// so ids are never reused after the move).
const WITH_IDS: &[&str] = &["users", "passkeys", "api_tokens"];

/// One copied table: its name, rows in the source, rows in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: String,
    pub source: i64,
    pub target: i64,
}

struct Table {
    name: String,
    columns: Vec<String>,
    rows: Vec<Row>,
    /// The highest id ever handed out (SQLite's `sqlite_sequence`).
    high_water: i64,
}

/// Copies `from` (SQLite) into `to` (empty). Refuses a non-empty target
/// before writing anything.
pub fn copy(from: &Store, to: &Store) -> Result<Vec<Copied>> {
    if from.dialect() != Dialect::Sqlite {
        return Err(StoreError::Corrupt(
            "store copy".into(),
            "the source must be the embedded SQLite store".into(),
        ));
    }
    let tables = from.transaction(read_source)?;
    let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    let held = counts(to, &names)?;
    let busy: Vec<String> = held
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t}: {n}"))
        .collect();
    if !busy.is_empty() {
        return Err(StoreError::NotEmpty(format!(
            "the target store {} is not empty ({}); `gatehouse store copy` only fills an empty store",
            to.describe(),
            busy.join(", ")
        )));
    }
    to.transaction(|db| {
        for t in &tables {
            write_table(db, t)?;
        }
        Ok(())
    })?;
    let after = counts(to, &names)?;
    let mut out = Vec::new();
    for (t, (_, target)) in tables.iter().zip(after) {
        let source = i64::try_from(t.rows.len()).unwrap_or(i64::MAX);
        if source != target {
            return Err(StoreError::Corrupt(
                format!("{} (after the copy)", t.name),
                format!("{source} rows in the source, {target} in the target"),
            ));
        }
        out.push(Copied {
            table: t.name.clone(),
            source,
            target,
        });
    }
    Ok(out)
}

fn read_source(db: &mut dyn Db) -> Result<Vec<Table>> {
    let mut names: Vec<String> = db
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
            &[],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_>>()?;
    names.sort_by_key(|n| ORDER.iter().position(|o| o == n).unwrap_or(ORDER.len()));
    let mut out = Vec::new();
    for name in names {
        let columns: Vec<String> = db
            .query(
                "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
                args![&name],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_>>()?;
        let rows = db.query(
            &format!("SELECT {} FROM {}", quoted(&columns), quote(&name)),
            &[],
        )?;
        let high_water = if WITH_IDS.contains(&name.as_str()) {
            let seq = db
                .query_opt(
                    "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                    args![&name],
                )?
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            let max = db
                .query_one(
                    &format!("SELECT coalesce(max(id), 0) FROM {}", quote(&name)),
                    &[],
                )?
                .int(0)?;
            seq.max(max)
        } else {
            0
        };
        out.push(Table {
            name,
            columns,
            rows,
            high_water,
        });
    }
    Ok(out)
}

fn write_table(db: &mut dyn Db, t: &Table) -> Result<()> {
    let marks: Vec<String> = (1..=t.columns.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(&t.name),
        quoted(&t.columns),
        marks.join(", ")
    );
    for row in &t.rows {
        db.execute(&sql, &row.0)?;
    }
    if db.dialect() == Dialect::Postgres && WITH_IDS.contains(&t.name.as_str()) {
        // The next id is the one after the source's high water mark.
        db.query_one(
            "SELECT setval(pg_get_serial_sequence(?1, 'id')::regclass, greatest(?2, 1), ?2 > 0)",
            &[Value::from(t.name.as_str()), Value::Int(t.high_water)],
        )?;
    }
    Ok(())
}

/// Rows per table of `store`.
fn counts(store: &Store, tables: &[String]) -> Result<Vec<(String, i64)>> {
    store.db(|db| {
        tables
            .iter()
            .map(|t| {
                let n = db
                    .query_one(&format!("SELECT count(*) FROM {}", quote(t)), &[])?
                    .int(0)?;
                Ok((t.clone(), n))
            })
            .collect()
    })
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quoted(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ")
}
