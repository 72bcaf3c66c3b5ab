//! TLS listener settings: every TLS listener serves from the certificate
//! store's resolver (SNI from `certs_dir`, certbot's layout and ACME, swapped
//! live), offers h2 and http/1.1, and, when ACME uses TLS-ALPN-01, also
//! `acme-tls/1` (after the HTTP protocols, so browsers never pick it).

use std::sync::Arc;

use pingora::listeners::tls::TlsSettings;

use crate::certs::{Resolver, ACME_TLS_ALPN};

/// The settings of one TLS listener.
pub fn settings(resolver: Arc<Resolver>, acme_alpn: bool) -> Result<TlsSettings, String> {
    let mut settings = TlsSettings::intermediate("", "").map_err(|e| e.to_string())?;
    settings.set_cert_resolver(resolver);
    let mut alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if acme_alpn {
        alpn.push(ACME_TLS_ALPN.to_vec());
    }
    settings.set_alpn_protocols(alpn);
    Ok(settings)
}
