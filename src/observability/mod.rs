//! Logging: `tracing` to stderr, with Pingora's `log` lines bridged in.
//! `RUST_LOG` filters as usual (default `info`). Access lines (target
//! `gatehouse::access`) go through [`buffer`]; every other
//! event through tracing's formatter, written at once.

use std::io::IsTerminal;

use tracing_log::AsLog;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

pub mod access_log;
pub mod buffer;
pub mod metrics;

use buffer::{AccessLayer, TARGET};

/// Installs the subscriber once; later calls do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Pingora logs through `log`: tell `log` the most verbose level any
    // directive enables, so its debug!/trace! calls on the hot path stop at a
    // static check instead of reaching the bridge (benches/README.md).
    let most = filter
        .max_level_hint()
        .unwrap_or(tracing::level_filters::LevelFilter::TRACE);
    let _ = tracing_log::LogTracer::builder()
        .with_max_level(most.as_log())
        .init();
    let events = tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_filter(filter_fn(|meta| meta.target() != TARGET));
    let access = AccessLayer::new().with_filter(filter_fn(|meta| meta.target() == TARGET));
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(events)
        .with(access);
    // Not `try_init`: that also installs a `log` bridge, already done above
    // with its level, and reports that second install as a failure.
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        // Access lines can go to the buffer without a `tracing` event.
        buffer::enable_direct();
    }
}
