//! `{prefix}/2fa`: the page of the second sign-in step (a TOTP or recovery
//! code, a passkey) and, under `second_factor = "required"`, the TOTP
//! enrolment of a user who has no second factor yet.

use crate::app::App;
use crate::auth::pending::{Pending, Purpose};
use crate::reply::Reply;

use super::factor_pages;
use super::request::PortalRequest;
use super::second_factor::{self, factors, home_or_default, pending_of};
use super::state::Portal;
use super::totp_enrol;

fn prefix(app: &App) -> &str {
    &app.config.portal.prefix
}

/// `GET {prefix}/2fa`: the code form (or, for a sign-in that must enrol,
/// the TOTP enrolment), or the way back to the sign-in page.
pub async fn code_page(portal: &Portal, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    let Some((_, pending)) = pending_of(app, req) else {
        return expired(app);
    };
    match pending.purpose {
        Purpose::Enrol => {
            let secret = portal.factors.enrolment(pending.user_id, req.now);
            factor_pages::enrol_at_sign_in(app, &pending.username, &secret, None)
        }
        _ => form(portal, &pending, None).await,
    }
}

async fn form(portal: &Portal, pending: &Pending, error: Option<&str>) -> Reply {
    let app = &*portal.app;
    let has = factors(app, pending.user_id).await;
    let passkeys = has.passkeys > 0 && portal.factors.webauthn.is_some();
    let codes = has.totp || has.recovery_codes > 0;
    let mut reply = factor_pages::code_form(prefix(app), codes, passkeys, error);
    if error.is_some() {
        reply.status = 401;
    }
    reply
}

fn expired(app: &App) -> Reply {
    Reply::html(
        401,
        factor_pages::message_with_link(
            "Sign in again",
            "This sign-in step expired (five minutes) or was opened in another browser.",
            &format!("{}/login", prefix(app)),
            "Sign in",
        ),
    )
}

/// `POST {prefix}/2fa` (same-origin): checks the code and starts the
/// session; a wrong code shows the form again.
pub async fn code_post(portal: &Portal, req: &PortalRequest<'_>) -> Reply {
    let app = &*portal.app;
    if !super::guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        return Reply::text(403, "cross-site request refused\n");
    }
    let Some((nonce, pending)) = pending_of(app, req) else {
        return expired(app);
    };
    let code = super::form::get(&req.body, "code").unwrap_or_default();
    let target = pending.rd.clone().unwrap_or_else(|| home_or_default(app));
    if pending.purpose == Purpose::Enrol {
        let confirmed = totp_enrol::confirm(
            app,
            &portal.factors,
            req,
            pending.user_id,
            &pending.username,
            &code,
        )
        .await;
        let Some(codes) = confirmed else {
            let secret = portal.factors.enrolment(pending.user_id, req.now);
            return factor_pages::enrol_at_sign_in(
                app,
                &pending.username,
                &secret,
                Some("Wrong code: check the time on your phone and try again."),
            );
        };
        let mut reply = Reply::html(200, factor_pages::recovery_codes(&codes, &target));
        second_factor::complete(app, req, &nonce, &pending, &mut reply).await;
        return reply;
    }
    if second_factor::verify_code(app, req, pending.user_id, &pending.username, &code).await {
        let mut reply = Reply::redirect(302, &target);
        second_factor::complete(app, req, &nonce, &pending, &mut reply).await;
        return reply;
    }
    form(portal, &pending, Some("Wrong or already used code.")).await
}
