//! The `[store]` model (read by `store.rs`): kept apart so the model
//! imports nothing of the reader.

use crate::store_url as url;

/// `[store]`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StoreSettings {
    /// `""` or a `postgres://` URL (may hold a password).
    pub url: String,
}

impl StoreSettings {
    /// The URL with its password masked (for messages).
    pub fn masked_url(&self) -> String {
        url::mask(&self.url)
    }
}

impl std::fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSettings")
            .field("url", &self.masked_url())
            .finish()
    }
}
