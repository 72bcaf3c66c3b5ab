//! The ACME account, one per CA directory, shared by every gateway on the
//! same store (docs/cluster.md). Looked for in the store first, then in
//! `data_dir/acme/accounts/…json` (this node's copy, and where accounts
//! lived before the store kept them); else created (terms of service
//! agreed, the configured e-mail as contact). Whatever is used ends up in
//! both places. When two nodes create one at the same moment, the first
//! saved in the store wins and the other node uses it too. An unreadable
//! file is set aside; a store that cannot be reached leaves the file.

use std::path::Path;

use instant_acme::{Account, AccountCredentials, NewAccount};

use super::http::{AcmeHttp, RetryAfter};
use super::storage;
use crate::config::Acme;
use crate::store::Store;

/// A usable account, and whether it was created just now.
pub struct Ready {
    /// The account, ready for orders.
    pub account: Account,
    /// Its credentials as stored (to forget them when the CA does).
    pub credentials: String,
    /// Created (not restored) by this call.
    pub created: bool,
}

/// Where the account may come from.
pub struct Sources<'a> {
    /// The `[acme]` settings.
    pub acme: &'a Acme,
    /// This node's `data_dir`.
    pub data_dir: &'a Path,
    /// The store every node shares.
    pub store: &'a Store,
    /// The CA's last `Retry-After`.
    pub retry_after: &'a RetryAfter,
}

/// Restores or creates the account for `acme.directory`.
pub async fn open(src: &Sources<'_>) -> Result<Ready, String> {
    let directory = src.acme.directory.as_str().to_owned();
    let path = storage::account_path(src.data_dir, &src.acme.directory);
    let shared = {
        let dir = directory.clone();
        src.store.call(move |s| s.acme_account(&dir)).await
    };
    let shared = match shared {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "ACME account not read from the store; using this node's file");
            None
        }
    };
    if let Some(json) = shared {
        match restore(src, &json).await? {
            Some(account) => {
                keep_file(&path, &json);
                return Ok(Ready {
                    account,
                    credentials: json,
                    created: false,
                });
            }
            None => tracing::warn!(
                "the ACME account in the store is unreadable; trying this node's file"
            ),
        }
    }
    match std::fs::read(&path) {
        Ok(bytes) => {
            let json = String::from_utf8_lossy(&bytes).into_owned();
            match restore(src, &json).await? {
                Some(account) => return adopt(src, &path, account, json, false).await,
                None => {
                    let aside = storage::set_aside(&path)
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|e| format!("(not moved: {e})"));
                    tracing::warn!(file = %path.display(), moved_to = %aside, "ACME account file unreadable; creating a new account");
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    }
    let contact = format!("mailto:{}", src.acme.email);
    let new = NewAccount {
        contact: &[contact.as_str()],
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let (account, creds) = Account::builder_with_http(client(src)?)
        .create(&new, directory.clone(), None)
        .await
        .map_err(|e| describe_directory_error(&directory, &e))?;
    let json = serde_json::to_string_pretty(&creds).map_err(|e| e.to_string())?;
    tracing::info!(account = %account.id(), "ACME account created");
    adopt(src, &path, account, json, true).await
}

fn client(src: &Sources<'_>) -> Result<Box<AcmeHttp>, String> {
    AcmeHttp::new(src.acme.ca_roots.as_deref(), src.retry_after.clone()).map(Box::new)
}

/// The account of `json`; `None` when it is not account credentials.
async fn restore(src: &Sources<'_>, json: &str) -> Result<Option<Account>, String> {
    let Ok(creds) = serde_json::from_str::<AccountCredentials>(json) else {
        return Ok(None);
    };
    let account = Account::builder_with_http(client(src)?)
        .from_credentials(creds)
        .await
        .map_err(|e| describe_directory_error(src.acme.directory.as_str(), &e))?;
    Ok(Some(account))
}

/// Puts `json` in the store unless another node's account is there
/// already, in which case that one is used; then saves the file.
async fn adopt(
    src: &Sources<'_>,
    path: &Path,
    account: Account,
    json: String,
    created: bool,
) -> Result<Ready, String> {
    let saved = {
        let (dir, mine) = (src.acme.directory.as_str().to_owned(), json.clone());
        let now = super::now_secs();
        src.store
            .call(move |s| s.save_acme_account(&dir, &mine, now))
            .await
    };
    let (account, json) = match saved {
        Ok(stored) if stored != json => match restore(src, &stored).await? {
            Some(theirs) => {
                tracing::info!(account = %theirs.id(), "using the ACME account another node saved first");
                (theirs, stored)
            }
            None => (account, json),
        },
        Ok(_) => (account, json),
        Err(e) => {
            tracing::warn!(error = %e, "ACME account not saved in the store (kept in this node's file)");
            (account, json)
        }
    };
    if created {
        storage::write_private(path, json.as_bytes())
            .map_err(|e| format!("{}: cannot save the account: {e}", path.display()))?;
    } else {
        keep_file(path, &json);
    }
    Ok(Ready {
        account,
        credentials: json,
        created,
    })
}

/// Writes `json` to `path` unless it already holds it.
fn keep_file(path: &Path, json: &str) {
    if std::fs::read(path).is_ok_and(|b| b == json.as_bytes()) {
        return;
    }
    if let Err(e) = storage::write_private(path, json.as_bytes()) {
        tracing::warn!(file = %path.display(), error = %e, "ACME account not copied to this node's file");
    }
}

/// An error met while talking to the directory, in words a user can act on.
pub fn describe_directory_error(directory: &str, e: &instant_acme::Error) -> String {
    match e {
        instant_acme::Error::Json(j) => {
            format!("ACME directory {directory} did not answer with an ACME directory ({j})")
        }
        other => format!(
            "ACME directory {directory}: {}",
            super::order::describe(other)
        ),
    }
}
