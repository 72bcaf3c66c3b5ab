//! Automatic certificates from an ACME CA (RFC 8555), issued and renewed in
//! the background on the certificate thread, never on a proxy worker. The
//! gateway serves from the first second: certificates saved earlier are
//! loaded at start ([`load_stored`]); missing ones are ordered by
//! [`Scheduler::run`], which swaps each new certificate into the live
//! resolver. A failing CA is logged, shown on the debug page and retried
//! with backoff; it never stops the gateway.
//!
//! The account and the certificates live in the store, so every gateway on
//! one store (docs/cluster.md) uses one account and serves the same
//! certificates; a lease in the store lets one node at a time order a name,
//! and the others pick its certificate up from the store. Each node also
//! keeps a copy under `data_dir/acme/` (served from when the store cannot
//! be reached at start).
//!
//! `account` (restore or create), `order` (one certificate), `challenge`
//! (HTTP-01 tokens, TLS-ALPN-01 certificates, the DNS-01 hook), `storage`
//! (`data_dir/acme/`), `schedule` (when to order), `http` (the client).

pub mod account;
pub mod challenge;
pub mod http;
pub mod order;
pub mod schedule;
pub mod storage;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use instant_acme::{Account, CertificateIdentifier};

pub use challenge::{
    alpn_certificate, valid_token, AlpnMirror, AlpnShare, BoxedDone, Http01Mirror, Http01Tokens,
    HTTP01_PREFIX,
};

use crate::certs::info::CertInfo;
use crate::certs::pair::{load_combined, Loaded};
use crate::certs::CertStore;
use crate::config::Acme;
use crate::store::{AcmeCertRow, AcmeLease, Store};
use schedule::{next_try, renewal_due, within_window, Timing};

/// Longest time one order may take, end to end.
const ORDER_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a node holds the right to order a name (an order's longest
/// time and a margin): a node that dies mid-order blocks the others this
/// long at most.
const LEASE: Duration = Duration::from_secs(360);
/// How often a node waiting for another node's order looks again.
const LEASE_POLL: Duration = Duration::from_secs(5);

/// Unix seconds now.
pub(crate) fn now_secs() -> i64 {
    crate::store::secs(crate::clock::now())
}

/// Where ACME keeps what it needs across restarts and shares with other
/// nodes: the store every node opens, this node's `data_dir`, and its name.
#[derive(Debug, Clone)]
pub struct Keep {
    /// The store (the nodes' shared truth: account, certificates, leases).
    pub store: Store,
    /// This node's `data_dir` (its own copy under `acme/`).
    pub data_dir: PathBuf,
    /// `[cluster] node_name` (the host name by default).
    pub node: String,
}

impl Keep {
    /// Who holds a lease: the node and this process.
    fn holder(&self) -> String {
        format!("{}/{}", self.node, std::process::id())
    }
}

/// The newer of two certificates (the later notBefore).
fn newer(a: &CertInfo, b: &CertInfo) -> bool {
    a.not_before > b.not_before
}

/// The store row of a certificate.
fn row_of(name: &str, pem: &str, info: &CertInfo, node: &str) -> AcmeCertRow {
    let secs = |t: SystemTime| i64::try_from(crate::clock::unix(t)).unwrap_or(i64::MAX);
    AcmeCertRow {
        name: name.to_owned(),
        pem: pem.to_owned(),
        issued: secs(info.not_before),
        not_after: secs(info.not_after),
        node: node.to_owned(),
    }
}

/// Loads the certificates of the configured names into `certs` before the
/// listeners open: the newer of the store's and this node's file
/// (`data_dir/acme/certs/`). The other place is brought up to date: a file
/// the store lacks is put in it (certificates ordered before the store
/// kept them), a newer row is written to the file.
pub fn load_stored(acme: &Acme, keep: &Keep, certs: &CertStore) {
    if !acme.enabled {
        return;
    }
    for name in &acme.domains {
        let path = storage::cert_path(&keep.data_dir, name);
        let file = match std::fs::read(&path) {
            Ok(bytes) => match stored(&bytes, name) {
                Ok(loaded) => Some((String::from_utf8_lossy(&bytes).into_owned(), loaded)),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "stored ACME certificate unusable; a new one will be ordered");
                    certs.update_acme_status(name, |s| s.last_error = Some(e));
                    None
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "stored ACME certificate not readable");
                certs.update_acme_status(name, |s| s.last_error = Some(e.to_string()));
                None
            }
        };
        let row = match keep.store.acme_cert(name) {
            Ok(Some(row)) => match stored(row.pem.as_bytes(), name) {
                Ok(loaded) => Some((row, loaded)),
                Err(e) => {
                    tracing::warn!(name = %name, error = %e, "ACME certificate in the store unusable");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(name = %name, error = %e, "ACME certificate not read from the store; using this node's file");
                None
            }
        };
        let loaded = match (file, row) {
            (Some((_, from_file)), Some((row, from_store)))
                if newer(&from_store.info, &from_file.info) =>
            {
                copy_to_file(&path, &row.pem);
                from_store
            }
            (Some((pem, from_file)), row) => {
                if row.is_none_or(|(_, s)| newer(&from_file.info, &s.info)) {
                    let row = row_of(name, &pem, &from_file.info, &keep.node);
                    if let Err(e) = keep.store.save_acme_cert(&row) {
                        tracing::warn!(name = %name, error = %e, "ACME certificate not copied to the store");
                    }
                }
                from_file
            }
            (None, Some((row, from_store))) => {
                copy_to_file(&path, &row.pem);
                from_store
            }
            (None, None) => {
                certs.update_acme_status(name, |_| {});
                continue;
            }
        };
        let (due, warning) = renewal_due(&loaded.info, acme.renew_before);
        tracing::info!(name = %name, valid_until = %rfc3339(loaded.info.not_after), next_renewal = %rfc3339(due), "ACME certificate loaded");
        certs.update_acme_status(name, |s| {
            s.next_renewal = Some(due);
            s.warning = warning;
        });
        certs.install_acme(name, loaded);
    }
}

