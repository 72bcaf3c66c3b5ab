//! Files under `data_dir/acme/`: the account (one per CA directory) in
//! `accounts/`, and each certificate with its key in `certs/NAME.pem`
//! (`_.example.com.pem` for `*.example.com`). Every file is 0600 and
//! written atomically (temporary file, fsync, rename, fsync of the
//! directory), so a crash mid-write leaves the old file or the new one,
//! never half a certificate.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use url::Url;

/// `data_dir/acme`.
pub fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("acme")
}

/// The account file for the CA at `directory`: its host plus a short hash
/// of the whole URL (staging and production never share one).
pub fn account_path(data_dir: &Path, directory: &Url) -> PathBuf {
    let host: String = directory
        .host_str()
        .unwrap_or("ca")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = hex::encode(&Sha256::digest(directory.as_str().as_bytes())[..4]);
    root(data_dir)
        .join("accounts")
        .join(format!("{host}-{hash}.json"))
}

/// The certificate file of `name`.
pub fn cert_path(data_dir: &Path, name: &str) -> PathBuf {
    let stem = match name.strip_prefix("*.") {
        Some(parent) => format!("_.{parent}"),
        None => name.to_owned(),
    };
    root(data_dir).join("certs").join(format!("{stem}.pem"))
}

/// Writes `bytes` to `path` atomically with mode 0600, creating the parent
/// directories (0700).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent directory"))?;
    create_private_dir(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("bad file name"))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(&tmp)?;
    set_private(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn set_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}

/// Moves an unreadable file aside (`NAME.bad`) so a new one can be made
/// without losing the old bytes.
pub fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let mut bad = path.as_os_str().to_owned();
    bad.push(".bad");
    let bad = PathBuf::from(bad);
    fs::rename(path, &bad)?;
    Ok(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths() {
        let data = Path::new("/d");
        let dir = Url::parse("https://acme-v02.api.letsencrypt.org/directory").unwrap();
        let p = account_path(data, &dir);
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("acme-v02.api.letsencrypt.org-") && name.ends_with(".json"));
        let staging = Url::parse("https://acme-v02.api.letsencrypt.org/staging").unwrap();
        assert_ne!(account_path(data, &staging), p);
        assert_eq!(
            cert_path(data, "*.example.com"),
            Path::new("/d/acme/certs/_.example.com.pem")
        );
    }

    #[test]
    fn test_write_private_is_atomic_and_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acme/certs/a.pem");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let bad = set_aside(&path).unwrap();
        assert!(bad.exists() && !path.exists());
    }
}
