//! The ACME account: restored from `data_dir/acme/accounts/…json` when it
//! exists, else created (terms of service agreed, the configured e-mail as
//! contact) and saved. An unreadable file is set aside and a new account
//! made; a deleted one simply gives a new account.

use std::path::Path;

use instant_acme::{Account, AccountCredentials, NewAccount};

use super::http::{AcmeHttp, RetryAfter};
use super::storage;
use crate::config::Acme;

/// A usable account, and whether it was created just now.
pub struct Ready {
    /// The account, ready for orders.
    pub account: Account,
    /// Created (not restored) by this call.
    pub created: bool,
}

/// Restores or creates the account for `acme.directory`.
pub async fn open(acme: &Acme, data_dir: &Path, retry_after: &RetryAfter) -> Result<Ready, String> {
    let path = storage::account_path(data_dir, &acme.directory);
    let client = || AcmeHttp::new(acme.ca_roots.as_deref(), retry_after.clone()).map(Box::new);
    let directory = acme.directory.as_str();
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<AccountCredentials>(&bytes) {
            Ok(creds) => {
                let account = Account::builder_with_http(client()?)
                    .from_credentials(creds)
                    .await
                    .map_err(|e| describe_directory_error(directory, &e))?;
                return Ok(Ready {
                    account,
                    created: false,
                });
            }
            Err(e) => {
                let aside = storage::set_aside(&path)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|e| format!("(not moved: {e})"));
                tracing::warn!(file = %path.display(), error = %e, moved_to = %aside, "ACME account file unreadable; creating a new account");
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    }
    let contact = format!("mailto:{}", acme.email);
    let new = NewAccount {
        contact: &[contact.as_str()],
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let (account, creds) = Account::builder_with_http(client()?)
        .create(&new, directory.to_owned(), None)
        .await
        .map_err(|e| describe_directory_error(directory, &e))?;
    let json = serde_json::to_vec_pretty(&creds).map_err(|e| e.to_string())?;
    storage::write_private(&path, &json)
        .map_err(|e| format!("{}: cannot save the account: {e}", path.display()))?;
    tracing::info!(account = %account.id(), file = %path.display(), "ACME account created");
    Ok(Ready {
        account,
        created: true,
    })
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
