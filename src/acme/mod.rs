//! Automatic certificates from an ACME CA (RFC 8555), issued and renewed in
//! the background on the certificate thread, never on a proxy worker. The
//! gateway serves from the first second: certificates saved earlier are
//! loaded at start ([`load_stored`]); missing ones are ordered by [`run`],
//! which swaps each new certificate into the live resolver. A failing CA is
//! logged, shown on the debug page and retried with backoff; it never stops
//! the gateway.
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

pub use challenge::{valid_token, BoxedDone, Http01Mirror, Http01Tokens, HTTP01_PREFIX};

use crate::certs::pair::{load_combined, Loaded};
use crate::certs::CertStore;
use crate::config::Acme;
use schedule::{next_try, renewal_due, within_window, Timing};

/// Longest time one order may take, end to end.
const ORDER_TIMEOUT: Duration = Duration::from_secs(300);

/// Loads the certificates saved under `data_dir/acme/certs/` for the
/// configured names into `store` (before the listeners open).
pub fn load_stored(acme: &Acme, data_dir: &Path, store: &CertStore) {
    if !acme.enabled {
        return;
    }
    for name in &acme.domains {
        let path = storage::cert_path(data_dir, name);
        match std::fs::read(&path) {
            Ok(bytes) => match stored(&bytes, name) {
                Ok(loaded) => {
                    let (due, warning) = renewal_due(&loaded.info, acme.renew_before);
                    tracing::info!(name = %name, valid_until = %rfc3339(loaded.info.not_after), next_renewal = %rfc3339(due), "ACME certificate loaded");
                    store.update_acme_status(name, |s| {
                        s.next_renewal = Some(due);
                        s.warning = warning;
                    });
                    store.install_acme(name, loaded);
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "stored ACME certificate unusable; a new one will be ordered");
                    store.update_acme_status(name, |s| s.last_error = Some(e));
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                store.update_acme_status(name, |_| {});
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "stored ACME certificate not readable");
                store.update_acme_status(name, |s| s.last_error = Some(e.to_string()));
            }
        }
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
    data_dir: PathBuf,
    store: Arc<CertStore>,
    tokens: Arc<Http01Tokens>,
    timing: Timing,
    retry_after: http::RetryAfter,
    account: Option<Account>,
    /// Listeners the CA will connect to: orders wait until they accept.
    listeners: Vec<SocketAddr>,
}

impl Scheduler {
    /// A scheduler for `acme` (its timing from the environment, see [`Timing::from_env`]).
    pub fn new(
        acme: Acme,
        data_dir: PathBuf,
        store: Arc<CertStore>,
        tokens: Arc<Http01Tokens>,
        listeners: Vec<SocketAddr>,
    ) -> Scheduler {
        Scheduler {
            acme,
            data_dir,
            store,
            tokens,
            timing: Timing::from_env(),
            retry_after: http::RetryAfter::default(),
            account: None,
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
        let path = storage::account_path(&self.data_dir, &self.acme.directory);
        if !have_certs || !path.exists() {
            return;
        }
        if self.account.is_none() {
            match account::open(&self.acme, &self.data_dir, &self.retry_after).await {
                Ok(ready) => self.account = Some(ready.account),
                Err(e) => {
                    tracing::debug!(error = %e, "ACME renewal information not asked (CA unreachable)");
                    return;
                }
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

    /// One try at a certificate for `slot`.
    async fn attempt(&mut self, slot: &mut Slot) {
        let now = crate::clock::now();
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
            Ok(issued) => self.issued(slot, issued).await,
            Err(e) => self.failed(slot, e),
        }
    }

    async fn ensure_account(&mut self) -> Result<Account, String> {
        if let Some(a) = &self.account {
            return Ok(a.clone());
        }
        let ready = account::open(&self.acme, &self.data_dir, &self.retry_after).await?;
        self.account = Some(ready.account.clone());
        Ok(ready.account)
    }

    async fn issued(&mut self, slot: &mut Slot, issued: order::Issued) {
        let name = slot.name.clone();
        let path = storage::cert_path(&self.data_dir, &name);
        if let Err(e) = storage::write_private(&path, issued.pem.as_bytes()) {
            tracing::error!(file = %path.display(), error = %e, "ACME certificate not saved (served until the next restart only)");
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

    fn failed(&mut self, slot: &mut Slot, e: order::OrderError) {
        let now = crate::clock::now();
        slot.failures += 1;
        if e.message.contains("accountDoesNotExist") {
            // The CA forgot the account (a test CA restarted): start afresh.
            self.account = None;
            let path = storage::account_path(&self.data_dir, &self.acme.directory);
            if let Err(err) = storage::set_aside(&path) {
                tracing::warn!(file = %path.display(), error = %err, "unknown ACME account not set aside");
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
