//! The session side of the hot path, with 100,000 live sessions loaded the
//! way the gateway loads them at start (store rows → in-memory table):
//!
//! - `session_lookup_100k`: SHA-256 of the cookie token + map look-up + expiry checks;
//! - `auth_hot_path_100k`: cookie found in a browser's `Cookie:` header, look-up,
//!   decision, and the identity header inserted into an upstream request
//!   (everything the gateway adds per protected request, minus logging);
//! - `session_lookup_100k_cluster`, `auth_hot_path_100k_cluster`: the same
//!   two on the same table after the cluster layer is hooked up the way a
//!   node with `[cluster] redis` does it (`Cluster::start`: the session
//!   table's events hook, shared regulation, the subscriber and publisher
//!   tasks on their own thread). A cache hit must not touch any of it, so
//!   these match the two above within noise. Redis: `GATEHOUSE_BENCH_REDIS`
//!   (e.g. `redis://127.0.0.1:6379/0` of a `redis-server` you started), or
//!   by default a unix socket nobody listens on (the node then retries
//!   every 250 ms on the cluster thread, as during an outage).
//!
//! argon2id (paid once per sign-in, never per request) is `benches/password.rs`.
//!
//! Before the criterion runs it prints the resident memory the 100k
//! sessions add to this process (VmRSS before and after the load). The
//! real gateway's RSS is measured by `scripts/bench.sh --memory`.
//!
//! Run with `cargo bench --bench sessions_memory`; only the four `_100k`
//! figures: `cargo bench --bench sessions_memory -- _100k`.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gatehouse::auth::decision::{decide, is_navigation, UserState};
use gatehouse::auth::regulation::Regulation;
use gatehouse::auth::session::{token_hash, SessionTable};
use gatehouse::cluster::Cluster;
use gatehouse::config::model::{AuthLevel, SessionSettings};
use gatehouse::cookie;
use gatehouse::store::{Store, DB_FILE};
use http::HeaderName;
use pingora::http::RequestHeader;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Live sessions in the table.
const SESSIONS: usize = 100_000;

/// A browser's Cookie header with ours near the end; `{}` is the token.
const COOKIE_PREFIX: &str = "_ga=GA1.1.123456789.1700000000; mpt=abcdefABCDEF0123456789; \
theme=dark; grafana_session=0011223344556677; gatehouse_session=";

/// The cookie token of session `i` (43 characters, `TOKEN_LEN`, like a real one).
fn token(i: usize) -> String {
    format!("bench-session-token-{i:010}-0123456789ab")
}

fn settings() -> SessionSettings {
    SessionSettings {
        cookie: "gatehouse_session".to_string(),
        domain: None,
        lifetime: Duration::from_secs(86_400),
        remember_me: Duration::from_secs(7 * 86_400),
        idle_timeout: None,
    }
}

/// Resident set size of this process in KiB, from `/proc/self/status`.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Creates the store with one user and `n` live sessions (one transaction).
fn fill_store(dir: &Path, n: usize, now: SystemTime) -> Result<(), String> {
    let store = Store::open(dir).map_err(|e| e.to_string())?;
    let user = store
        .add_user("bench", "bench@example.com", 4, None, None, now)
        .map_err(|e| e.to_string())?;
    drop(store);
    let mut conn = rusqlite::Connection::open(dir.join(DB_FILE)).map_err(|e| e.to_string())?;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO sessions (token_hash, user_id, created, expires, last_seen, remember, sso)
                 VALUES (?1, ?2, ?3, ?4, ?3, 0, '{}')",
            )
            .map_err(|e| e.to_string())?;
        let t = i64::try_from(gatehouse::clock::unix(now)).unwrap_or(0);
        for i in 0..n {
            stmt.execute(rusqlite::params![
                &token_hash(&token(i))[..],
                user.id,
                t,
                t + 86_400
            ])
            .map_err(|e| e.to_string())?;
        }
    }
    tx.commit().map_err(|e| e.to_string())
}

/// Exits the bench on a setup failure.
fn or_exit<T>(r: Result<T, String>) -> T {
    match r {
        Ok(t) => t,
        Err(e) => {
            eprintln!("sessions_memory: setup failed: {e}");
            std::process::exit(1);
        }
    }
}

