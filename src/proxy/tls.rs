//! TLS certificates chosen by SNI from `certs_dir`: `NAME.crt` + `NAME.key`
//! PEM pairs serve the host `NAME`; `default.crt` serves everything else.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pingora::tls::sign::CertifiedKey;
use pingora::tls::{ClientHello, CryptoProvider, ResolvesServerCert};

/// Why the certificate directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("{0}: cannot read certificate directory: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error("{0}: cannot load certificate/key pair (PEM expected; key file {1})")]
    Load(PathBuf, PathBuf),
    #[error("{0}: key does not match a supported algorithm: {1}")]
    Key(PathBuf, String),
    #[error("{0}: no certificates found (need at least default.crt + default.key)")]
    Empty(PathBuf),
}

/// SNI → certificate, with a default.
#[derive(Debug)]
pub struct SniResolver {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl SniResolver {
    /// Loads every `*.crt` with a matching `*.key` in `dir`.
    pub fn load(dir: &Path) -> Result<SniResolver, CertError> {
        pingora::tls::install_default_crypto_provider();
        let provider = CryptoProvider::get_default()
            .cloned()
            .ok_or_else(|| CertError::Key(dir.to_path_buf(), "no crypto provider".into()))?;
        let entries = std::fs::read_dir(dir).map_err(|e| CertError::Dir(dir.to_path_buf(), e))?;
        let mut by_name = HashMap::new();
        let mut default = None;
        for entry in entries {
            let path = entry
                .map_err(|e| CertError::Dir(dir.to_path_buf(), e))?
                .path();
            if path.extension().and_then(|e| e.to_str()) != Some("crt") {
                continue;
            }
            let key_path = path.with_extension("key");
            if !key_path.exists() {
                continue;
            }
            let Some(name) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_lowercase)
            else {
                continue;
            };
            let key = load_pair(&path, &key_path, &provider)?;
            if name == "default" {
                default = Some(key);
            } else {
                by_name.insert(name, key);
            }
        }
        if by_name.is_empty() && default.is_none() {
            return Err(CertError::Empty(dir.to_path_buf()));
        }
        Ok(SniResolver { by_name, default })
    }

    /// Certificate names loaded (for the start-up log).
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

fn load_pair(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, CertError> {
    let err = || CertError::Load(cert.to_path_buf(), key.to_path_buf());
    let (certs, key_der) = match pingora::tls::load_certs_and_key_files(
        &cert.to_string_lossy(),
        &key.to_string_lossy(),
    ) {
        Ok(Some(pair)) => pair,
        _ => return Err(err()),
    };
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| CertError::Key(key.to_path_buf(), e.to_string()))?;
    Ok(Arc::new(CertifiedKey::new(certs, signing)))
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if let Some(sni) = hello.server_name() {
            let sni = sni.to_ascii_lowercase();
            if let Some(k) = self.by_name.get(&sni) {
                return Some(k.clone());
            }
            // wildcard pair named `_.example.com` serves `*.example.com`
            if let Some((_, parent)) = sni.split_once('.') {
                if let Some(k) = self.by_name.get(&format!("_.{parent}")) {
                    return Some(k.clone());
                }
            }
        }
        self.default.clone()
    }
}
