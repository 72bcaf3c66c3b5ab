//! `{prefix}/account/security`: the signed-in user's second factors and API
//! tokens (docs/access.md): TOTP enrolment and removal, recovery codes,
//! passkeys (registered by `passkeys.js`), and API tokens for machine
//! clients (shown once at creation, revocable).
//!
//! Changing an existing factor, new recovery codes, removing a passkey and
//! creating an API token need a session that passed the second factor when
//! the user has one (the step-up page first); every change is a same-origin
//! POST.

use std::fmt::Write as _;
use std::time::Duration;

use crate::app::App;
use crate::auth::api_tokens::{NewToken, MAX_NAME};
use crate::auth::policy::needs_step_up;
use crate::auth::session::{Identity, SessionEntry};
use crate::config::SecondFactorPolicy;
use crate::reply::Reply;

use super::factor_pages;
use super::html::{escape, page};
use super::request::PortalRequest;
use super::second_factor::{self, factors, Factors, SECURITY_PATH, STEP_UP_PATH};
use super::state::Portal;
use super::totp_enrol;

type Session = (std::sync::Arc<SessionEntry>, std::sync::Arc<Identity>);

fn prefix(app: &App) -> &str {
    &app.config.portal.prefix
}

fn here(app: &App) -> String {
    format!("{}{SECURITY_PATH}", prefix(app))
}

/// The session, or the reply that sends the browser to sign in first.
fn signed_in(app: &App, req: &PortalRequest<'_>) -> Result<Session, Reply> {
    req.session(app)
        .ok_or_else(|| super::form::sign_in_first(prefix(app), &here(app)))
}

fn step_up(app: &App) -> Reply {
    Reply::redirect(
        302,
        &format!(
            "{}{STEP_UP_PATH}?rd={}",
            prefix(app),
            super::form::encode(&here(app))
        ),
    )
}

/// Handles `GET|POST {prefix}/account/security…`; `None` for another path.
pub async fn handle(portal: &Portal, req: &PortalRequest<'_>) -> Option<Reply> {
    let app = &*portal.app;
    let rest = req.path.strip_prefix(SECURITY_PATH)?;
    let get = req.method == http::Method::GET || req.method == http::Method::HEAD;
    let post = req.method == http::Method::POST;
    if !(post || (get && rest.is_empty())) {
        return Some(Reply::text(405, "method not allowed\n"));
    }
    if app.config.login.second_factor == SecondFactorPolicy::Off
        && rest != "/tokens"
        && rest != "/tokens/revoke"
        && !rest.is_empty()
    {
        return Some(Reply::text(404, "second factors are off\n"));
    }
    if post && !super::guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Some(Reply::text(403, "cross-site request refused\n"));
    }
    let session = match signed_in(app, req) {
        Ok(s) => s,
        Err(r) => return Some(r),
    };
    let has = factors(app, session.1.user_id).await;
    let gated = needs_step_up(session.0.second_factor, has.any());
    let body = &req.body[..];
    let field = |name: &str| super::form::get(body, name).unwrap_or_default();
    Some(match rest {
        "" => render(portal, req, &session, &has, None).await,
        "/totp/start" if gated => step_up(app),
        "/totp/start" => {
            let secret = portal.factors.enrolment(session.1.user_id, req.now);
            factor_pages::enrol_from_account(app, &session.1.username, &secret, None)
        }
        "/totp/confirm" => confirm(portal, req, &session, &field("code"), gated).await,
        "/totp/remove" | "/recovery" | "/passkeys/delete" | "/tokens" if gated => step_up(app),
        "/totp/remove" => {
            let id = session.1.user_id;
            let r = app.store.call(move |s| s.delete_totp(id)).await;
            app.store_health.record(&r);
            tracing::info!(user = %session.1.username, "TOTP removed");
            Reply::redirect(303, &here(app))
        }
        "/recovery" => match totp_enrol::regenerate_recovery(app, session.1.user_id).await {
            Some(codes) => Reply::html(200, factor_pages::recovery_codes(&codes, &here(app))),
            None => Reply::text(500, "internal error\n"),
        },
        "/passkeys/delete" => {
            let (uid, id) = (session.1.user_id, field("id").parse::<i64>().unwrap_or(0));
            let r = app.store.call(move |s| s.delete_passkey(uid, id)).await;
            app.store_health.record(&r);
            Reply::redirect(303, &here(app))
        }
        "/tokens" => create_token(portal, req, &session, &has, body).await,
        "/tokens/revoke" => {
            let (uid, id) = (session.1.user_id, field("id").parse::<i64>().unwrap_or(0));
            let (tokens, store) = (app.api_tokens.clone(), app.store.clone());
            let r = tokio::task::spawn_blocking(move || tokens.revoke(&store, id, Some(uid)))
                .await
                .unwrap_or(Ok(false));
            if matches!(r, Ok(true)) {
                tracing::info!(user = %session.1.username, token = id, "API token revoked");
            }
            Reply::redirect(303, &here(app))
        }
        _ => Reply::html(
            404,
            super::html::message("Not found", "There is no such page."),
        ),
    })
}

