//! The plex.tv client (docs/docs/upstreams.md §2.1): password sign-in, token check,
//! the owner's friends and servers, and the OAuth PIN flow.
//!
//! Base URLs come from `[plex] api_url` / `app_url` so tests point it at a
//! fake. Every request carries the `X-Plex-*` identification headers with the
//! install's stable client identifier (kept in the store by the caller).
//! Tokens go in the `X-Plex-Token` header, never in a URL, so no error or log
//! line can contain one.

mod model;

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::{RequestBuilder, StatusCode};
use url::Url;

use crate::config::Plex;
use crate::sso::{body_text, join, safe_url, BODY_LIMIT, CONNECT_TIMEOUT};

pub use model::{admit, Admission, Pin, PinState, PlexAccount, PlexFriend, PlexServer};

/// Overall timeout of one plex.tv request.
pub const PLEX_TIMEOUT: Duration = Duration::from_secs(15);

/// `X-Plex-Product` of every request.
pub const PRODUCT: &str = "Gatehouse";

/// A plex.tv failure, one clear line each; never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum PlexError {
    #[error("plex.tv: wrong username, e-mail or password")]
    WrongCredentials,
    #[error(
        "plex.tv: this account uses two-factor authentication; sign in with Plex (PIN) instead"
    )]
    TwoFactorRequired,
    #[error("plex.tv refused the token (401)")]
    InvalidToken,
    #[error("plex.tv is rate limiting requests (429); try again later")]
    RateLimited,
    #[error("plex.tv is unreachable at {0}")]
    Unreachable(String),
    #[error("plex.tv did not answer in time")]
    Timeout,
    #[error("plex.tv answered HTTP {0}")]
    Unexpected(u16),
    #[error("plex.tv sent an unexpected reply: {0}")]
    BadReply(&'static str),
    #[error("the Plex client identifier {0:?} is not a valid header value")]
    InvalidClientId(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// A fresh client identifier for a new install (32 random hex digits); the
/// caller stores it and passes the same one to [`PlexTv::new`] ever after, so
/// plex.tv sees one device and PINs stay bound to it.
pub fn new_client_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// The store key of this install's plex.tv client identifier.
pub const CLIENT_ID_KEY: &str = "plex_client_id";

/// This install's plex.tv client identifier: created once, kept in the store
/// (the gateway and the `plex` CLI commands use the same one).
pub fn client_id(store: &crate::store::Store) -> Result<String, crate::store::StoreError> {
    match store.get_meta(CLIENT_ID_KEY)? {
        Some(id) => Ok(id),
        None => {
            let id = new_client_id();
            store.set_meta(CLIENT_ID_KEY, &id)?;
            Ok(id)
        }
    }
}

/// A plex.tv client for one install.
#[derive(Clone, Debug)]
pub struct PlexTv {
    http: reqwest::Client,
    api_url: Url,
    app_url: Url,
    client_id: String,
}

impl PlexTv {
    /// A client for `cfg`'s base URLs with the default timeout.
    pub fn new(cfg: &Plex, client_id: &str) -> Result<Self, PlexError> {
        Self::with_timeout(cfg, client_id, PLEX_TIMEOUT)
    }

    /// A client whose every request gives up after `timeout`.
    pub fn with_timeout(cfg: &Plex, client_id: &str, timeout: Duration) -> Result<Self, PlexError> {
        let id = HeaderValue::from_str(client_id)
            .map_err(|_| PlexError::InvalidClientId(client_id.to_string()))?;
        let mut h = HeaderMap::new();
        h.insert("X-Plex-Product", HeaderValue::from_static(PRODUCT));
        h.insert(
            "X-Plex-Version",
            HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
        );
        h.insert("X-Plex-Client-Identifier", id);
        h.insert(
            "X-Plex-Platform",
            HeaderValue::from_static(std::env::consts::OS),
        );
        h.insert("X-Plex-Device", HeaderValue::from_static(PRODUCT));
        h.insert("X-Plex-Device-Name", HeaderValue::from_static(PRODUCT));
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .default_headers(h)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .user_agent(crate::sso::USER_AGENT)
            .build()
            .map_err(|e| PlexError::Client(e.to_string()))?;
        Ok(PlexTv {
            http,
            api_url: cfg.api_url.clone(),
            app_url: cfg.app_url.clone(),
            client_id: client_id.to_string(),
        })
    }

    /// The client identifier sent as `X-Plex-Client-Identifier`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Password sign-in (`POST /users/sign_in.json`, what Organizr uses).
    /// Accepted only when the reply's username or e-mail equals `login`
    /// case-insensitively.
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<PlexAccount, PlexError> {
        let url = join(&self.api_url, "/users/sign_in.json");
        let req = self
            .http
            .post(&url)
            .form(&[("user[login]", login), ("user[password]", password)]);
        let (status, body) = self.send(req).await?;
        match status.as_u16() {
            200 | 201 => {
                let acct = model::parse_account(&body)
                    .ok_or(PlexError::BadReply("no user in sign-in reply"))?;
                if model::same(&acct.username, login) || model::same(&acct.email, login) {
                    Ok(acct)
                } else {
                    Err(PlexError::WrongCredentials)
                }
            }
            401 if body.to_ascii_lowercase().contains("verification code") => {
                Err(PlexError::TwoFactorRequired)
            }
            401 | 422 => Err(PlexError::WrongCredentials),
            s => Err(other_status(s)),
        }
    }

    /// The account a token belongs to (`GET /users/account.json`).
    pub async fn account(&self, token: &str) -> Result<PlexAccount, PlexError> {
        let url = join(&self.api_url, "/users/account.json");
        let (status, body) = self
            .send(self.http.get(&url).header("X-Plex-Token", token))
            .await?;
        match status.as_u16() {
            200 => {
                model::parse_account(&body).ok_or(PlexError::BadReply("no user in account reply"))
            }
            s => Err(token_status(s)),
        }
    }

    /// The owner's friends (`GET /api/users`, XML).
    pub async fn friends(&self, owner_token: &str) -> Result<Vec<PlexFriend>, PlexError> {
        let body = self.get_xml("/api/users", owner_token).await?;
        Ok(model::parse_friends(&body))
    }

    /// The servers the token's account can see (`GET /pms/servers`, XML).
    pub async fn servers(&self, owner_token: &str) -> Result<Vec<PlexServer>, PlexError> {
        let body = self.get_xml("/pms/servers", owner_token).await?;
        Ok(model::parse_servers(&body))
    }

    /// The owner/friend decision for `account`: the friends list is fetched
    /// with `cfg.token` only when the account is not the owner.
    pub async fn admission(
        &self,
        account: &PlexAccount,
        cfg: &Plex,
    ) -> Result<Admission, PlexError> {
        if admit(account, cfg, &[]) == Admission::Owner {
            return Ok(Admission::Owner);
        }
        if cfg.token.is_empty() {
            return Ok(Admission::Refused);
        }
        let friends = self.friends(&cfg.token).await?;
        Ok(admit(account, cfg, &friends))
    }

    /// Starts the OAuth PIN flow (`POST /api/v2/pins?strong=true`).
    pub async fn create_pin(&self) -> Result<Pin, PlexError> {
        let url = join(&self.api_url, "/api/v2/pins?strong=true");
        let (status, body) = self.send(self.http.post(&url)).await?;
        match status.as_u16() {
            200 | 201 => model::parse_pin(&body)
                .map(|(pin, _)| pin)
                .filter(|p| !p.code.is_empty())
                .ok_or(PlexError::BadReply("no PIN id/code")),
            s => Err(other_status(s)),
        }
    }

    /// Polls a PIN (`GET /api/v2/pins/{id}`): pending, done with the user's
    /// token, or expired (404/410 or `expiresIn <= 0`).
    pub async fn check_pin(&self, id: u64) -> Result<PinState, PlexError> {
        let url = join(&self.api_url, &format!("/api/v2/pins/{id}"));
        let (status, body) = self.send(self.http.get(&url)).await?;
        match status.as_u16() {
            200 | 201 => model::parse_pin(&body)
                .map(|(_, state)| state)
                .ok_or(PlexError::BadReply("no PIN in reply")),
            404 | 410 => Ok(PinState::Expired),
            s => Err(other_status(s)),
        }
    }

    /// The `app.plex.tv` page where the user approves `code`.
    pub fn auth_url(&self, code: &str) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!(
            "{}/auth#?clientID={}&code={}&context%5Bdevice%5D%5Bproduct%5D={PRODUCT}",
            self.app_url.as_str().trim_end_matches('/'),
            enc(&self.client_id),
            enc(code),
        )
    }

    async fn get_xml(&self, path: &str, token: &str) -> Result<String, PlexError> {
        let url = join(&self.api_url, path);
        let req = self
            .http
            .get(&url)
            .header("X-Plex-Token", token)
            .header(ACCEPT, "application/xml");
        match self.send(req).await? {
            (StatusCode::OK, body) => Ok(body),
            (s, _) => Err(token_status(s.as_u16())),
        }
    }

    async fn send(&self, req: RequestBuilder) -> Result<(StatusCode, String), PlexError> {
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        let body = body_text(resp, BODY_LIMIT)
            .await
            .map_err(|e| self.transport(&e))?;
        tracing::debug!(status = status.as_u16(), "plex.tv reply");
        Ok((status, body))
    }

    fn transport(&self, e: &reqwest::Error) -> PlexError {
        if e.is_timeout() {
            PlexError::Timeout
        } else {
            PlexError::Unreachable(safe_url(&self.api_url))
        }
    }
}

fn token_status(status: u16) -> PlexError {
    match status {
        401 | 422 => PlexError::InvalidToken,
        s => other_status(s),
    }
}

fn other_status(status: u16) -> PlexError {
    match status {
        429 => PlexError::RateLimited,
        s => PlexError::Unexpected(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Plex {
        Plex {
            token: String::new(),
            machine_id: String::new(),
            admin: String::new(),
            oauth: true,
            strict_friends: true,
            new_user_group: 4,
            api_url: Url::parse("http://127.0.0.1:9/").unwrap(),
            app_url: Url::parse("https://app.plex.tv/").unwrap(),
        }
    }

    #[test]
    fn test_auth_url_encodes_client_id_and_code() {
        let p = PlexTv::new(&cfg(), "id with space").unwrap();
        assert_eq!(
            p.auth_url("ab&c"),
            "https://app.plex.tv/auth#?clientID=id+with+space&code=ab%26c&context%5Bdevice%5D%5Bproduct%5D=Gatehouse"
        );
    }

    #[test]
    fn test_new_client_id_is_random_hex() {
        let (a, b) = (new_client_id(), new_client_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn test_new_rejects_bad_client_id() {
        let e = PlexTv::new(&cfg(), "bad\nid").unwrap_err();
        assert!(matches!(e, PlexError::InvalidClientId(_)));
    }

    #[test]
    fn test_status_mapping() {
        assert!(matches!(token_status(401), PlexError::InvalidToken));
        assert!(matches!(token_status(429), PlexError::RateLimited));
        assert!(matches!(other_status(500), PlexError::Unexpected(500)));
    }
}
