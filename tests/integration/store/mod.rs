//! The store on both backends (issue 16): one suite of store operations run
//! against the embedded SQLite store and against a throwaway PostgreSQL;
//! a gateway on PostgreSQL losing and regaining it; `gatehouse store copy`.

mod config;
mod copy;
mod outage;
mod suite;
