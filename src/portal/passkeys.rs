//! Passkeys (WebAuthn, through `webauthn-rs`): JSON endpoints for
//! `static/passkeys.js` under `{prefix}/passkeys/`:
//!
//! - `register/start`, `register/finish`: a signed-in user adds a passkey
//!   (several per user; a credential registered to anyone is refused);
//! - `auth/start`, `auth/finish`: a half-signed-in user (`auth::pending`)
//!   proves one of their passkeys as the second factor;
//! - `login/start`, `login/finish`: passwordless sign-in with a
//!   discoverable passkey; the passkey must belong to the user its handle
//!   names (a passkey of another user is refused).
//!
//! Each start binds its challenge to the browser (cookie
//! `gatehouse_webauthn`, five minutes, used once). Failures count toward
//! the user's and the IP's ban like wrong passwords. Every POST must be
//! same-origin and JSON.

use http::header;
use serde_json::{json, Value};
use webauthn_rs::prelude::{
    Passkey, PublicKeyCredential, RegisterPublicKeyCredential, Uuid, Webauthn,
};

use crate::app::App;
use crate::auth::pending::Purpose;
use crate::reply::Reply;

use super::cookies::{self, WEBAUTHN_COOKIE};
use super::factor_state::{Ceremony, CEREMONY_TTL};
use super::request::PortalRequest;
use super::second_factor::{self, cookie_value, factors, home_or_default, pending_of};
use super::signin::SignedIn;
use super::state::Portal;

fn refuse(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({ "error": message }))
}

fn json_post(app: &App, req: &PortalRequest<'_>) -> bool {
    let json_type = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    json_type && super::guard::same_origin(req.headers, req.host, &app.config.server.public_url)
}

/// Handles `POST {prefix}/passkeys/…`; `None` for another path.
pub async fn handle(portal: &Portal, req: &PortalRequest<'_>) -> Option<Reply> {
    let action = req.path.strip_prefix("/passkeys/")?;
    let app = &*portal.app;
    if req.method != http::Method::POST {
        return Some(Reply::text(405, "method not allowed\n"));
    }
    let Some(webauthn) = portal.factors.webauthn.as_ref() else {
        return Some(refuse(404, "passkeys are not available here"));
    };
    if !json_post(app, req) {
        return Some(refuse(403, "cross-site or non-JSON request refused"));
    }
    Some(match action {
        "register/start" => register_start(portal, webauthn, req).await,
        "register/finish" => register_finish(portal, webauthn, req).await,
        "auth/start" => auth_start(portal, webauthn, req).await,
        "auth/finish" => auth_finish(portal, webauthn, req).await,
        "login/start" => login_start(portal, webauthn, req),
        "login/finish" => login_finish(portal, webauthn, req).await,
        _ => refuse(404, "no such passkey action"),
    })
}

/// A JSON reply carrying a new ceremony's cookie.
fn with_ceremony(app: &App, req: &PortalRequest<'_>, body: Value, nonce: &str) -> Reply {
    let mut reply = Reply::json(200, &body);
    let prefix = &app.config.portal.prefix;
    if let Some(c) = cookies::portal_only(
        WEBAUTHN_COOKIE,
        prefix,
        nonce,
        CEREMONY_TTL,
        req.secure(app),
        req.now,
    ) {
        reply.push(header::SET_COOKIE, c);
    }
    reply
}

fn take_ceremony(portal: &Portal, req: &PortalRequest<'_>) -> Option<Ceremony> {
    let nonce = cookie_value(req, WEBAUTHN_COOKIE)?;
    portal.factors.finish(nonce, req.now)
}

fn body_json(req: &PortalRequest<'_>) -> Option<Value> {
    serde_json::from_slice(&req.body).ok()
}

fn user_passkeys(rows: &[crate::store::PasskeyRow]) -> Vec<Passkey> {
    rows.iter()
        .filter_map(|r| serde_json::from_str(&r.passkey).ok())
        .collect()
}

