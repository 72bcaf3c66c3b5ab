//! The certificate store: what `certs_dir` holds (polled), what the ACME
//! client obtained, and the TLS-ALPN-01 challenge certificates, merged into
//! the [`Resolver`]'s live set. Writers (the poller, the ACME task) take a
//! mutex and swap a whole new set in; handshakes only load an `ArcSwap`, so
//! a renewal reaches the next handshake without a lock on that path and
//! without touching open connections.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::dir::{fingerprint, scan, Fingerprint, PairSource};
use super::pair::{load, Loaded};
use super::set::CertSet;

/// The ALPN protocol of TLS-ALPN-01 (RFC 8737).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Polls in a row that must miss a pair's files before it is dropped (certbot
/// relinks `live/` files one after the other; a poll may fall in between).
const MISSING_POLLS: u8 = 2;

/// Why the certificate directory could not be used at start.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("{0}: cannot read certificate directory: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error("{0}: no usable certificate (need NAME.crt + NAME.key, certbot's live/NAME/, or [acme] enabled)")]
    Empty(PathBuf),
}

/// The rustls certificate resolver of every TLS listener.
#[derive(Debug, Default)]
pub struct Resolver {
    live: ArcSwap<CertSet>,
    alpn: ArcSwap<HashMap<String, Arc<CertifiedKey>>>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let sni = hello.server_name();
        let challenge = hello.alpn().is_some_and(|mut protocols| {
            let mut offered = 0;
            protocols.all(|p| {
                offered += 1;
                p == ACME_TLS_ALPN
            }) && offered > 0
        });
        if challenge {
            // A CA validating tls-alpn-01: only a challenge certificate will do.
            return sni.and_then(|name| self.alpn.load().get(name).cloned());
        }
        self.live.load().get(sni)
    }
}

/// The ACME side of one certificate, for the debug page.
#[derive(Debug, Clone, Default)]
pub struct AcmeStatus {
    /// When it is renewed next (or retried, after a failure).
    pub next_renewal: Option<SystemTime>,
    /// When the last order started.
    pub last_attempt: Option<SystemTime>,
    /// The last failure, until a success clears it.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub failures: u32,
    /// Something to fix that is not an error (e.g. renew_before too long).
    pub warning: Option<String>,
}

/// One line of the debug page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CertRow {
    /// `acme`, `certs_dir` or `certbot`.
    pub source: &'static str,
    /// File or ACME name it came from.
    pub origin: String,
    /// Names it is served for.
    pub names: Vec<String>,
    /// Issuer's distinguished name (empty until a certificate exists).
    pub issuer: String,
    /// Expiry, Unix seconds.
    pub not_after: Option<u64>,
    /// Next renewal or retry (ACME only), Unix seconds.
    pub next_renewal: Option<u64>,
    /// The last error (refused file, failed order).
    pub last_error: Option<String>,
    /// A configuration note (e.g. renew_before too long).
    pub warning: Option<String>,
}

#[derive(Debug)]
struct DirEntry {
    print: Option<Fingerprint>,
    loaded: Option<Loaded>,
    error: Option<String>,
    missing: u8,
}

#[derive(Debug, Default)]
struct State {
    dir: BTreeMap<PairSource, DirEntry>,
    acme: BTreeMap<String, Loaded>,
    acme_status: BTreeMap<String, AcmeStatus>,
    alpn: HashMap<String, Arc<CertifiedKey>>,
    dir_error: Option<String>,
}

/// All certificates, and the resolver that serves them.
#[derive(Debug)]
pub struct CertStore {
    resolver: Arc<Resolver>,
    certs_dir: PathBuf,
    state: Mutex<State>,
}

