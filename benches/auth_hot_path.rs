//! The per-request auth work that does not touch the session map: find the
//! session cookie in a realistic `Cookie:` header, decide, check the client
//! headers against the spoofing strip list, and the client-IP walk.
//!
//! Run with `cargo bench --bench auth_hot_path`. The session look-up and the
//! header injection are benched next to the session store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse::auth::decision::{decide, is_navigation, UserState};
use gatehouse::auth::spoof::StripList;
use gatehouse::config::model::AuthLevel;
use gatehouse::cookie;
use gatehouse::net::{client_ip, IpList};

/// A browser's Cookie header on a home server: analytics, app cookies, SSO
/// cookies, and ours near the end.
const COOKIE_HEADER: &[u8] = b"_ga=GA1.1.123456789.1700000000; mpt=abcdefABCDEF0123456789; \
Auth=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl; \
tautulli_token_0123456789abcdef=eyJhbGciOiJIUzI1NiJ9.e30.sig; grafana_session=0011223344556677; \
gatehouse_session=Qm9vdHN0cmFwLXRva2VuLTI1Ni1iaXQtcmFuZG9tLXZhbHVl; theme=dark";

/// Header names of a typical browser request.
const REQUEST_HEADERS: [&str; 12] = [
    "host",
    "user-agent",
    "accept",
    "accept-language",
    "accept-encoding",
    "referer",
    "cookie",
    "connection",
    "upgrade-insecure-requests",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "x_webauth_user",
];

fn bench_cookie_and_decision(c: &mut Criterion) {
    let user = UserState {
        group: 4,
        locked: false,
    };
    c.bench_function("cookie_find", |b| {
        b.iter(|| cookie::find(black_box(COOKIE_HEADER), black_box("gatehouse_session")))
    });
    c.bench_function("cookie_find_and_decide", |b| {
        b.iter(|| {
            let token = cookie::find(black_box(COOKIE_HEADER), black_box("gatehouse_session"));
            let state = token.map(|_| user);
            let nav = is_navigation(black_box("GET"), Some(black_box(b"text/html,*/*;q=0.8")));
            decide(black_box(AuthLevel::Group(4)), state, nav)
        })
    });
}

fn bench_strip_list(c: &mut Criterion) {
    let strip = StripList::from_names(["X-WEBAUTH-USER", "X-Grafana-User"]);
    c.bench_function("strip_list_12_headers", |b| {
        b.iter(|| {
            black_box(&REQUEST_HEADERS)
                .iter()
                .filter(|n| strip.should_strip(n))
                .count()
        })
    });
}

fn bench_client_ip(c: &mut Criterion) {
    let trusted = IpList::parse("10.0.0.0/8, 173.245.48.0/20").unwrap_or_default();
    let peer: IpAddr = [10, 0, 0, 2].into();
    c.bench_function("client_ip_two_hops", |b| {
        b.iter(|| {
            client_ip(
                black_box(peer),
                Some(black_box(b"198.51.100.7, 173.245.48.10")),
                trusted.as_slice(),
            )
        })
    });
}

criterion_group!(
    benches,
    bench_cookie_and_decision,
    bench_strip_list,
    bench_client_ip
);
criterion_main!(benches);