async fn confirm(
    portal: &Portal,
    req: &PortalRequest<'_>,
    session: &Session,
    code: &str,
    gated: bool,
) -> Reply {
    let app = &*portal.app;
    if gated {
        return step_up(app);
    }
    let (uid, name) = (session.1.user_id, session.1.username.as_str());
    match totp_enrol::confirm(app, &portal.factors, req, uid, name, code).await {
        Some(codes) => {
            let mut reply = Reply::html(200, factor_pages::recovery_codes(&codes, &here(app)));
            second_factor::rotate_verified(app, req, &mut reply).await;
            reply
        }
        None => {
            let secret = portal.factors.enrolment(uid, req.now);
            factor_pages::enrol_from_account(
                app,
                name,
                &secret,
                Some("Wrong code: check the time on your phone and try again."),
            )
        }
    }
}

/// The route names API tokens may name: routes with `machine_clients`.
fn machine_routes(app: &App) -> Vec<&str> {
    app.config
        .routes
        .iter()
        .filter(|r| r.access.machine_clients)
        .map(|r| r.name.as_str())
        .collect()
}

async fn create_token(
    portal: &Portal,
    req: &PortalRequest<'_>,
    session: &Session,
    has: &Factors,
    body: &[u8],
) -> Reply {
    let app = &*portal.app;
    let name = super::form::get(body, "name").unwrap_or_default();
    let name = name.trim();
    let routes: Vec<String> = super::form::get(body, "routes")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    let days = super::form::get(body, "days").unwrap_or_default();
    let known = machine_routes(app);
    let error = if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        Some("Give the token a name (at most 100 characters).".to_string())
    } else if let Some(bad) = routes.iter().find(|r| !known.contains(&r.as_str())) {
        Some(format!(
            "{bad:?} is not a route that accepts API tokens (machine_clients = true)."
        ))
    } else if !days.trim().is_empty() && days.trim().parse::<u32>().is_err() {
        Some("Expiry is a number of days (empty = never).".to_string())
    } else {
        None
    };
    if let Some(e) = error {
        let mut r = render(portal, req, session, has, Some(&e)).await;
        r.status = 400;
        return r;
    }
    let lifetime = days
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|d| *d > 0)
        .map(|d| Duration::from_secs(d.saturating_mul(86_400)));
    let new = NewToken {
        name: name.to_string(),
        routes,
        lifetime,
    };
    let (tokens, store, uid, now) = (
        app.api_tokens.clone(),
        app.store.clone(),
        session.1.user_id,
        req.now,
    );
    let created = tokio::task::spawn_blocking(move || tokens.create(&store, uid, &new, now))
        .await
        .map_err(|e| crate::store::StoreError::Corrupt("token task".into(), e.to_string()))
        .and_then(|r| r);
    app.store_health.record(&created);
    match created {
        Ok((token, row)) => {
            tracing::info!(user = %session.1.username, token = row.id, "API token created");
            let body = format!(
                "<h1>API token created</h1><p>Copy it now: it is shown only once.</p>\
<p><input type=\"text\" id=\"api-token\" readonly value=\"{}\"></p>\
<p class=\"muted\">Send it as <code>Authorization: Bearer TOKEN</code>, or as the password of Basic auth with your user name.</p>\
<a class=\"button\" href=\"{}\">Back</a>",
                escape(&token),
                escape(&here(app))
            );
            Reply::html(201, page("API token created", false, &body))
        }
        Err(e) => {
            tracing::error!(error = %e, "API token not created");
            Reply::text(500, "internal error\n")
        }
    }
}

