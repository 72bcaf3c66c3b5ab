//! Where access-log lines go: a `tracing` layer for the `gatehouse::access`
//! target that appends each line to a per-worker-thread buffer, written to
//! stderr when it reaches [`FLUSH_AT`] bytes or every [`FLUSH_EVERY`] by a
//! flusher thread — nginx's `access_log … buffer=32k flush=100ms`. Once that
//! layer's subscriber is the global one, the access log skips the `tracing`
//! event and appends its line with [`append_line`] (same prefix, same text).
//!
//! One `write(2)` per request and tracing's generic formatter were the
//! largest part of the gateway's own per-request work (benches/README.md).
//! Each buffer has its own lock, taken by its worker per line and by the
//! flusher ten times a second: no lock is shared between workers. Once the
//! server starts stopping, [`write_through`] makes every line go out at
//! once, so a stop loses nothing.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The `tracing` target of access-log lines.
pub const TARGET: &str = "gatehouse::access";
/// A buffer this full is written by the worker that filled it.
pub const FLUSH_AT: usize = 32 * 1024;
/// How often the flusher writes whatever the buffers hold.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

type Shared = Arc<Mutex<Vec<u8>>>;

/// Every thread's buffer, for the flusher (locked once per new thread and
/// once per flush).
static BUFFERS: Mutex<Vec<Shared>> = Mutex::new(Vec::new());
static WRITE_THROUGH: AtomicBool = AtomicBool::new(false);
/// Set once the gateway's own subscriber (with [`AccessLayer`]) is the
/// global one: access lines may then skip `tracing` (see [`append_line`]).
static DIRECT: AtomicBool = AtomicBool::new(false);
static FLUSHER: Once = Once::new();

thread_local! {
    static LOCAL: Shared = register();
    static CLOCK: std::cell::Cell<(u64, [u8; 19])> = const { std::cell::Cell::new((u64::MAX, [0; 19])) };
}

fn register() -> Shared {
    let shared: Shared = Arc::new(Mutex::new(Vec::with_capacity(FLUSH_AT + 1024)));
    lock(&BUFFERS).push(shared.clone());
    shared
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a log buffer leaves bytes, not broken state.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The layer that formats access lines into the buffers. Install it with a
/// filter on [`TARGET`]; it starts the flusher thread.
#[derive(Debug, Default)]
pub struct AccessLayer;

impl AccessLayer {
    pub fn new() -> Self {
        FLUSHER.call_once(|| {
            let started = std::thread::Builder::new()
                .name("gatehouse-log".into())
                .spawn(flusher);
            if let Err(e) = started {
                // Without a flusher, lines would wait for a full buffer.
                WRITE_THROUGH.store(true, Ordering::SeqCst);
                eprintln!("gatehouse: access log flusher not started ({e}); writing each line");
            }
        });
        AccessLayer
    }
}

impl<S: Subscriber> Layer<S> for AccessLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        append_line(crate::clock::now(), |out| event.record(&mut Message(out)));
    }
}

/// Called once the subscriber holding [`AccessLayer`] is installed as the
/// global default.
pub fn enable_direct() {
    DIRECT.store(true, Ordering::Release);
}

/// Whether access lines may be appended with [`append_line`] directly:
/// the layer that would receive their events is this module's.
pub fn direct() -> bool {
    DIRECT.load(Ordering::Acquire)
}

/// Appends one access line (the prefix for `now`, what `body` writes, a
/// newline) to this thread's buffer: what [`AccessLayer`] does for an
/// event, without building and visiting one.
pub fn append_line(now: SystemTime, body: impl FnOnce(&mut Vec<u8>)) {
    append(|out| {
        push_prefix(out, now);
        body(out);
        out.push(b'\n');
    });
}

/// Writes the buffers out every [`FLUSH_EVERY`], for the life of the process.
#[allow(clippy::disallowed_methods)] // a periodic timer, not a wait for a condition
fn flusher() {
    loop {
        std::thread::sleep(FLUSH_EVERY);
        flush_all(&mut std::io::stderr());
    }
}

