//! "Sign in with Plex" (`POST {prefix}/plex/pin`, `GET {prefix}/plex/pin/{id}`):
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
use crate::clock::unix;
use crate::cookie;
use crate::reply::Reply;
use crate::sso::plex_tv::PinState;

use super::cookies::{self as set, PIN_COOKIE};
use super::guard;
use super::request::PortalRequest;
use super::signin;
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
    set::pin(
        &app.config.portal.prefix,
        value,
        std::time::Duration::from_secs(max_age),
        req.secure(app),
        req.now,
    )
}

/// `POST {prefix}/plex/pin` → `{id, code, auth_url}`.
pub async fn start(app: &App, pins: &Pins, req: &PortalRequest<'_>) -> Reply {
    if !signin::plex_oauth_enabled(app) {
        return Reply::json(404, &json!({"error": "Sign in with Plex is not enabled"}));
    }
    if !guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::json(403, &json!({"error": "cross-site request refused"}));
    }
    let Some(plex) = signin::plex_tv(app) else {
        return Reply::json(502, &json!({"error": "plex.tv is not reachable"}));
    };
    let pin = match plex.create_pin().await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "plex.tv PIN not created");
            return Reply::json(502, &json!({"error": "plex.tv is not reachable"}));
        }
    };
    let nonce = crate::tokens::random_token();
    if !pins.insert(pin.id, nonce.clone(), unix(req.now)) {
        return Reply::json(503, &json!({"error": "too many sign-ins in progress"}));
    }
    let lifetime = std::time::Duration::from_secs(PIN_LIFETIME_SECS);
    super::plex_shared::put(app, pin.id, &nonce, lifetime).await;
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
pub async fn poll(app: &App, pins: &Pins, req: &PortalRequest<'_>, id: &str) -> Reply {
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
    let here = pins.matches(id, nonce);
    // Several instances: Redis knows the PINs of every node, and which
    // are spent; without it this node's own table decides.
    if !super::plex_shared::matches(app, id, nonce)
        .await
        .unwrap_or(here)
    {
        if here {
            // Finished on another node.
            pins.remove(id);
        }
        return Reply::json(404, &json!({"status": "expired"}));
    }
    let Some(plex) = signin::plex_tv(app) else {
        return Reply::json(200, &json!({"status": "pending"}));
    };
    let token = match plex.check_pin(id).await {
        Ok(PinState::Pending) => return Reply::json(200, &json!({"status": "pending"})),
        Ok(PinState::Expired) => {
            pins.remove(id);
            super::plex_shared::remove(app, id).await;
            return Reply::json(200, &json!({"status": "expired"}));
        }
        Ok(PinState::Done(token)) => token,
        Err(e) => {
            tracing::warn!(error = %e, "plex.tv PIN check failed");
            return Reply::json(200, &json!({"status": "pending"}));
        }
    };
    pins.remove(id);
    super::plex_shared::remove(app, id).await;
    let account = match plex.account(&token).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "plex.tv account for PIN token");
            return Reply::json(200, &json!({"status": "denied"}));
        }
    };
    let Some(admitted) = signin::admit_plex_account(app, &plex, account, req.now).await else {
        return Reply::json(200, &json!({"status": "denied"}));
    };
    if admitted.user.locked {
        return Reply::json(200, &json!({"status": "denied"}));
    }
    let user = admitted.into_signed_in(None);
    if let Some((to, cookie)) = super::second_factor::gate(app, req, &user, true, None).await {
        // The popup's page goes on to the second step.
        let mut reply = Reply::json(200, &json!({"status": "done", "rd": to}));
        reply.push(header::SET_COOKIE, cookie);
        if let Some(c) = pin_cookie(app, req, "", 0) {
            reply.push(header::SET_COOKIE, c);
        }
        return reply;
    }
    let mut reply = Reply::json(200, &json!({"status": "done"}));
    signin::start_session(app, req, user, true, &mut reply).await;
    if let Some(c) = pin_cookie(app, req, "", 0) {
        reply.push(header::SET_COOKIE, c);
    }
    reply
}
