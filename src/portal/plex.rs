//! "Sign in with Plex" (DESIGN §5 `POST /plex/pin`, `GET /plex/pin/{id}`):
//! the gateway creates a plex.tv PIN, the browser opens app.plex.tv's auth
//! page in a popup and polls; once plex.tv holds a token for the PIN the
//! account is admitted (owner / friend) and a session starts.
//!
//! A PIN is bound to the browser that asked for it by a random nonce in an
//! HttpOnly cookie, so nobody else can poll it to completion. Pending PINs
//! are bounded in number and age.

use std::collections::HashMap;
use std::sync::Mutex;

use http::header;
use serde_json::json;

use crate::app::App;
use crate::cookie::{self, CookieSpec, SameSite};
use crate::clock::unix;
use crate::reply::Reply;
use crate::sso::plex_tv::PinState;

use super::{guard, PortalRequest};

/// The cookie binding a PIN to its browser.
pub const PIN_COOKIE: &str = "gatehouse_pin";
/// How long a PIN may stay pending (plex.tv's own lifetime is 30 min).
pub const PIN_LIFETIME_SECS: u64 = 30 * 60;
/// Most PINs pending at once.
pub const MAX_PENDING: usize = 1024;

#[derive(Debug)]
struct Pending {
    nonce: String,
    created: u64,
}

/// Pending PINs: plex.tv id → browser nonce.
#[derive(Debug, Default)]
pub struct Pins {
    map: Mutex<HashMap<u64, Pending>>,
}

impl Pins {
    fn insert(&self, id: u64, nonce: String, now: u64) -> bool {
        let Ok(mut map) = self.map.lock() else {
            return false;
        };
        map.retain(|_, p| now < p.created + PIN_LIFETIME_SECS);
        if map.len() >= MAX_PENDING {
            return false;
        }
        map.insert(
            id,
            Pending {
                nonce,
                created: now,
            },
        );
        true
    }

    fn matches(&self, id: u64, nonce: &str) -> bool {
        self.map.lock().is_ok_and(|m| {
            m.get(&id).is_some_and(|p| {
                subtle::ConstantTimeEq::ct_eq(p.nonce.as_bytes(), nonce.as_bytes()).into()
            })
        })
    }

    fn remove(&self, id: u64) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&id);
        }
    }
}

fn pin_cookie(
    app: &App,
    req: &PortalRequest<'_>,
    value: &str,
    max_age: u64,
) -> Option<http::HeaderValue> {
    let path = format!("{}/plex", app.config.portal.prefix);
    cookie::set_cookie(
        &CookieSpec {
            name: PIN_COOKIE,
            value,
            domain: None,
            path: &path,
            max_age: Some(std::time::Duration::from_secs(max_age)),
            http_only: true,
            secure: req.secure(app),
            same_site: SameSite::Lax,
        },
        req.now,
    )
    .ok()
}

/// `POST {prefix}/plex/pin` → `{id, code, auth_url}`.
pub async fn start(app: &App, req: &PortalRequest<'_>) -> Reply {
    if !app.plex_oauth_enabled() {
        return Reply::json(404, &json!({"error": "Sign in with Plex is not enabled"}));
    }
    if !guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::json(403, &json!({"error": "cross-site request refused"}));
    }
    let Some(plex) = app.plex_tv() else {
        return Reply::json(502, &json!({"error": "plex.tv is not reachable"}));
    };
    let pin = match plex.create_pin().await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "plex.tv PIN not created");
            return Reply::json(502, &json!({"error": "plex.tv is not reachable"}));
        }
    };
    let nonce = crate::account::new_nonce();
    if !app.plex_pins.insert(pin.id, nonce.clone(), unix(req.now)) {
        return Reply::json(503, &json!({"error": "too many sign-ins in progress"}));
    }
    let mut reply = Reply::json(
        200,
        &json!({"id": pin.id, "code": pin.code, "auth_url": plex.auth_url(&pin.code)}),
    );
    if let Some(c) = pin_cookie(app, req, &nonce, PIN_LIFETIME_SECS) {
        reply.push(header::SET_COOKIE, c);
    }
    reply
}

/// `GET {prefix}/plex/pin/{id}` → `{status}`: pending, expired, denied, or
/// done (with the session cookies).
pub async fn poll(app: &App, req: &PortalRequest<'_>, id: &str) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        return Reply::json(404, &json!({"status": "expired"}));
    };
    let nonce = cookie::find_in_headers(
        req.headers
            .get_all(header::COOKIE)
            .iter()
            .map(|v| v.as_bytes()),
        PIN_COOKIE,
    )
    .unwrap_or("");
    if !app.plex_pins.matches(id, nonce) {
        return Reply::json(404, &json!({"status": "expired"}));
    }
    let Some(plex) = app.plex_tv() else {
        return Reply::json(200, &json!({"status": "pending"}));
    };
    let token = match plex.check_pin(id).await {
        Ok(PinState::Pending) => return Reply::json(200, &json!({"status": "pending"})),
        Ok(PinState::Expired) => {
            app.plex_pins.remove(id);
            return Reply::json(200, &json!({"status": "expired"}));
        }
        Ok(PinState::Done(token)) => token,
        Err(e) => {
            tracing::warn!(error = %e, "plex.tv PIN check failed");
            return Reply::json(200, &json!({"status": "pending"}));
        }
    };
    app.plex_pins.remove(id);
    let account = match plex.account(&token).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "plex.tv account for PIN token");
            return Reply::json(200, &json!({"status": "denied"}));
        }
    };
    let Some(admitted) = app.admit_plex_account(&plex, account, req.now).await else {
        return Reply::json(200, &json!({"status": "denied"}));
    };
    if admitted.user.locked {
        return Reply::json(200, &json!({"status": "denied"}));
    }
    let user = admitted.into_signed_in(None);
    let mut reply = Reply::json(200, &json!({"status": "done"}));
    super::login::start_session(app, req, user, true, &mut reply).await;
    if let Some(c) = pin_cookie(app, req, "", 0) {
        reply.push(header::SET_COOKIE, c);
    }
    reply
}
