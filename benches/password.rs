//! argon2id password verification at the default cost (m=19456 KiB, t=2,
//! p=1), reported separately from the hot-path benches.
//!
//! It is **slow on purpose**: the cost is what makes a stolen hash expensive
//! to crack, and it is paid once per sign-in, never per request (sessions
//! are looked up by token hash). The gateway bounds how many of these run
//! at once (one per core, `auth::password::Hasher`). Also measured: a
//! verification against a dummy hash for an unknown user, which must cost
//! the same, and an imported bcrypt (cost 10) hash, Organizr's format.
//!
//! Run with `cargo bench --bench password` (needs the `[[bench]]
//! name = "password", harness = false` entry in Cargo.toml).
//! `GATEHOUSE_ARGON2` is ignored here: the defaults are what is measured.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse::auth::password::{PasswordPolicy, Verified};

fn argon2id_verify(c: &mut Criterion) {
    let policy = PasswordPolicy::default();
    let stored = match policy.hash("correct horse battery staple") {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cannot hash: {e}");
            return;
        }
    };
    let dummy = policy.hash("gatehouse-dummy-password").unwrap_or_default();
    let bcrypt = bcrypt::hash("correct horse battery staple", 10).unwrap_or_default();
    let mut g = c.benchmark_group("password");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("argon2id_verify_default_ok", |b| {
        b.iter(|| {
            let v = policy.verify(black_box("correct horse battery staple"), &stored);
            debug_assert!(matches!(v, Verified::Ok { .. }));
            v
        })
    });
    g.bench_function("argon2id_verify_default_mismatch", |b| {
        b.iter(|| policy.verify(black_box("wrong password"), &stored))
    });
    g.bench_function("argon2id_verify_unknown_user_dummy", |b| {
        b.iter(|| policy.verify(black_box("whatever"), &dummy))
    });
    g.bench_function("bcrypt_cost10_verify_imported", |b| {
        b.iter(|| policy.verify(black_box("correct horse battery staple"), &bcrypt))
    });
    g.finish();
}

criterion_group!(benches, argon2id_verify);
criterion_main!(benches);
