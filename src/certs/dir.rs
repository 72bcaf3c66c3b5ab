//! `certs_dir` on disk: `NAME.crt` + `NAME.key` pairs (the file name is the
//! host; `_.example.com` is `*.example.com`; `default` serves the rest) and
//! certbot's layout `live/NAME/fullchain.pem` + `privkey.pem` (served for
//! the names in the certificate), with a cheap fingerprint per pair so a
//! poll reads only the pairs that changed.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Where one pair comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PairSource {
    /// `NAME.crt` + `NAME.key`: served for `NAME`.
    Flat {
        name: String,
        cert: PathBuf,
        key: PathBuf,
    },
    /// Certbot's `live/NAME/`: served for the certificate's own names.
    Certbot {
        lineage: String,
        cert: PathBuf,
        key: PathBuf,
    },
}

impl PairSource {
    /// The chain file.
    pub fn cert(&self) -> &Path {
        match self {
            PairSource::Flat { cert, .. } | PairSource::Certbot { cert, .. } => cert,
        }
    }

    /// The key file.
    pub fn key(&self) -> &Path {
        match self {
            PairSource::Flat { key, .. } | PairSource::Certbot { key, .. } => key,
        }
    }

    /// The SNI name a flat pair is served for (`None` for certbot's).
    pub fn flat_name(&self) -> Option<String> {
        match self {
            PairSource::Flat { name, .. } => Some(match name.strip_prefix("_.") {
                Some(parent) => format!("*.{parent}"),
                None => name.clone(),
            }),
            PairSource::Certbot { .. } => None,
        }
    }
}

/// Size, modification time and inode of both files (symlinks followed, so
/// certbot's relinking to a new archive file counts as a change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(u64, Option<SystemTime>, u64, u64)>);

/// The fingerprint of `source`'s two files, `None` when one is missing.
pub fn fingerprint(source: &PairSource) -> Option<Fingerprint> {
    let mut parts = Vec::with_capacity(2);
    for path in [source.cert(), source.key()] {
        let meta = std::fs::metadata(path).ok()?;
        parts.push((
            meta.len(),
            meta.modified().ok(),
            inode(&meta).0,
            inode(&meta).1,
        ));
    }
    Some(Fingerprint(parts))
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.ino(), meta.dev())
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Every pair in `dir`, sorted; `Err` when `dir` cannot be read.
pub fn scan(dir: &Path) -> std::io::Result<Vec<PairSource>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("crt") {
            continue;
        }
        let key = path.with_extension("key");
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_ascii_lowercase);
        if let (Some(name), true) = (name, key.exists()) {
            out.push(PairSource::Flat {
                name,
                cert: path,
                key,
            });
        }
    }
    let live = dir.join("live");
    if let Ok(entries) = std::fs::read_dir(&live) {
        for entry in entries.flatten() {
            let path = entry.path();
            let (cert, key) = (path.join("fullchain.pem"), path.join("privkey.pem"));
            let lineage = entry.file_name().to_string_lossy().into_owned();
            if cert.exists() && key.exists() {
                out.push(PairSource::Certbot { lineage, cert, key });
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_scan_both_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "a.test.crt",
            "a.test.key",
            "_.w.test.crt",
            "_.w.test.key",
            "lonely.crt",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        std::fs::create_dir_all(d.join("live/site")).unwrap();
        std::fs::write(d.join("live/README"), "x").unwrap();
        std::fs::write(d.join("live/site/fullchain.pem"), "x").unwrap();
        std::fs::write(d.join("live/site/privkey.pem"), "x").unwrap();
        let found = scan(d).unwrap();
        let names: Vec<Option<String>> = found.iter().map(PairSource::flat_name).collect();
        assert_eq!(
            names,
            vec![Some("*.w.test".to_owned()), Some("a.test".to_owned()), None]
        );
        assert!(matches!(&found[2], PairSource::Certbot { lineage, .. } if lineage == "site"));
        let before = fingerprint(&found[1]).unwrap();
        std::fs::write(d.join("a.test.crt"), "longer").unwrap();
        assert_ne!(fingerprint(&found[1]).unwrap(), before);
        std::fs::remove_file(d.join("a.test.key")).unwrap();
        assert!(fingerprint(&found[1]).is_none());
        assert!(scan(&d.join("missing")).is_err());
    }
}