async fn render(
    portal: &Portal,
    req: &PortalRequest<'_>,
    session: &Session,
    has: &Factors,
    error: Option<&str>,
) -> Reply {
    let app = &*portal.app;
    let p = escape(prefix(app));
    let uid = session.1.user_id;
    let listed = app
        .store
        .call(move |s| Ok((s.passkeys_of(uid)?, s.api_tokens_of(uid)?)))
        .await;
    let (passkeys, tokens) = listed.unwrap_or_default();
    let factors_on = app.config.login.second_factor != SecondFactorPolicy::Off;
    let mut b = String::with_capacity(4096);
    let _ = write!(
        b,
        "<nav><h1>Security</h1><a href=\"{p}/\">Home</a></nav><p>Signed in as <strong id=\"user\">{}</strong>{}.</p>",
        escape(&session.1.username),
        if session.0.second_factor { " with a second factor" } else { "" }
    );
    if let Some(e) = error {
        let _ = write!(b, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    if factors_on {
        b.push_str("<h2>Authenticator app (TOTP)</h2>");
        if has.totp {
            let _ = write!(
                b,
                "<p id=\"totp-status\">On. {} unused recovery codes.</p>\
<form method=\"post\" action=\"{p}/account/security/recovery\" style=\"display:inline\"><button type=\"submit\" id=\"new-recovery\">New recovery codes</button></form> \
<form method=\"post\" action=\"{p}/account/security/totp/remove\" style=\"display:inline\"><button type=\"submit\" id=\"remove-totp\">Remove</button></form>",
                has.recovery_codes
            );
        } else {
            let _ = write!(
                b,
                "<p id=\"totp-status\">Off.</p><form method=\"post\" action=\"{p}/account/security/totp/start\">\
<button type=\"submit\" id=\"start-totp\">Set up</button></form>"
            );
        }
        b.push_str("<h2>Passkeys</h2>");
        if passkeys.is_empty() {
            b.push_str("<p id=\"passkeys-none\">None.</p>");
        } else {
            b.push_str("<table id=\"passkeys\"><tr><th>name</th><th>added</th><th></th></tr>");
            for k in &passkeys {
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td><form method=\"post\" action=\"{p}/account/security/passkeys/delete\">\
<input type=\"hidden\" name=\"id\" value=\"{}\"><button type=\"submit\">Remove</button></form></td></tr>",
                    escape(&k.name),
                    date(k.created),
                    k.id
                );
            }
            b.push_str("</table>");
        }
        if portal.factors.webauthn.is_some() {
            b.push_str(&factor_pages::register_button(prefix(app)));
        } else {
            b.push_str("<p class=\"muted\">Passkeys need the gateway to be reached by a host name (public_url).</p>");
        }
    }
    b.push_str("<h2>API tokens</h2>");
    let machine = machine_routes(app);
    if machine.is_empty() {
        b.push_str("<p class=\"muted\">No route accepts API tokens (machine_clients = true).</p>");
    }
    if !tokens.is_empty() {
        b.push_str(
            "<table id=\"tokens\"><tr><th>name</th><th>routes</th><th>expires</th><th></th></tr>",
        );
        for t in &tokens {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><form method=\"post\" action=\"{p}/account/security/tokens/revoke\">\
<input type=\"hidden\" name=\"id\" value=\"{}\"><button type=\"submit\" id=\"revoke-{}\">Revoke</button></form></td></tr>",
                escape(&t.name),
                escape(&if t.routes.is_empty() { "all".to_string() } else { t.routes.join(", ") }),
                t.expires.map_or_else(|| "never".to_string(), date),
                t.id,
                t.id
            );
        }
        b.push_str("</table>");
    }
    if !machine.is_empty() {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"{p}/account/security/tokens\">\
<label for=\"token-name\">Name</label><input type=\"text\" id=\"token-name\" name=\"name\" maxlength=\"100\" required>\
<label for=\"token-routes\">Routes (comma-separated; empty = all of: {})</label><input type=\"text\" id=\"token-routes\" name=\"routes\">\
<label for=\"token-days\">Expires after (days; empty = never)</label><input type=\"text\" id=\"token-days\" name=\"days\" inputmode=\"numeric\">\
<button type=\"submit\" id=\"create-token\">Create token</button></form>",
            escape(&machine.join(", "))
        );
    }
    let _ = req;
    Reply::html(200, page("Security", true, &b))
}

/// `YYYY-MM-DD` of Unix seconds (UTC).
fn date(secs: i64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    httpdate::fmt_http_date(t)
        .get(5..16)
        .unwrap_or("")
        .to_string()
}
