//! Challenge answers: HTTP-01 tokens (read by the proxy for
//! `/.well-known/acme-challenge/TOKEN`), TLS-ALPN-01 certificates (served by
//! the resolver to `acme-tls/1` handshakes), and the DNS-01 hook, run as
//! `HOOK present|cleanup FQDN VALUE` like lego's `exec` provider. With
//! several instances the HTTP-01 and TLS-ALPN-01 answers are also shared
//! through a mirror ([`Http01Mirror`], [`AlpnMirror`]), so the CA may reach
//! any node.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use rustls::sign::CertifiedKey;

/// The path prefix of HTTP-01 requests.
pub const HTTP01_PREFIX: &str = "/.well-known/acme-challenge/";

/// How long the DNS hook may run.
const HOOK_TIMEOUT: Duration = Duration::from_secs(120);

/// Pending HTTP-01 answers: token → key authorization.
#[derive(Debug, Default)]
pub struct Http01Tokens {
    map: DashMap<String, String>,
    /// Several instances (docs/cluster.md): every node answers.
    mirror: std::sync::OnceLock<Arc<dyn Http01Mirror>>,
}

/// What a shared layer does with this node's HTTP-01 answers, so the CA may
/// reach any node (the key authorization is public: the CA reads it over
/// plain HTTP).
pub trait Http01Mirror: Send + Sync + std::fmt::Debug {
    /// Shares an answer; done when the other nodes can give it.
    fn put(&self, token: &str, key_authorization: &str) -> BoxedDone;
    /// Withdraws a shared answer.
    fn remove(&self, token: &str) -> BoxedDone;
}

/// The future a [`Http01Mirror`] returns.
pub type BoxedDone = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl Http01Tokens {
    /// Publishes the answer for `token` (this node only).
    pub fn insert(&self, token: &str, key_authorization: &str) {
        self.map
            .insert(token.to_owned(), key_authorization.to_owned());
    }

    /// Withdraws `token` (this node only).
    pub fn remove(&self, token: &str) {
        self.map.remove(token);
    }

    /// Shares the answers with other nodes from now on; `false` when
    /// already set.
    pub fn set_mirror(&self, mirror: Arc<dyn Http01Mirror>) -> bool {
        self.mirror.set(mirror).is_ok()
    }

    /// [`Self::insert`], and shared before it returns (the CA is told to
    /// look only after this).
    pub async fn publish(&self, token: &str, key_authorization: &str) {
        self.insert(token, key_authorization);
        if let Some(m) = self.mirror.get() {
            m.put(token, key_authorization).await;
        }
    }

    /// [`Self::remove`], here and shared.
    pub async fn withdraw(&self, token: &str) {
        self.remove(token);
        if let Some(m) = self.mirror.get() {
            m.remove(token).await;
        }
    }

    /// The answer to `GET {HTTP01_PREFIX}{token}`: `None` (404) for tokens
    /// that are unknown or hold anything outside `[A-Za-z0-9_-]`.
    pub fn answer(&self, token: &str) -> Option<String> {
        if !valid_token(token) {
            return None;
        }
        self.map.get(token).map(|v| v.value().clone())
    }
}

/// What a shared layer does with this node's TLS-ALPN-01 challenges, so
/// the CA may reach any node: each other node serves a challenge
/// certificate of its own for the same digest.
pub trait AlpnMirror: Send + Sync + std::fmt::Debug {
    /// Shares the challenge of `name`; done when the other nodes serve it
    /// (or a bounded wait ran out).
    fn put(&self, name: &str, digest: [u8; 32]) -> BoxedDone;
    /// Withdraws it.
    fn remove(&self, name: &str) -> BoxedDone;
}

/// This node's TLS-ALPN-01 challenges as the other nodes see them (nothing
/// for a single instance).
#[derive(Debug, Default)]
pub struct AlpnShare {
    mirror: std::sync::OnceLock<Arc<dyn AlpnMirror>>,
}

impl AlpnShare {
    /// Shares the challenges with other nodes from now on; `false` when
    /// already set.
    pub fn set_mirror(&self, mirror: Arc<dyn AlpnMirror>) -> bool {
        self.mirror.set(mirror).is_ok()
    }

    /// Has the other nodes serve the challenge of `name` for `digest`.
    pub async fn publish(&self, name: &str, digest: [u8; 32]) {
        if let Some(m) = self.mirror.get() {
            m.put(name, digest).await;
        }
    }

