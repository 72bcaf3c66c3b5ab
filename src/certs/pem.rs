//! PEM text to DER: certificate chains and private keys (PKCS#8, SEC1 or
//! PKCS#1), with a short reason when a file is not what it should be.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Every `CERTIFICATE` block of `pem`, in file order; other blocks are skipped.
pub fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not valid PEM: {e}"))
}

/// The first private key of `pem`.
pub fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => "no PEM private key found".to_owned(),
        other => format!("not a valid PEM private key: {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_pem_garbage_and_empty() {
        assert!(certificates(b"").unwrap().is_empty());
        assert!(
            certificates(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n").is_err()
        );
        assert!(private_key(b"hello").is_err());
    }

    #[test]
    fn test_pem_round_trip_with_rcgen() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.test".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let text = format!("{}{}", key.serialize_pem(), cert.pem());
        assert_eq!(certificates(text.as_bytes()).unwrap().len(), 1);
        assert!(private_key(text.as_bytes()).is_ok());
    }
}