async fn register_start(portal: &Portal, webauthn: &Webauthn, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let Some((entry, identity)) = req.session(app) else {
        return refuse(401, "not signed in");
    };
    let has = factors(app, identity.user_id).await;
    if crate::auth::policy::needs_step_up(entry.second_factor, has.any()) {
        return refuse(403, "sign in with your second factor first (step-up)");
    }
    let uid = identity.user_id;
    let mut fresh = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
    let known = app
        .store
        .call(move |s| Ok((s.webauthn_handle(uid, fresh)?, s.passkeys_of(uid)?)))
        .await;
    let Ok((handle, rows)) = known else {
        return refuse(500, "store unavailable");
    };
    let exclude = user_passkeys(&rows)
        .iter()
        .map(|p| p.cred_id().clone())
        .collect();
    let started = webauthn.start_passkey_registration(
        Uuid::from_bytes(handle),
        &identity.username,
        &identity.username,
        Some(exclude),
    );
    let Ok((ccr, state)) = started else {
        return refuse(500, "registration not started");
    };
    let Ok(mut body) = serde_json::to_value(&ccr) else {
        return refuse(500, "registration not started");
    };
    // A discoverable credential, so the same passkey also signs in without
    // a password (the server state does not depend on this preference).
    if let Some(sel) = body.pointer_mut("/publicKey/authenticatorSelection") {
        sel["residentKey"] = json!("preferred");
        sel["requireResidentKey"] = json!(false);
    }
    let nonce = portal.factors.begin(
        Ceremony::Register {
            user_id: uid,
            state: Box::new(state),
        },
        req.now,
    );
    with_ceremony(app, req, body, &nonce)
}

async fn register_finish(portal: &Portal, webauthn: &Webauthn, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let Some((_, identity)) = req.session(app) else {
        return refuse(401, "not signed in");
    };
    let Some(Ceremony::Register { user_id, state }) = take_ceremony(portal, req) else {
        return refuse(400, "no registration in progress");
    };
    if user_id != identity.user_id {
        return refuse(400, "no registration in progress");
    }
    let body = body_json(req).unwrap_or(Value::Null);
    let name: String = body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("passkey")
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let Some(credential) = body
        .get("credential")
        .and_then(|c| serde_json::from_value::<RegisterPublicKeyCredential>(c.clone()).ok())
    else {
        return refuse(400, "credential missing or malformed");
    };
    let passkey = match webauthn.finish_passkey_registration(&credential, &state) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(user = %identity.username, error = %e, "passkey registration refused");
            return refuse(400, "passkey refused");
        }
    };
    let Ok(serialized) = serde_json::to_string(&passkey) else {
        return refuse(500, "passkey not stored");
    };
    let cred_id = passkey.cred_id().to_vec();
    let (now, name) = (
        req.now,
        if name.is_empty() {
            "passkey".to_string()
        } else {
            name
        },
    );
    let stored = app
        .store
        .call(move |s| s.add_passkey(user_id, &cred_id, &name, &serialized, now))
        .await;
    app.store_health.record(&stored);
    if stored.is_err() {
        return refuse(409, "this passkey is already registered");
    }
    tracing::info!(user = %identity.username, "passkey registered");
    let mut reply = Reply::json(200, &json!({ "ok": true }));
    second_factor::rotate_verified(app, req, &mut reply).await;
    reply
}

async fn auth_start(portal: &Portal, webauthn: &Webauthn, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let Some((_, pending)) = pending_of(app, req) else {
        return refuse(401, "sign in with your password first");
    };
    if pending.purpose == Purpose::Enrol {
        return refuse(400, "set up an authenticator app first");
    }
    let uid = pending.user_id;
    let rows = app
        .store
        .call(move |s| s.passkeys_of(uid))
        .await
        .unwrap_or_default();
    let keys = user_passkeys(&rows);
    if keys.is_empty() {
        return refuse(400, "no passkey registered");
    }
    let Ok((rcr, state)) = webauthn.start_passkey_authentication(&keys) else {
        return refuse(500, "passkey check not started");
    };
    let Ok(body) = serde_json::to_value(&rcr) else {
        return refuse(500, "passkey check not started");
    };
    let nonce = portal.factors.begin(
        Ceremony::SecondFactor {
            user_id: uid,
            state: Box::new(state),
        },
        req.now,
    );
    with_ceremony(app, req, body, &nonce)
}

/// Stores a passkey's new counter after a successful use.
async fn touch(
    app: &App,
    row: &crate::store::PasskeyRow,
    mut passkey: Passkey,
    result: &webauthn_rs::prelude::AuthenticationResult,
) {
    passkey.update_credential(result);
    if let Ok(json) = serde_json::to_string(&passkey) {
        let (id, now) = (row.id, crate::clock::now());
        let r = app
            .store
            .call(move |s| s.touch_passkey(id, &json, now))
            .await;
        app.store_health.record(&r);
    }
}

