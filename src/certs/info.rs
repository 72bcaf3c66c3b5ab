//! What a certificate says about itself (names, issuer, validity) and the
//! order of a chain: the certificate whose public key matches the private
//! key first, then each issuer, so a `fullchain.pem` written in the wrong
//! order is still served the way clients expect.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// The facts about a leaf certificate that logs and the debug page show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// DNS names of the subjectAltName extension (lowercased), else the CN.
    pub names: Vec<String>,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
}

impl CertInfo {
    /// Reads the leaf `der`.
    pub fn of(der: &CertificateDer<'_>) -> Result<CertInfo, String> {
        let (_, cert) = X509Certificate::from_der(der.as_ref())
            .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
        let mut names: Vec<String> = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if names.is_empty() {
            names.extend(
                cert.subject()
                    .iter_common_name()
                    .filter_map(|cn| cn.as_str().ok())
                    .map(str::to_ascii_lowercase),
            );
        }
        let v = cert.validity();
        Ok(CertInfo {
            names,
            issuer: cert.issuer().to_string(),
            not_before: unix(v.not_before.timestamp()),
            not_after: unix(v.not_after.timestamp()),
        })
    }

    /// The validity period's length.
    pub fn lifetime(&self) -> Duration {
        self.not_after
            .duration_since(self.not_before)
            .unwrap_or_default()
    }
}

fn unix(secs: i64) -> SystemTime {
    match u64::try_from(secs) {
        Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
        Err(_) => UNIX_EPOCH,
    }
}

/// A chain put in serving order.
#[derive(Debug)]
pub struct Ordered {
    /// Leaf first, then each issuer.
    pub chain: Vec<CertificateDer<'static>>,
    /// The input was in another order (or held unrelated certificates).
    pub changed: bool,
    /// Certificates that belong to no path from the leaf (left out).
    pub dropped: usize,
}

/// Orders `certs` for serving: the one whose SubjectPublicKeyInfo is `spki`
/// first, then issuer after issuer. `Err` when no certificate matches `spki`
/// (the key belongs to another certificate) or one does not parse.
pub fn order_chain(certs: Vec<CertificateDer<'static>>, spki: &[u8]) -> Result<Ordered, String> {
    if certs.is_empty() {
        return Err("no certificate in the file".to_owned());
    }
    struct Parts {
        spki: Vec<u8>,
        subject: Vec<u8>,
        issuer: Vec<u8>,
    }
    let mut parts = Vec::with_capacity(certs.len());
    for (i, der) in certs.iter().enumerate() {
        let (_, c) = X509Certificate::from_der(der.as_ref())
            .map_err(|e| format!("certificate {} of the chain does not parse: {e}", i + 1))?;
        parts.push(Parts {
            spki: c.tbs_certificate.subject_pki.raw.to_vec(),
            subject: c.subject().as_raw().to_vec(),
            issuer: c.issuer().as_raw().to_vec(),
        });
    }
    let Some(leaf) = parts.iter().position(|p| p.spki == spki) else {
        return Err("the private key does not match the certificate".to_owned());
    };
    let mut order = vec![leaf];
    let mut current = leaf;
    while parts[current].issuer != parts[current].subject {
        let next = (0..parts.len())
            .find(|&i| !order.contains(&i) && parts[i].subject == parts[current].issuer);
        match next {
            Some(i) => {
                order.push(i);
                current = i;
            }
            None => break,
        }
    }
    let changed = order.iter().enumerate().any(|(pos, &i)| pos != i) || order.len() != certs.len();
    let dropped = certs.len() - order.len();
    let mut slots: Vec<Option<CertificateDer<'static>>> = certs.into_iter().map(Some).collect();
    let chain = order.iter().filter_map(|&i| slots[i].take()).collect();
    Ok(Ordered {
        chain,
        changed,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PublicKeyData};

    /// root → intermediate → leaf, and the leaf's key.
    fn chain() -> (Vec<CertificateDer<'static>>, KeyPair) {
        let root_key = KeyPair::generate().unwrap();
        let mut root = CertificateParams::new(Vec::new()).unwrap();
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.distinguished_name
            .push(rcgen::DnType::CommonName, "root");
        let root_cert = root.self_signed(&root_key).unwrap();
        let int_key = KeyPair::generate().unwrap();
        let mut int = CertificateParams::new(Vec::new()).unwrap();
        int.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        int.distinguished_name
            .push(rcgen::DnType::CommonName, "intermediate");
        let root_issuer = Issuer::new(root, &root_key);
        let int_cert = int.signed_by(&int_key, &root_issuer).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["a.test".to_owned()]).unwrap();
        let int_issuer = Issuer::new(int, &int_key);
        let leaf_cert = leaf.signed_by(&leaf_key, &int_issuer).unwrap();
        (
            vec![
                leaf_cert.der().clone(),
                int_cert.der().clone(),
                root_cert.der().clone(),
            ],
            leaf_key,
        )
    }

    #[test]
    fn test_order_chain_keeps_a_good_order() {
        let (certs, key) = chain();
        let o = order_chain(certs.clone(), &key.subject_public_key_info()).unwrap();
        assert!(!o.changed);
        assert_eq!(o.chain, certs);
    }

    #[test]
    fn test_order_chain_fixes_a_reversed_chain() {
        let (certs, key) = chain();
        let mut reversed = certs.clone();
        reversed.reverse();
        let o = order_chain(reversed, &key.subject_public_key_info()).unwrap();
        assert!(o.changed);
        assert_eq!(o.chain, certs);
    }

    #[test]
    fn test_order_chain_drops_strangers_and_refuses_other_keys() {
        let (mut certs, key) = chain();
        let (other, other_key) = chain();
        certs.push(other[1].clone());
        let o = order_chain(certs, &key.subject_public_key_info()).unwrap();
        assert_eq!((o.dropped, o.chain.len()), (1, 3));
        let (certs, _) = chain();
        let err = order_chain(certs, &other_key.subject_public_key_info()).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn test_cert_info_names_and_dates() {
        let (certs, _) = chain();
        let info = CertInfo::of(&certs[0]).unwrap();
        assert_eq!(info.names, vec!["a.test".to_owned()]);
        assert!(info.issuer.contains("intermediate"), "{}", info.issuer);
        assert!(info.not_after > info.not_before);
        assert!(CertInfo::of(&CertificateDer::from(vec![1, 2, 3])).is_err());
    }
}
