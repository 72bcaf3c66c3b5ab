//! The certificates being served, as one immutable value: exact names,
//! wildcards (`*.example.com` serves `a.example.com`, not `a.b.example.com`)
//! and an optional default for unknown names and clients without SNI. A new
//! set is built off the handshake path and swapped in whole.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::sign::CertifiedKey;

/// SNI name → certificate.
#[derive(Debug, Default, Clone)]
pub struct CertSet {
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// Keyed by the parent: `example.com` for `*.example.com`.
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl CertSet {
    /// Serves `key` for `name`: a host name, `*.parent`, or `default`.
    pub fn insert(&mut self, name: &str, key: Arc<CertifiedKey>) {
        let name = name.to_ascii_lowercase();
        if name == "default" {
            self.default = Some(key);
        } else if let Some(parent) = name.strip_prefix("*.") {
            self.wildcard.insert(parent.to_owned(), key);
        } else {
            self.exact.insert(name, key);
        }
    }

    /// The certificate for `sni` (already lowercase, as rustls hands it over):
    /// exact name, then wildcard, then the default.
    pub fn get(&self, sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if let Some(sni) = sni {
            if let Some(k) = self.exact.get(sni) {
                return Some(k.clone());
            }
            if let Some((_, parent)) = sni.split_once('.') {
                if let Some(k) = self.wildcard.get(parent) {
                    return Some(k.clone());
                }
            }
        }
        self.default.clone()
    }

    /// Whether nothing at all is served.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.wildcard.is_empty() && self.default.is_none()
    }

    /// Every name served, sorted (`*.x` for wildcards, `default` last).
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .exact
            .keys()
            .cloned()
            .chain(self.wildcard.keys().map(|p| format!("*.{p}")))
            .collect();
        v.sort_unstable();
        if self.default.is_some() {
            v.push("default".to_owned());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Arc<CertifiedKey> {
        let k = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .self_signed(&k)
            .unwrap();
        let loaded =
            super::super::pair::load(cert.pem().as_bytes(), k.serialize_pem().as_bytes()).unwrap();
        loaded.key
    }

    #[test]
    fn test_set_lookup_order() {
        let mut set = CertSet::default();
        assert!(set.is_empty() && set.get(Some("a.test")).is_none());
        let (a, wild, default) = (key("a.example.com"), key("*.example.com"), key("d"));
        set.insert("A.example.com", a.clone());
        set.insert("*.example.com", wild.clone());
        set.insert("default", default.clone());
        assert!(Arc::ptr_eq(&set.get(Some("a.example.com")).unwrap(), &a));
        assert!(Arc::ptr_eq(&set.get(Some("b.example.com")).unwrap(), &wild));
        assert!(Arc::ptr_eq(
            &set.get(Some("x.b.example.com")).unwrap(),
            &default
        ));
        assert!(Arc::ptr_eq(&set.get(None).unwrap(), &default));
        assert_eq!(
            set.names(),
            vec!["*.example.com", "a.example.com", "default"]
        );
    }
}