/// The loaded table and its store; exits the bench on a setup failure.
fn table(now: SystemTime) -> (tempfile::TempDir, Store, Arc<SessionTable>) {
    let setup = || -> Result<(tempfile::TempDir, Store, Arc<SessionTable>), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        fill_store(dir.path(), SESSIONS, now)?;
        let store = Store::open(dir.path()).map_err(|e| e.to_string())?;
        let before = rss_kib();
        let table = SessionTable::load(&store, &settings(), now).map_err(|e| e.to_string())?;
        let after = rss_kib();
        println!(
            "sessions_memory: {} live sessions loaded: VmRSS {before} KiB -> {after} KiB \
             (+{} KiB, {} bytes per session incl. the store read)",
            table.len(),
            after.saturating_sub(before),
            after.saturating_sub(before) * 1024 / (SESSIONS as u64).max(1)
        );
        Ok((dir, store, Arc::new(table)))
    };
    or_exit(setup())
}

/// Hooks the cluster layer up to `table` as `App::open` does for a node
/// with `[cluster] redis` (the URL and `[login]` read by the config
/// loader).
fn join_cluster(dir: &Path, store: &Store, table: &Arc<SessionTable>, now: SystemTime) -> Cluster {
    let redis = std::env::var("GATEHOUSE_BENCH_REDIS")
        .unwrap_or_else(|_| format!("unix://{}", dir.join("no-redis.sock").display()));
    let text = format!("[cluster]\nredis = {redis:?}\nnode_name = \"bench\"\n");
    let config = or_exit(
        gatehouse::config::parse(Path::new("bench.toml"), &text).map_err(|e| e.to_string()),
    );
    let Some(url) = &config.cluster.redis else {
        eprintln!("sessions_memory: no [cluster] redis in {text:?}");
        std::process::exit(1);
    };
    let regulation = Arc::new(or_exit(
        Regulation::load(store, &config.login, now).map_err(|e| e.to_string()),
    ));
    or_exit(
        Cluster::start(
            url,
            &config.cluster.node_name,
            table.clone(),
            regulation,
            store.clone(),
        )
        .map_err(|e| e.to_string()),
    )
}

fn bench_sessions(c: &mut Criterion) {
    let now = gatehouse::clock::now();
    let (dir, store, table) = table(now);
    let probe = token(SESSIONS / 2);
    if table.lookup(&probe, now).is_none() {
        eprintln!("sessions_memory: a loaded session was not found");
        std::process::exit(1);
    }
    hit_paths(c, &table, &probe, now, "");
    // The same table, now a node's cache in front of a shared store.
    let cluster = join_cluster(dir.path(), &store, &table, now);
    if table.lookup(&probe, now).is_none() {
        eprintln!("sessions_memory: the session was lost when joining the cluster");
        std::process::exit(1);
    }
    hit_paths(c, &table, &probe, now, "_cluster");
    drop(cluster);
}

/// `session_lookup_100k{suffix}` and `auth_hot_path_100k{suffix}`: the
/// cache hit of `probe`.
fn hit_paths(c: &mut Criterion, table: &SessionTable, probe: &str, now: SystemTime, suffix: &str) {
    c.bench_function(&format!("session_lookup_100k{suffix}"), |b| {
        b.iter(|| table.lookup(black_box(probe), now).is_some())
    });

    let header = format!("{COOKIE_PREFIX}{probe}; lang=en");
    let name = HeaderName::from_static("x-webauth-user");
    let mut request = match RequestHeader::build("GET", b"/app/", None) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sessions_memory: {e}");
            std::process::exit(1);
        }
    };
    for (k, v) in [
        ("host", "home.example.com"),
        ("accept", "text/html,*/*;q=0.8"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
        ),
    ] {
        let _ = request.insert_header(k, v);
    }
    c.bench_function(&format!("auth_hot_path_100k{suffix}"), |b| {
        b.iter_batched_ref(
            || request.clone(),
            |up| {
                let found = cookie::find(black_box(header.as_bytes()), "gatehouse_session")
                    .and_then(|t| table.lookup(t, now));
                let state = found.as_ref().map(|(_, i)| UserState {
                    group: i.group,
                    locked: i.locked,
                });
                let nav = is_navigation("GET", Some(b"text/html,*/*;q=0.8"));
                let decision = decide(AuthLevel::Group(4), state, nav);
                if let Some((_, identity)) = &found {
                    if let Some(v) = &identity.username_value {
                        let _ = up.insert_header(name.clone(), v.clone());
                    }
                }
                decision
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench_sessions);
criterion_main!(benches);
