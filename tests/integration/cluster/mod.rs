//! Several instances (docs/cluster.md): two real gateway processes on one
//! store (a SQLite `data_dir`, or a throwaway PostgreSQL) and one
//! throwaway `redis-server`.

mod acme;
mod check;
mod common;
mod outage;
mod plex_pin;
mod regulation;
mod sessions;