    /// Has the other nodes stop serving it.
    pub async fn withdraw(&self, name: &str) {
        if let Some(m) = self.mirror.get() {
            m.remove(name).await;
        }
    }
}

/// RFC 8555 §8.3: a token is base64url, `[A-Za-z0-9_-]+`.
pub fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The TLS-ALPN-01 certificate for `name` (RFC 8737): self-signed, the one
/// name as SAN, and the critical acmeIdentifier extension holding the
/// SHA-256 of the key authorization.
pub fn alpn_certificate(name: &str, digest: &[u8]) -> Result<Arc<CertifiedKey>, String> {
    if digest.len() != 32 {
        return Err("key authorization digest must be 32 bytes".to_owned());
    }
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut params =
        rcgen::CertificateParams::new(vec![name.to_owned()]).map_err(|e| e.to_string())?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let loaded = crate::certs::pair::load(cert.pem().as_bytes(), key.serialize_pem().as_bytes())?;
    Ok(loaded.key)
}

/// `_acme-challenge.NAME.` (the wildcard's base name for `*.NAME`).
pub fn dns_fqdn(name: &str) -> String {
    let base = name.strip_prefix("*.").unwrap_or(name);
    format!("_acme-challenge.{base}.")
}

/// Runs `hook action fqdn value`; `Err` with its last stderr line when it
/// fails, times out or cannot be started.
pub async fn run_hook(hook: &Path, action: &str, fqdn: &str, value: &str) -> Result<(), String> {
    let mut cmd = tokio::process::Command::new(hook);
    cmd.arg(action)
        .arg(fqdn)
        .arg(value)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let shown = hook.display();
    let child = cmd
        .spawn()
        .map_err(|e| format!("dns_hook {shown}: cannot run: {e}"))?;
    let out = tokio::time::timeout(HOOK_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("dns_hook {shown} {action}: still running after {HOOK_TIMEOUT:?}"))?
        .map_err(|e| format!("dns_hook {shown} {action}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "dns_hook {shown} {action} {fqdn} failed ({}){}",
        out.status,
        if last.is_empty() {
            String::new()
        } else {
            format!(": {}", last.trim())
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_tokens_only_base64url() {
        let t = Http01Tokens::default();
        t.insert("abc_-XYZ09", "abc_-XYZ09.thumb");
        assert_eq!(t.answer("abc_-XYZ09").as_deref(), Some("abc_-XYZ09.thumb"));
        for bad in [
            "",
            "../etc/passwd",
            "..",
            "a/b",
            "a.b",
            "a%2e",
            "abc_-XYZ09 ",
        ] {
            assert_eq!(t.answer(bad), None, "{bad:?}");
        }
        assert_eq!(t.answer("unknown"), None);
        t.remove("abc_-XYZ09");
        assert_eq!(t.answer("abc_-XYZ09"), None);
    }

    #[test]
    fn test_alpn_certificate_has_the_name() {
        let key = alpn_certificate("a.test", &[7u8; 32]).unwrap();
        let info = crate::certs::info::CertInfo::of(&key.cert[0]).unwrap();
        assert_eq!(info.names, vec!["a.test".to_owned()]);
        assert!(alpn_certificate("a.test", &[1, 2]).is_err());
    }

    #[test]
    fn test_dns_fqdn() {
        assert_eq!(dns_fqdn("a.example.com"), "_acme-challenge.a.example.com.");
        assert_eq!(dns_fqdn("*.example.com"), "_acme-challenge.example.com.");
    }

    #[tokio::test]
    async fn test_run_hook_reports_failure() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join("hook.sh");
        std::fs::write(&hook, "#!/bin/sh\n[ \"$1\" = present ] || { echo \"no $1\" >&2; exit 3; }\necho \"$2 $3\" > \"$(dirname \"$0\")/out\"\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        run_hook(&hook, "present", "_acme-challenge.a.test.", "v4lue")
            .await
            .unwrap();
        let out = std::fs::read_to_string(dir.path().join("out")).unwrap();
        assert_eq!(out.trim(), "_acme-challenge.a.test. v4lue");
        let err = run_hook(&hook, "cleanup", "x.", "v").await.unwrap_err();
        assert!(err.contains("no cleanup"), "{err}");
        let err = run_hook(&dir.path().join("missing"), "present", "x.", "v")
            .await
            .unwrap_err();
        assert!(err.contains("cannot run"), "{err}");
    }
}