impl CertStore {
    /// Loads `certs_dir`. With `acme` false, the directory must be readable
    /// and hold at least one usable pair (the TLS listeners would have
    /// nothing to serve otherwise).
    pub fn open(certs_dir: &Path, acme: bool) -> Result<CertStore, CertError> {
        let store = CertStore {
            resolver: Arc::new(Resolver::default()),
            certs_dir: certs_dir.to_path_buf(),
            state: Mutex::new(State::default()),
        };
        if let Err(e) = scan(certs_dir) {
            if !acme {
                return Err(CertError::Dir(certs_dir.to_path_buf(), e));
            }
        }
        store.poll_dir();
        if !acme && store.resolver.live.load().is_empty() {
            return Err(CertError::Empty(certs_dir.to_path_buf()));
        }
        Ok(store)
    }

    /// A store with no directory (tests, benches, a gateway without TLS).
    pub fn empty() -> CertStore {
        CertStore {
            resolver: Arc::new(Resolver::default()),
            certs_dir: PathBuf::new(),
            state: Mutex::new(State::default()),
        }
    }

    /// The resolver for the TLS listeners.
    pub fn resolver(&self) -> Arc<Resolver> {
        self.resolver.clone()
    }

    /// Every name served now.
    pub fn served_names(&self) -> Vec<String> {
        self.resolver.live.load().names()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the pairs of `certs_dir` that changed since the last poll. A
    /// pair that fails to load is logged and its previous version stays in
    /// service. Returns whether the served set changed.
    pub fn poll_dir(&self) -> bool {
        if self.certs_dir.as_os_str().is_empty() {
            return false;
        }
        let mut state = self.lock();
        let sources = match scan(&self.certs_dir) {
            Ok(s) => {
                state.dir_error = None;
                s
            }
            Err(e) => {
                let msg = e.to_string();
                if state.dir_error.as_deref() != Some(msg.as_str()) {
                    tracing::warn!(dir = %self.certs_dir.display(), error = %msg, "certs_dir not readable; certificates already loaded stay in service");
                    state.dir_error = Some(msg);
                }
                return false;
            }
        };
        let mut changed = false;
        for source in &sources {
            let print = fingerprint(source);
            let entry = state.dir.entry(source.clone()).or_insert(DirEntry {
                print: None,
                loaded: None,
                error: None,
                missing: 0,
            });
            entry.missing = 0;
            if print.is_none() || print == entry.print {
                continue;
            }
            entry.print = print;
            changed |= reload(source, entry);
        }
        let gone: Vec<PairSource> = state
            .dir
            .iter_mut()
            .filter(|(s, _)| !sources.contains(s))
            .filter_map(|(s, e)| {
                e.missing += 1;
                (e.missing >= MISSING_POLLS).then(|| s.clone())
            })
            .collect();
        for source in gone {
            tracing::info!(file = %source.cert().display(), "certificate files removed; no longer served");
            state.dir.remove(&source);
            changed = true;
        }
        if changed {
            self.publish(&state);
        }
        changed
    }

    /// Serves `loaded` for ACME name `name` (replacing an older one).
    pub fn install_acme(&self, name: &str, loaded: Loaded) {
        let mut state = self.lock();
        state.acme.insert(name.to_owned(), loaded);
        self.publish(&state);
    }

    /// The ACME certificate held for `name`.
    pub fn acme_cert(&self, name: &str) -> Option<Loaded> {
        self.lock().acme.get(name).cloned()
    }

    /// Sets (or with `None` removes) the TLS-ALPN-01 challenge certificate for `name`.
    pub fn set_alpn_challenge(&self, name: &str, key: Option<Arc<CertifiedKey>>) {
        let mut state = self.lock();
        match key {
            Some(k) => state.alpn.insert(name.to_owned(), k),
            None => state.alpn.remove(name),
        };
        self.resolver.alpn.store(Arc::new(state.alpn.clone()));
    }

    /// Updates the ACME status of `name`.
    pub fn update_acme_status(&self, name: &str, update: impl FnOnce(&mut AcmeStatus)) {
        let mut state = self.lock();
        update(state.acme_status.entry(name.to_owned()).or_default());
    }

    /// The ACME status of `name`.
    pub fn acme_status(&self, name: &str) -> AcmeStatus {
        self.lock()
            .acme_status
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// Every certificate with where it came from, for the debug page.
    pub fn report(&self) -> Vec<CertRow> {
        let state = self.lock();
        let mut rows = Vec::new();
        for (name, status) in &state.acme_status {
            let cert = state.acme.get(name);
            rows.push(CertRow {
                source: "acme",
                origin: name.clone(),
                names: cert.map_or_else(|| vec![name.clone()], |c| c.info.names.clone()),
                issuer: cert.map(|c| c.info.issuer.clone()).unwrap_or_default(),
                not_after: cert.map(|c| crate::clock::unix(c.info.not_after)),
                next_renewal: status.next_renewal.map(crate::clock::unix),
                last_error: status.last_error.clone(),
                warning: status.warning.clone(),
            });
        }
        for (source, entry) in &state.dir {
            let (kind, origin) = match source {
                PairSource::Flat { cert, .. } => ("certs_dir", cert.display().to_string()),
                PairSource::Certbot { lineage, .. } => ("certbot", format!("live/{lineage}")),
            };
            rows.push(CertRow {
                source: kind,
                origin,
                names: entry
                    .loaded
                    .as_ref()
                    .map(|l| serving_names(source, l))
                    .unwrap_or_default(),
                issuer: entry
                    .loaded
                    .as_ref()
                    .map(|l| l.info.issuer.clone())
                    .unwrap_or_default(),
                not_after: entry
                    .loaded
                    .as_ref()
                    .map(|l| crate::clock::unix(l.info.not_after)),
                next_renewal: None,
                last_error: entry.error.clone(),
                warning: None,
            });
        }
        rows
    }

    /// Builds the served set from every source and swaps it in: certbot
    /// lineages, then `NAME.crt` pairs, then ACME certificates (a later
    /// source wins for the same name).
    fn publish(&self, state: &State) {
        let mut set = CertSet::default();
        let dir = state
            .dir
            .iter()
            .filter_map(|(s, e)| Some((s, e.loaded.as_ref()?)));
        let (certbot, flat): (Vec<_>, Vec<_>) =
            dir.partition(|(s, _)| matches!(s, PairSource::Certbot { .. }));
        for (source, loaded) in certbot.into_iter().chain(flat) {
            for name in serving_names(source, loaded) {
                set.insert(&name, loaded.key.clone());
            }
        }
        for (name, loaded) in &state.acme {
            set.insert(name, loaded.key.clone());
        }
        self.resolver.live.store(Arc::new(set));
    }
}

/// The names a directory pair serves: its file name, or (certbot) its SANs.
fn serving_names(source: &PairSource, loaded: &Loaded) -> Vec<String> {
    match source.flat_name() {
        Some(name) => vec![name],
        None => loaded.info.names.clone(),
    }
}

/// Loads the files of `source` into `entry`; `true` when what is served changed.
fn reload(source: &PairSource, entry: &mut DirEntry) -> bool {
    let file = source.cert().display().to_string();
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let result = read(source.cert())
        .and_then(|cert| Ok((cert, read(source.key())?)))
        .and_then(|(cert, key)| load(&cert, &key));
    match result {
        Ok(loaded) => {
            if let Some(note) = &loaded.note {
                tracing::warn!(file = %file, "{note}");
            }
            let names = serving_names(source, &loaded).join(", ");
            let verb = if entry.loaded.is_some() {
                "reloaded"
            } else {
                "loaded"
            };
            tracing::info!(file = %file, names = %names, "certificate {verb}");
            entry.loaded = Some(loaded);
            entry.error = None;
            true
        }
        Err(reason) => {
            let kept = if entry.loaded.is_some() {
                "the previous one stays in service"
            } else {
                "not served"
            };
            tracing::error!(file = %file, error = %reason, "certificate refused; {kept}");
            entry.error = Some(reason);
            false
        }
    }
}
