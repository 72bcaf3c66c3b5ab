//! A certificate chain and its private key, checked and ready to serve: the
//! PEM parses, the key is one rustls can sign with, the key belongs to the
//! leaf, and the chain is in serving order.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;

use super::info::{order_chain, CertInfo};
use super::pem;

/// A pair that passed every check.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What rustls serves.
    pub key: Arc<CertifiedKey>,
    /// The leaf's names, issuer and validity.
    pub info: CertInfo,
    /// A note for the log when the chain had to be reordered or trimmed.
    pub note: Option<String>,
}

/// The crypto provider every certificate is loaded with (ring, as Pingora's).
pub fn provider() -> Arc<CryptoProvider> {
    match CryptoProvider::get_default() {
        Some(p) => p.clone(),
        None => Arc::new(rustls::crypto::ring::default_provider()),
    }
}

/// Checks `chain_pem` (leaf and intermediates, any order) against `key_pem`.
pub fn load(chain_pem: &[u8], key_pem: &[u8]) -> Result<Loaded, String> {
    let certs = pem::certificates(chain_pem)?;
    if certs.is_empty() {
        return Err("no PEM certificate found".to_owned());
    }
    let key_der = pem::private_key(key_pem)?;
    let signing = provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| format!("unsupported private key: {e}"))?;
    let spki = signing
        .public_key()
        .ok_or_else(|| "cannot read the private key's public half".to_owned())?;
    let ordered = order_chain(certs, spki.as_ref())?;
    let info = CertInfo::of(&ordered.chain[0])?;
    let note = ordered.changed.then(|| {
        if ordered.dropped > 0 {
            format!(
                "chain reordered leaf-first; {} unrelated certificate(s) left out",
                ordered.dropped
            )
        } else {
            "chain was not leaf-first: reordered".to_owned()
        }
    });
    Ok(Loaded {
        key: Arc::new(CertifiedKey::new(ordered.chain, signing)),
        info,
        note,
    })
}

/// Loads one PEM text holding both the key and the chain (Gatehouse's own
/// ACME store writes them together so one rename replaces both).
pub fn load_combined(pem_text: &[u8]) -> Result<Loaded, String> {
    load(pem_text, pem_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn test_load_good_pair() {
        let (cert, key) = self_signed("a.test");
        let l = load(cert.as_bytes(), key.as_bytes()).unwrap();
        assert_eq!(l.info.names, vec!["a.test".to_owned()]);
        assert!(l.note.is_none());
        let combined = format!("{key}{cert}");
        assert!(load_combined(combined.as_bytes()).is_ok());
    }

    #[test]
    fn test_load_refuses_mismatch_and_garbage() {
        let (cert, _) = self_signed("a.test");
        let (_, other_key) = self_signed("b.test");
        let err = load(cert.as_bytes(), other_key.as_bytes()).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
        let err = load(b"garbage", other_key.as_bytes()).unwrap_err();
        assert!(err.contains("no PEM certificate"), "{err}");
        let err = load(cert.as_bytes(), b"garbage").unwrap_err();
        assert!(err.contains("private key"), "{err}");
    }
}
