//! `gatehouse reload` and `gatehouse upgrade`: signal the running gateway,
//! found through `data_dir/gatehouse.pid` (docs/operations.md).
//!
//! - reload: the file was just validated (else the command stops before
//!   this); SIGHUP makes the gateway re-read it.
//! - upgrade: start this binary with `run --upgrade`, wait until it waits on
//!   the upgrade socket, SIGQUIT the old process (it hands over its
//!   listening sockets, stops accepting and exits once its requests are
//!   done), then wait until the new process serves and the old one is gone.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::app::pidfile;
use crate::config::Config;

/// How long the new process may take to reach the upgrade socket, and then
/// to serve (it opens the store and loads the sessions).
const START_WAIT: Duration = Duration::from_secs(30);
/// Beyond `drain_timeout`: Pingora's own 5 s of overlap plus a margin.
const EXIT_MARGIN: Duration = Duration::from_secs(15);
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    match kill(Pid::from_raw(raw), None) {
        Ok(()) | Err(Errno::EPERM) => {}
        Err(_) => return false,
    }
    // A zombie still answers kill(0): it has exited.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => true,
    }
}

/// The running gateway's pid, checked: a stale or foreign pid file is an
/// error naming the file.
pub fn running_pid(config: &Config) -> Result<u32, String> {
    let data_dir = &config.server.data_dir;
    let pid = pidfile::read(data_dir).map_err(|e| e.to_string())?;
    let file = pidfile::path(data_dir);
    if !alive(pid) {
        return Err(format!(
            "{}: stale pid file: process {pid} is not running (start the gateway; the file is replaced at start)",
            file.display()
        ));
    }
    if let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        if !comm.trim().starts_with("gatehouse") {
            return Err(format!(
                "{}: stale pid file: process {pid} is {:?}, not gatehouse",
                file.display(),
                comm.trim()
            ));
        }
    }
    Ok(pid)
}

fn signal(pid: u32, sig: Signal) -> Result<(), String> {
    let raw = i32::try_from(pid).map_err(|_| format!("bad pid {pid}"))?;
    kill(Pid::from_raw(raw), sig).map_err(|e| format!("cannot signal process {pid}: {e}"))
}

/// `gatehouse reload`.
pub fn reload(config: &Config) -> Result<(), String> {
    let pid = running_pid(config)?;
    signal(pid, Signal::SIGHUP)?;
    println!(
        "{}: valid; sent SIGHUP to gatehouse (pid {pid}): the result is in its log (target gatehouse::reload)",
        config.path.display()
    );
    Ok(())
}

/// Polls `done` until it holds or `within` passed.
#[allow(clippy::disallowed_methods)] // A poll with a deadline, in a CLI command.
fn wait_until(
    within: Duration,
    mut done: impl FnMut() -> Result<bool, String>,
) -> Result<bool, String> {
    let deadline = Instant::now() + within;
    loop {
        if done()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(POLL_EVERY);
    }
}

/// `gatehouse upgrade`.
pub fn upgrade(config: &Config, path: &Path) -> Result<(), String> {
    let old = running_pid(config)?;
    let data_dir = &config.server.data_dir;
    let socket = crate::proxy::upgrade_socket(data_dir);
    match std::fs::remove_file(&socket) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: cannot remove: {e}", socket.display())),
    }
    let exe = std::env::current_exe().map_err(|e| format!("this binary's path: {e}"))?;
    let mut child = Command::new(&exe)
        .arg("-c")
        .arg(path)
        .arg("run")
        .arg("--upgrade")
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let new = child.id();
    let mut exited = |what: &str| -> Result<bool, String> {
        match child.try_wait() {
            Ok(Some(status)) => Err(format!(
                "the new process exited {what} ({status}); the old one (pid {old}) still serves"
            )),
            Ok(None) => Ok(false),
            Err(e) => Err(format!("cannot watch the new process: {e}")),
        }
    };
    let waiting = wait_until(START_WAIT, || {
        Ok(!exited("before it reached the upgrade socket")? && socket.exists())
    })?;
    if !waiting {
        let _ = signal(new, Signal::SIGINT);
        return Err(format!(
            "the new process (pid {new}) did not open {} within {START_WAIT:?}; stopped it, the old one (pid {old}) still serves",
            socket.display()
        ));
    }
    signal(old, Signal::SIGQUIT)?;
    let serving = wait_until(START_WAIT, || {
        Ok(!exited("while taking over")? && pidfile::read(data_dir).ok() == Some(new))
    })?;
    if !serving {
        return Err(format!(
            "the new process (pid {new}) did not start serving within {START_WAIT:?} (see its log)"
        ));
    }
    println!("gatehouse upgraded: pid {new} serves; pid {old} drains its requests and exits");
    let drain = config.server.drain_timeout + EXIT_MARGIN;
    if wait_until(drain, || Ok(!alive(old)))? {
        println!("pid {old} exited");
        Ok(())
    } else {
        Err(format!("pid {old} still runs {drain:?} after SIGQUIT"))
    }
}
