//! Token vocabulary: the SSO tokens a session holds (fetched once at
//! login), and the one way the gateway makes a random secret token.
//!
//! SSO tokens live in the server-side session (and its store row, as JSON),
//! are handed to the browser as cookies / bootstrap pages, and are injected
//! into upstream requests of routes that ask for them.

use base64::Engine as _;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

/// A random secret: 32 bytes (256 bits) from the OS, unpadded base64url
/// (43 characters). Session cookies, the setup token and the Plex PIN
/// nonce are all made here.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// One Tautulli instance's token for this user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TautulliToken {
    /// The configured instance URL (`[sso.tautulli] urls`), as written.
    pub url: String,
    /// `host:port` of that URL, to match a route's upstream.
    pub authority: String,
    /// `uuid` from Tautulli's reply: the cookie is `tautulli_token_<uuid>`.
    pub uuid: String,
    /// The JWT.
    pub token: String,
    /// Cookie Path: the instance URL's path, or `/`.
    pub path: String,
}

/// The outcome of the last token fetch for one service (for the debug page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchResult {
    /// `plex`, `ombi`, `tautulli <url>`.
    pub service: String,
    /// Unix seconds.
    pub at: u64,
    /// `ok`, or a short status such as `401`, `timeout`, `unreachable`.
    pub status: String,
    /// Human-readable error, never containing a secret.
    pub error: Option<String>,
}

/// Every token a session holds. `Debug` never prints token values.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoTokens {
    /// plex.tv token (cookie `mpt`, `X-Plex-Token` injection).
    pub plex: Option<String>,
    /// Ombi `access_token` (cookie `Auth`).
    pub ombi: Option<String>,
    /// One per Tautulli instance that answered.
    pub tautulli: Vec<TautulliToken>,
    /// Last fetch results, per service.
    pub results: Vec<FetchResult>,
}

impl SsoTokens {
    /// `true` when no token is held.
    pub fn is_empty(&self) -> bool {
        self.plex.is_none() && self.ombi.is_none() && self.tautulli.is_empty()
    }
}

impl std::fmt::Debug for SsoTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoTokens")
            .field("plex", &self.plex.is_some())
            .field("ombi", &self.ombi.is_some())
            .field(
                "tautulli",
                &self.tautulli.iter().map(|t| &t.url).collect::<Vec<_>>(),
            )
            .field("results", &self.results)
            .finish()
    }
}
