//! Fake Ombi v4 (docs/docs/upstreams.md §2.2).
//!
//! Users: `alice`/`alice-pw` and `bob`/`bob-pw` (looked up by name, then by
//! e-mail, case-insensitively) mapped to the fake plex.tv tokens of Alice and
//! Bob, and the fallback account [`FALLBACK_USER`]. Endpoints:
//! `POST /api/v1/Token` (JSON, property names case-insensitive) and
//! `POST /api/v1/Token/plextoken` → `{"access_token", "expiration"}`, or 401
//! with an empty body (400 `Token was not provided` for an empty Plex token);
//! `GET /api/v1/Settings/about` (admin only: needs a valid `ApiKey`);
//! `GET /auth/cookie` (the SPA page). Any `/api/*` request carrying an
//! `ApiKey` header (any case) or `?apikey=` with a wrong key → 401
//! `Invalid API Key`. Modes on the token endpoints: `Unauthorized` → 401,
//! `Forbidden` → 403, `RateLimited` → 429 with `Retry-After: 60`.

use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{json, Value};

use super::plex_tv::{ALICE, BOB};
use super::{FakeServer, Handler, Mode, Recorded, Reply};

/// The API key the fake accepts.
pub const OMBI_API_KEY: &str = "0123456789abcdef0123456789abcdef";
/// The shared fallback account.
pub const FALLBACK_USER: &str = "household";
/// Its password.
pub const FALLBACK_PASSWORD: &str = "household-pw";

struct OmbiUser {
    name: &'static str,
    email: &'static str,
    password: &'static str,
    plex_token: Option<&'static str>,
}

const USERS: [OmbiUser; 3] = [
    OmbiUser {
        name: "alice",
        email: "alice@example.com",
        password: "alice-pw",
        plex_token: Some(ALICE.token),
    },
    OmbiUser {
        name: "bob",
        email: "bob@example.com",
        password: "bob-pw",
        plex_token: Some(BOB.token),
    },
    OmbiUser {
        name: FALLBACK_USER,
        email: "household@example.com",
        password: FALLBACK_PASSWORD,
        plex_token: None,
    },
];

/// The running fake.
pub struct OmbiFake {
    pub server: FakeServer,
    issued: Arc<Mutex<Vec<(String, String)>>>,
}

impl OmbiFake {
    /// Starts the fake on 127.0.0.1:0.
    pub fn start() -> OmbiFake {
        let issued = Arc::new(Mutex::new(Vec::new()));
        let iss = issued.clone();
        let handler: Handler = Arc::new(move |req, mode| handle(&iss, req, mode));
        OmbiFake {
            server: FakeServer::start(handler),
            issued,
        }
    }

    /// Base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// See [`FakeServer::set_mode`].
    pub fn set_mode(&self, mode: Mode) {
        self.server.set_mode(mode);
    }

    /// See [`FakeServer::requests`].
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// The Ombi user a token issued by this fake belongs to.
    pub fn user_of(&self, token: &str) -> Option<String> {
        let issued = self.issued.lock().unwrap();
        issued
            .iter()
            .find(|(_, t)| t == token)
            .map(|(u, _)| u.clone())
    }
}

fn handle(issued: &Mutex<Vec<(String, String)>>, req: &Recorded, mode: Mode) -> Reply {
    let path = req.path();
    if path.to_ascii_lowercase().starts_with("/api/") {
        let key = req
            .header("ApiKey")
            .map(str::to_string)
            .or_else(|| req.query("apikey"));
        if key.as_ref().is_some_and(|k| k != OMBI_API_KEY) {
            return Reply::new(401, "text/plain", "Invalid API Key");
        }
    }
    let lower = path.to_ascii_lowercase();
    let is_token = lower.starts_with("/api/v1/token");
    if is_token {
        match mode {
            Mode::Unauthorized => return Reply::empty(401),
            Mode::Forbidden => return Reply::empty(403),
            Mode::RateLimited => return Reply::empty(429).with("Retry-After", "60"),
            _ => {}
        }
    }
    match (req.method.as_str(), lower.as_str()) {
        ("POST", "/api/v1/token") => {
            let body = req.json();
            let name = field(&body, "username");
            let password = field(&body, "password");
            let found = USERS
                .iter()
                .find(|u| u.name.eq_ignore_ascii_case(&name))
                .or_else(|| USERS.iter().find(|u| u.email.eq_ignore_ascii_case(&name)));
            match found {
                Some(u) if u.password == password => token_reply(issued, u.name),
                _ => Reply::empty(401),
            }
        }
        ("POST", "/api/v1/token/plextoken") => {
            let token = field(&req.json(), "plexToken");
            if token.is_empty() {
                return Reply::json(400, &json!("Token was not provided"));
            }
            match USERS.iter().find(|u| u.plex_token == Some(token.as_str())) {
                Some(u) => token_reply(issued, u.name),
                None => Reply::empty(401),
            }
        }
        ("GET", "/api/v1/settings/about") => {
            if req.header("ApiKey").is_some() || req.query("apikey").is_some() {
                Reply::json(
                    200,
                    &json!({"version": "4.59.3", "branch": "develop", "frameworkDescription": ".NET 8.0"}),
                )
            } else {
                Reply::empty(401)
            }
        }
        ("GET", "/auth/cookie") => Reply::html(
            200,
            "<!doctype html><html><body><app-ombi></app-ombi></body></html>",
        ),
        _ => Reply::empty(404),
    }
}

/// A string property, name matched case-insensitively (as ASP.NET binds).
fn field(body: &Value, name: &str) -> String {
    body.as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn token_reply(issued: &Mutex<Vec<(String, String)>>, user: &str) -> Reply {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let mut list = issued.lock().unwrap();
    let head = b64(&json!({"alg": "HS256", "typ": "JWT"}));
    let claims = b64(
        &json!({"sub": user, "unique_name": user, "jti": list.len(), "iss": "Ombi", "aud": "Ombi"}),
    );
    let token = format!("{head}.{claims}.sig{}", list.len());
    list.push((user.to_string(), token.clone()));
    Reply::json(
        200,
        &json!({"access_token": token, "expiration": "2027-11-28T09:00:00Z"}),
    )
}