async fn auth_finish(portal: &Portal, webauthn: &Webauthn, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let Some((nonce, pending)) = pending_of(app, req) else {
        return refuse(401, "sign in with your password first");
    };
    let Some(Ceremony::SecondFactor { user_id, state }) = take_ceremony(portal, req) else {
        return refuse(400, "no passkey check in progress");
    };
    let banned = app
        .regulation
        .is_banned(&pending.username, req.client_ip, req.now);
    let credential = body_json(req).and_then(|b| {
        serde_json::from_value::<PublicKeyCredential>(b.get("credential")?.clone()).ok()
    });
    let cred_id = credential
        .as_ref()
        .map(|c| c.raw_id.to_vec())
        .unwrap_or_default();
    let row = app
        .store
        .call(move |s| s.passkey_by_credential(&cred_id))
        .await
        .ok()
        .flatten()
        .filter(|r| r.user_id == user_id && user_id == pending.user_id);
    let verified = match (&credential, &row) {
        (Some(c), Some(r)) if !banned => webauthn
            .finish_passkey_authentication(c, &state)
            .ok()
            .map(|res| (res, r.clone())),
        _ => None,
    };
    let Some((result, row)) = verified else {
        if !banned {
            second_factor::record_failure(app, &pending.username, req).await;
        }
        return refuse(401, "passkey refused");
    };
    if let Ok(passkey) = serde_json::from_str::<Passkey>(&row.passkey) {
        touch(app, &row, passkey, &result).await;
    }
    let target = pending.rd.clone().unwrap_or_else(|| home_or_default(app));
    let mut reply = Reply::json(200, &json!({ "redirect": target }));
    second_factor::complete(app, req, &nonce, &pending, &mut reply).await;
    reply
}

fn login_start(portal: &Portal, webauthn: &Webauthn, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let Ok((rcr, state)) = webauthn.start_discoverable_authentication() else {
        return refuse(500, "passkey sign-in not started");
    };
    let Ok(mut body) = serde_json::to_value(&rcr) else {
        return refuse(500, "passkey sign-in not started");
    };
    // A button press, not the autofill ("conditional") prompt.
    if let Some(o) = body.as_object_mut() {
        o.remove("mediation");
    }
    let nonce = portal.factors.begin(
        Ceremony::Passwordless {
            state: Box::new(state),
        },
        req.now,
    );
    with_ceremony(app, req, body, &nonce)
}

async fn login_finish(portal: &Portal, webauthn: &Webauthn, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let Some(Ceremony::Passwordless { state }) = take_ceremony(portal, req) else {
        return refuse(400, "no passkey sign-in in progress");
    };
    let body = body_json(req).unwrap_or(Value::Null);
    let rd = second_factor::safe_target(app, req, body.get("rd").and_then(Value::as_str));
    let Some(credential) = body
        .get("credential")
        .and_then(|c| serde_json::from_value::<PublicKeyCredential>(c.clone()).ok())
    else {
        return refuse(400, "credential missing or malformed");
    };
    let ip_key = format!("\u{0}passkey {}", req.client_ip.to_canonical());
    let Ok((handle, cred_id)) = webauthn.identify_discoverable_authentication(&credential) else {
        second_factor::record_failure(app, &ip_key, req).await;
        return refuse(401, "passkey refused");
    };
    let (handle, cred_id) = (handle.into_bytes(), cred_id.to_vec());
    let found = app
        .store
        .call(move |s| {
            let owner = s.user_by_webauthn_handle(&handle)?;
            let row = s.passkey_by_credential(&cred_id)?;
            let user = match owner {
                Some(id) => s.user_by_id(id)?,
                None => None,
            };
            Ok((user, row))
        })
        .await
        .unwrap_or((None, None));
    let (Some(user), Some(row)) = found else {
        second_factor::record_failure(app, &ip_key, req).await;
        return refuse(401, "passkey refused");
    };
    // The credential must be one of the user's own: a passkey registered by
    // someone else cannot sign in as the user its handle names.
    let banned = app.regulation.is_banned(&user.name, req.client_ip, req.now);
    let passkey = serde_json::from_str::<Passkey>(&row.passkey).ok();
    let verified = match passkey {
        Some(p) if row.user_id == user.id && !user.locked && !banned => webauthn
            .finish_discoverable_authentication_v2(&credential, *state, &p)
            .ok()
            .map(|res| (res, p)),
        _ => None,
    };
    let Some((result, passkey)) = verified else {
        if !banned {
            second_factor::record_failure(app, &user.name, req).await;
        }
        tracing::warn!(user = %user.name, client = %req.client_ip, "passkey sign-in refused");
        return refuse(401, "passkey refused");
    };
    touch(app, &row, passkey, &result).await;
    app.regulation.record_success(&user.name, req.client_ip);
    let signed = SignedIn {
        user_id: user.id,
        username: user.name.clone(),
        email: user.email.clone(),
        group: user.group,
        password: None,
        plex_token: None,
    };
    let sso = super::signin::fetch_sso(app, &signed, req.client_ip).await;
    let target = rd.unwrap_or_else(|| home_or_default(app));
    let mut reply = Reply::json(200, &json!({ "redirect": target }));
    second_factor::start_verified(app, req, user.id, &user.name, false, sso, &mut reply).await;
    reply
}