/// Writes a certificate from the store to this node's file.
fn copy_to_file(path: &Path, pem: &str) {
    if let Err(e) = storage::write_private(path, pem.as_bytes()) {
        tracing::warn!(file = %path.display(), error = %e, "ACME certificate not copied to this node's file");
    }
}

/// A stored file checked: it parses, its key matches, it names `name`.
fn stored(bytes: &[u8], name: &str) -> Result<Loaded, String> {
    let loaded = load_combined(bytes)?;
    if !loaded.info.names.iter().any(|n| n == name) {
        return Err(format!(
            "it is for {} and not for {name}",
            loaded.info.names.join(", ")
        ));
    }
    Ok(loaded)
}

/// RFC 3339 to the second, for logs.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// How long the scheduler waits for the listeners at start.
const LISTEN_WAIT: Duration = Duration::from_secs(30);

/// Waits until every address in `addrs` accepts TCP connections (the proxy
/// opens its listeners a moment after this thread starts, and a CA asked
/// too early would find nobody there).
async fn wait_listening(addrs: &[SocketAddr]) {
    let deadline = tokio::time::Instant::now() + LISTEN_WAIT;
    for addr in addrs {
        let target = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()))
            }
            _ => *addr,
        };
        while tokio::net::TcpStream::connect(target).await.is_err() {
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(listener = %addr, "listener not accepting yet; ordering anyway");
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One name's place in the schedule.
struct Slot {
    name: String,
    /// When the certificate is due (now, when there is none).
    due: SystemTime,
    /// Not before this (backoff after a failure).
    not_before: SystemTime,
    failures: u32,
    /// ARI asked for the current certificate.
    ari_asked: bool,
}

/// The scheduler: runs until the process ends.
pub struct Scheduler {
    acme: Acme,
    keep: Keep,
    store: Arc<CertStore>,
    tokens: Arc<Http01Tokens>,
    alpn: Arc<AlpnShare>,
    timing: Timing,
    retry_after: http::RetryAfter,
    account: Option<Account>,
    /// The credentials of `account`, as stored.
    account_json: Option<String>,
    /// Listeners the CA will connect to: orders wait until they accept.
    listeners: Vec<SocketAddr>,
}

impl Scheduler {
    /// A scheduler for `acme` (its timing from the environment, see [`Timing::from_env`]).
    pub fn new(
        acme: Acme,
        keep: Keep,
        store: Arc<CertStore>,
        tokens: Arc<Http01Tokens>,
        alpn: Arc<AlpnShare>,
        listeners: Vec<SocketAddr>,
    ) -> Scheduler {
        Scheduler {
            acme,
            keep,
            store,
            tokens,
            alpn,
            timing: Timing::from_env(),
            retry_after: http::RetryAfter::default(),
            account: None,
            account_json: None,
            listeners,
        }
    }

    /// Orders and renews for ever.
    pub async fn run(mut self) {
        if !self.acme.enabled {
            return;
        }
        let now = crate::clock::now();
        let mut slots: Vec<Slot> = self
            .acme
            .domains
            .iter()
            .map(|name| Slot {
                name: name.clone(),
                due: self
                    .store
                    .acme_cert(name)
                    .map_or(now, |c| renewal_due(&c.info, self.acme.renew_before).0),
                not_before: now,
                failures: 0,
                ari_asked: false,
            })
            .collect();
        tracing::info!(domains = ?self.acme.domains, directory = %self.acme.directory, challenge = self.acme.challenge.as_str(), "ACME certificates managed");
        self.ask_ari_for_stored(&mut slots).await;
        wait_listening(&self.listeners).await;
        let mut first = true;
        loop {
            let mut orders = 0;
            for slot in slots.iter_mut() {
                // Another node may have renewed it meanwhile.
                self.adopt_shared(slot).await;
                let now = crate::clock::now();
                if now >= slot.due && now >= slot.not_before {
                    orders += 1;
                    self.attempt(slot).await;
                }
            }
            if first {
                first = false;
                tracing::info!(orders, "ACME start-up check done");
            }
            let now = crate::clock::now();
            let next = slots.iter().map(|s| s.due.max(s.not_before)).min();
            let wait = next
                .and_then(|t| t.duration_since(now).ok())
                .unwrap_or_default()
                .clamp(Duration::from_millis(200), self.timing.check);
            tokio::time::sleep(wait).await;
        }
    }

    /// ARI for certificates loaded at start, when an account is on file
    /// (no account is created just for this).
    async fn ask_ari_for_stored(&mut self, slots: &mut [Slot]) {
        let have_certs = slots
            .iter()
            .any(|s| self.store.acme_cert(&s.name).is_some());
        if !have_certs {
            return;
        }
        let path = storage::account_path(&self.keep.data_dir, &self.acme.directory);
        if !path.exists() {
            let directory = self.acme.directory.to_string();
            let found = self
                .keep
                .store
                .call(move |s| s.acme_account(&directory))
                .await;
            if !matches!(found, Ok(Some(_))) {
                return;
            }
        }
        if self.account.is_none() {
            if let Err(e) = self.ensure_account().await {
                tracing::debug!(error = %e, "ACME renewal information not asked (CA unreachable)");
                return;
            }
        }
        for slot in slots.iter_mut() {
            self.ask_ari(slot).await;
        }
    }

    /// Moves `slot.due` into the CA's suggested window, when it has one.
    async fn ask_ari(&mut self, slot: &mut Slot) {
        let (Some(account), Some(cert)) = (&self.account, self.store.acme_cert(&slot.name)) else {
            return;
        };
        if slot.ari_asked {
            return;
        }
        slot.ari_asked = true;
        let Ok(id) = CertificateIdentifier::try_from(&cert.key.cert[0]) else {
            return;
        };
        match account.renewal_info(&id).await {
            Ok((info, _)) => {
                let w = info.suggested_window;
                let at = |t: i64| {
                    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap_or(0))
                };
                let now = crate::clock::now();
                slot.due = within_window(
                    at(w.start.unix_timestamp()),
                    at(w.end.unix_timestamp()),
                    now,
                );
                tracing::info!(name = %slot.name, next_renewal = %rfc3339(slot.due), "ACME renewal window from the CA (ARI)");
                let due = slot.due;
                self.store
                    .update_acme_status(&slot.name, |s| s.next_renewal = Some(due));
            }
            Err(e) => {
                tracing::debug!(name = %slot.name, error = %order::describe(&e), "no ACME renewal information")
            }
        }
    }

    /// Serves the store's certificate for `slot` when it is newer than
    /// this node's (another node ordered it); `true` when it did.
    async fn adopt_shared(&mut self, slot: &mut Slot) -> bool {
        let name = slot.name.clone();
        let row = match self.keep.store.call(move |s| s.acme_cert(&name)).await {
            Ok(Some(row)) => row,
            Ok(None) => return false,
            Err(e) => {
                tracing::debug!(name = %slot.name, error = %e, "ACME certificate not looked up in the store");
                return false;
            }
        };
        let held = self.store.acme_cert(&slot.name);
        if held.is_some_and(|c| crate::store::secs(c.info.not_before) >= row.issued) {
            return false;
        }
        let loaded = match stored(row.pem.as_bytes(), &slot.name) {
            Ok(loaded) => loaded,
            Err(e) => {
                tracing::debug!(name = %slot.name, error = %e, "ACME certificate in the store unusable");
                return false;
            }
        };
        copy_to_file(
            &storage::cert_path(&self.keep.data_dir, &slot.name),
            &row.pem,
        );
        let (due, warning) = renewal_due(&loaded.info, self.acme.renew_before);
        let valid_until = loaded.info.not_after;
        self.store.install_acme(&slot.name, loaded);
        slot.failures = 0;
        slot.due = due;
        slot.not_before = crate::clock::now();
        slot.ari_asked = false;
        self.store.update_acme_status(&slot.name, |s| {
            s.next_renewal = Some(due);
            s.last_error = None;
            s.failures = 0;
            s.warning = warning;
        });
        tracing::info!(name = %slot.name, node = %row.node, valid_until = %rfc3339(valid_until), next_renewal = %rfc3339(due), "ACME certificate from the store in service");
        true
    }

    /// Takes the right to order `slot` until `until`; `Err` with the wait
    /// when another node holds it. A store that cannot be reached does not
    /// stop the order (each node then orders for itself).
    async fn lease(&self, name: &str, until: SystemTime) -> Result<(), SystemTime> {
        let (n, holder) = (name.to_owned(), self.keep.holder());
        let (until, now) = (crate::store::secs(until), now_secs());
        match self
            .keep
            .store
            .call(move |s| s.take_acme_lease(&n, &holder, until, now))
            .await
        {
            Ok(AcmeLease::Taken) => Ok(()),
            Ok(AcmeLease::Held { holder, until }) => {
                let left = Duration::from_secs(u64::try_from(until - now).unwrap_or(0));
                // An order in progress ends soon; a node in backoff after a
                // failure is looked at again at its next try.
                let wait = if left <= LEASE {
                    LEASE_POLL.min(self.timing.check)
                } else {
                    left.min(self.timing.check)
                };
                tracing::info!(name = %name, node = %holder, "ACME: another node is ordering this certificate; waiting for it");
                Err(crate::clock::now() + wait)
            }
            Err(e) => {
                tracing::warn!(name = %name, error = %e, "ACME lease not taken (store unreachable); ordering anyway");
                Ok(())
            }
        }
    }

    /// Gives the lease of `name` up.
    async fn release(&self, name: &str) {
        let (n, holder) = (name.to_owned(), self.keep.holder());
        if let Err(e) = self
            .keep
            .store
            .call(move |s| s.release_acme_lease(&n, &holder))
            .await
        {
            tracing::debug!(name = %name, error = %e, "ACME lease not released (it runs out by itself)");
        }
    }

    /// One try at a certificate for `slot`.
    /// The run loop looked at the store just before (`adopt_shared`).
    async fn attempt(&mut self, slot: &mut Slot) {
        let now = crate::clock::now();
        if let Err(at) = self.lease(&slot.name, now + LEASE).await {
            slot.not_before = at;
            return;
        }
        // A node that finished just before the lease was taken saved its
        // certificate before giving the lease up: look once more.
        if self.adopt_shared(slot).await {
            self.release(&slot.name).await;
            return;
        }
        let attempt = slot.failures + 1;
        self.store
            .update_acme_status(&slot.name, |s| s.last_attempt = Some(now));
        tracing::info!(name = %slot.name, attempt, "ACME: ordering a certificate");
        let result = match self.ensure_account().await {
            Ok(account) => {
                let cx = order::Context {
                    acme: &self.acme,
                    tokens: &self.tokens,
                    store: &self.store,
                    alpn: &self.alpn,
                };
                match tokio::time::timeout(ORDER_TIMEOUT, order::issue(&account, &slot.name, &cx))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => Err(order::OrderError::from(format!(
                        "{}: no answer from the CA within {ORDER_TIMEOUT:?}",
                        slot.name
                    ))),
                }
            }
            Err(message) => Err(order::OrderError {
                message,
                rate_limited: false,
            }),
        };
        match result {
            Ok(issued) => {
                self.issued(slot, issued).await;
                self.release(&slot.name).await;
            }
            Err(e) => {
                self.failed(slot, e).await;
                // The others wait for this node's next try (one node's
                // backoff, not two nodes' failed validations).
                if self.lease(&slot.name, slot.not_before).await.is_err() {
                    tracing::debug!(name = %slot.name, "ACME lease taken over meanwhile");
                }
            }
        }
    }

    async fn ensure_account(&mut self) -> Result<Account, String> {
        if let Some(a) = &self.account {
            return Ok(a.clone());
        }
        let sources = account::Sources {
            acme: &self.acme,
            data_dir: &self.keep.data_dir,
            store: &self.keep.store,
            retry_after: &self.retry_after,
        };
        let ready = account::open(&sources).await?;
        self.account = Some(ready.account.clone());
        self.account_json = Some(ready.credentials);
        Ok(ready.account)
    }

    async fn issued(&mut self, slot: &mut Slot, issued: order::Issued) {
        let name = slot.name.clone();
        let path = storage::cert_path(&self.keep.data_dir, &name);
        if let Err(e) = storage::write_private(&path, issued.pem.as_bytes()) {
            tracing::error!(file = %path.display(), error = %e, "ACME certificate not saved in this node's file");
        }
        let row = row_of(&name, &issued.pem, &issued.loaded.info, &self.keep.node);
        if let Err(e) = self.keep.store.call(move |s| s.save_acme_cert(&row)).await {
            tracing::error!(name = %name, error = %e, "ACME certificate not saved in the store (other nodes order their own)");
        }
        let (due, warning) = renewal_due(&issued.loaded.info, self.acme.renew_before);
        if let Some(w) = &warning {
            tracing::warn!(name = %name, "{w}");
        }
        let valid_until = issued.loaded.info.not_after;
        self.store.install_acme(&name, issued.loaded);
        slot.failures = 0;
        slot.due = due;
        slot.not_before = crate::clock::now() + self.timing.check.min(Duration::from_secs(60));
        slot.ari_asked = false;
        self.store.update_acme_status(&name, |s| {
            s.next_renewal = Some(due);
            s.last_error = None;
            s.failures = 0;
            s.warning = warning;
        });
        tracing::info!(name = %name, valid_until = %rfc3339(valid_until), next_renewal = %rfc3339(due), "ACME certificate issued and in service");
        self.ask_ari(slot).await;
    }

    async fn failed(&mut self, slot: &mut Slot, e: order::OrderError) {
        let now = crate::clock::now();
        slot.failures += 1;
        if e.message.contains("accountDoesNotExist") {
            // The CA forgot the account (a test CA restarted): start afresh.
            self.account = None;
            let path = storage::account_path(&self.keep.data_dir, &self.acme.directory);
            if let Err(err) = storage::set_aside(&path) {
                tracing::warn!(file = %path.display(), error = %err, "unknown ACME account not set aside");
            }
            if let Some(json) = self.account_json.take() {
                let directory = self.acme.directory.to_string();
                let forgot = self
                    .keep
                    .store
                    .call(move |s| s.forget_acme_account(&directory, &json))
                    .await;
                if let Err(err) = forgot {
                    tracing::warn!(error = %err, "unknown ACME account not removed from the store");
                }
            }
        } else if e.message.contains("ACME directory") {
            self.account = None;
        }
        let at = next_try(
            &self.timing,
            slot.failures,
            now,
            self.retry_after.take(),
            e.rate_limited,
        );
        slot.not_before = at;
        let failures = slot.failures;
        self.store.update_acme_status(&slot.name, |s| {
            s.last_error = Some(e.message.clone());
            s.failures = failures;
            s.next_renewal = Some(at);
        });
        let wait = at.duration_since(now).unwrap_or_default();
        tracing::warn!(name = %slot.name, attempt = failures, error = %e.message, retry_in = %humantime::format_duration(Duration::from_secs(wait.as_secs())), "ACME: certificate not obtained");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme_config(data_dir: &Path) -> Acme {
        let text = format!(
            "[server]\nlisten = [\"127.0.0.1:8080\"]\ntls_listen = [\"127.0.0.1:8443\"]\ndata_dir = {:?}\n\
             [acme]\nenabled = true\nemail = \"a@example.com\"\ndomains = [\"a.test\"]\n",
            data_dir.display()
        );
        crate::config::parse(Path::new("t.toml"), &text)
            .unwrap()
            .acme
    }

    fn self_signed(name: &str) -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        format!("{}{}", key.serialize_pem(), cert.pem())
    }

    fn row(pem: &str, issued: i64) -> AcmeCertRow {
        AcmeCertRow {
            name: "a.test".into(),
            pem: pem.into(),
            issued,
            not_after: issued + 1,
            node: "other".into(),
        }
    }

    #[test]
    fn test_load_stored_skips_a_bad_store_row_and_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let keep = Keep {
            store: store.clone(),
            data_dir: dir.path().to_path_buf(),
            node: "n1".into(),
        };
        let acme = acme_config(dir.path());
        // A row that is no certificate, newer than anything: never served.
        store
            .save_acme_cert(&row("not a certificate", i64::MAX / 2))
            .unwrap();
        let certs = CertStore::empty();
        load_stored(&acme, &keep, &certs);
        assert!(certs.acme_cert("a.test").is_none());

        // A good file beside it is served and left as it was.
        let pem = self_signed("a.test");
        let path = storage::cert_path(dir.path(), "a.test");
        storage::write_private(&path, pem.as_bytes()).unwrap();
        load_stored(&acme, &keep, &certs);
        assert!(certs.acme_cert("a.test").is_some());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);

        // A file for another name is refused with the reason on the status.
        let certs = CertStore::empty();
        storage::write_private(&path, self_signed("b.test").as_bytes()).unwrap();
        store.forget_acme_cert("a.test").unwrap();
        load_stored(&acme, &keep, &certs);
        assert!(certs.acme_cert("a.test").is_none());
        let status = certs.acme_status("a.test");
        assert!(
            status
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("not for a.test")),
            "{status:?}"
        );
    }

    #[test]
    fn test_load_stored_copies_a_file_into_an_empty_store_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let keep = Keep {
            store: store.clone(),
            data_dir: dir.path().to_path_buf(),
            node: "n1".into(),
        };
        let acme = acme_config(dir.path());
        let pem = self_signed("a.test");
        let path = storage::cert_path(dir.path(), "a.test");
        storage::write_private(&path, pem.as_bytes()).unwrap();
        load_stored(&acme, &keep, &CertStore::empty());
        let saved = store
            .acme_cert("a.test")
            .unwrap()
            .expect("copied into the store");
        assert_eq!(
            (saved.pem.as_str(), saved.node.as_str()),
            (pem.as_str(), "n1")
        );

        std::fs::remove_file(&path).unwrap();
        let certs = CertStore::empty();
        load_stored(&acme, &keep, &certs);
        assert!(certs.acme_cert("a.test").is_some(), "served from the store");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            pem,
            "file written back"
        );
    }
}