/// Appends one line to this thread's buffer and writes the buffer out when
/// it is full or the server is stopping.
fn append(line: impl FnOnce(&mut Vec<u8>)) {
    let mut line = Some(line);
    let done = LOCAL.try_with(|shared| {
        let mut buf = lock(shared);
        if let Some(f) = line.take() {
            f(&mut buf);
        }
        if buf.len() >= FLUSH_AT || WRITE_THROUGH.load(Ordering::SeqCst) {
            write_out(&mut buf, &mut std::io::stderr());
        }
    });
    // The thread is exiting and its buffer is gone: write this line alone.
    if let (Err(_), Some(f)) = (done, line) {
        let mut buf = Vec::with_capacity(256);
        f(&mut buf);
        write_out(&mut buf, &mut std::io::stderr());
    }
}

fn write_out(buf: &mut Vec<u8>, sink: &mut impl Write) {
    if !buf.is_empty() {
        // Nowhere to report a failing stderr; the bytes are dropped.
        let _ = sink.write_all(buf);
        let _ = sink.flush();
        buf.clear();
    }
}

/// Writes every thread's buffered lines to `sink`.
pub fn flush_all(sink: &mut impl Write) {
    let buffers: Vec<Shared> = lock(&BUFFERS).clone();
    for shared in &buffers {
        write_out(&mut lock(shared), sink);
    }
}

/// From now on every line is written at once; what is buffered is written
/// now. Called when the server starts stopping.
pub fn write_through() {
    WRITE_THROUGH.store(true, Ordering::SeqCst);
    flush_all(&mut std::io::stderr());
}

/// `2026-11-28T17:15:38.123456Z  INFO gatehouse::access: ` — the same prefix
/// as tracing's default formatter, so every stderr line looks alike.
fn push_prefix(out: &mut Vec<u8>, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let date = CLOCK
        .try_with(|c| {
            let (cached, text) = c.get();
            if cached == secs {
                text
            } else {
                let text = civil_seconds(secs);
                c.set((secs, text));
                text
            }
        })
        .unwrap_or_else(|_| civil_seconds(secs));
    out.extend_from_slice(&date);
    // `.{:06}Z  INFO gatehouse::access: `, without `core::fmt`.
    let mut micros = since.subsec_micros();
    let mut frac = *b".000000";
    for d in frac[1..].iter_mut().rev() {
        *d = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    out.extend_from_slice(&frac);
    out.extend_from_slice(b"Z  INFO ");
    out.extend_from_slice(TARGET.as_bytes());
    out.extend_from_slice(b": ");
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) for seconds since the epoch.
fn civil_seconds(secs: u64) -> [u8; 19] {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let mut text = [0u8; 19];
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    let _ = write!(
        cursor,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    text
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (y, m, d).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Writes an event's message (and any other fields as ` key=value`).
struct Message<'a>(&'a mut Vec<u8>);

impl Visit for Message<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // `fmt::Arguments`' Debug is its Display: the line as formatted.
        let _ = if field.name() == "message" {
            write!(self.0, "{value:?}")
        } else {
            write!(self.0, " {}={value:?}", field.name())
        };
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = if field.name() == "message" {
            self.0.write_all(value.as_bytes())
        } else {
            write!(self.0, " {}={value}", field.name())
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_civil_seconds_known_instants() {
        assert_eq!(&civil_seconds(0), b"1970-01-01T00:00:00");
        assert_eq!(&civil_seconds(951_782_400), b"2000-02-29T00:00:00");
        assert_eq!(&civil_seconds(1_795_887_338), b"2026-11-28T17:35:38");
        assert_eq!(&civil_seconds(4_107_542_399), b"2100-02-28T23:59:59");
    }

    #[test]
    fn test_prefix_matches_tracing_default_format() {
        let mut out = Vec::new();
        push_prefix(&mut out, UNIX_EPOCH + Duration::new(1_795_887_338, 42_000));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-28T17:35:38.000042Z  INFO gatehouse::access: "
        );
    }

    #[test]
    fn test_buffered_lines_reach_the_sink_on_flush() {
        append(|out| out.extend_from_slice(b"first line\n"));
        append(|out| out.extend_from_slice(b"second line\n"));
        let mut sink = Vec::new();
        flush_all(&mut sink);
        let text = String::from_utf8(sink).unwrap();
        // Other tests' threads may have buffered lines too; ours are in order.
        let first = text.find("first line\n").unwrap();
        let second = text.find("second line\n").unwrap();
        assert!(first < second, "{text}");
        let mut again = Vec::new();
        flush_all(&mut again);
        assert!(!String::from_utf8(again).unwrap().contains("first line"));
    }
}
