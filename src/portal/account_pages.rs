//! `{prefix}/account`: the signed-in user's own account — change the
//! password (the current one required; the change ends the user's other
//! sessions and keeps this one, like `Store::change_password`), list the
//! user's live sessions and end one or all others. Every POST is
//! same-origin only and an audit line (`admin::audit`).

use maud::html;

use crate::app::App;
use crate::auth::password::{Verified, MAX_PASSWORD_BYTES};
use crate::auth::session::{token_hash, Identity};
use crate::reply::Reply;

use super::admin::audit::{self, Actor};
use super::admin::layout::when;
use super::admin::sessions::{end, live_rows};
use super::request::PortalRequest;
use super::second_factor::SECURITY_PATH;

/// The account page, under the portal prefix.
pub const ACCOUNT_PATH: &str = "/account";

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "password" => "Password changed. Your other sessions are signed out.",
        "ended" => "Session ended.",
        "ended-others" => "Your other sessions are signed out.",
        _ => return None,
    })
}

fn page(app: &App, title: &str, body: &maud::Markup) -> String {
    let p = &app.config.portal.prefix;
    let content = html! {
        style { (super::admin::layout::STYLE) }
        nav { h1 { (title) } span { a href={ (p) (SECURITY_PATH) } { "Security" } " " a href={ (p) "/" } { "Home" } } }
        (body)
    };
    super::html::page(title, true, &content.into_string())
}

/// Handles `GET|POST {prefix}/account…` (not `/account/security…`);
/// `None` for another path.
pub async fn handle(app: &App, req: &PortalRequest<'_>) -> Option<Reply> {
    let rest = req.path.strip_prefix(ACCOUNT_PATH)?;
    if rest.starts_with("/security") || !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let get = req.method == http::Method::GET || req.method == http::Method::HEAD;
    let post = req.method == http::Method::POST;
    let session = req.session(app);
    if post && !super::guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        let action = format!("POST /account{rest}");
        match &session {
            Some((_, who)) => audit::refused(
                &actor(who, req),
                &action,
                &who.username,
                "cross-site request",
            ),
            None => audit::refused_anonymous(req.client_ip, &action, "cross-site request"),
        }
        return Some(Reply::text(403, "cross-site request refused\n"));
    }
    let Some((_, identity)) = session else {
        let here = format!("{}{ACCOUNT_PATH}", app.config.portal.prefix);
        return Some(super::form::sign_in_first(&app.config.portal.prefix, &here));
    };
    let mine = req.session_token(app).map(token_hash)?;
    Some(match rest {
        "" | "/" if get => render(app, req, &identity, &mine, None).await,
        "/password" if post => password(app, req, &identity, &mine).await,
        "/sessions/end" if post => end_one(app, req, &identity, &mine).await,
        "/sessions/end-others" if post => end_others(app, req, &identity, &mine).await,
        _ => Reply::html(
            404,
            super::html::message("Not found", "There is no such page."),
        ),
    })
}

fn actor<'a>(who: &'a Identity, req: &PortalRequest<'_>) -> Actor<'a> {
    Actor {
        name: &who.username,
        group: who.group,
        client: req.client_ip,
    }
}

fn back(app: &App, code: &str) -> Reply {
    Reply::redirect(
        303,
        &format!("{}{ACCOUNT_PATH}?done={code}", app.config.portal.prefix),
    )
}

async fn render(
    app: &App,
    req: &PortalRequest<'_>,
    who: &Identity,
    mine: &[u8; 32],
    error: Option<&str>,
) -> Reply {
    let p = &app.config.portal.prefix;
    let rows = live_rows(app, req.now, Some(who.user_id)).await;
    let others = rows.iter().filter(|r| r.hash != *mine).count();
    let body = html! {
        p { "Signed in as " strong id="user" { (who.username) } "." }
        @if let Some(n) = notice(req.query_param("done").as_deref()) {
            p.notice role="status" id="notice" { (n) }
        }
        @if let Some(e) = error {
            p.error role="alert" id="error" { (e) }
        }
        h2 { "Change password" }
        form method="post" action={ (p) "/account/password" } {
            label for="current" { "Current password" }
            input type="password" id="current" name="current" autocomplete="current-password" required;
            label for="new" { "New password" }
            input type="password" id="new" name="new" autocomplete="new-password" required;
            button type="submit" id="change-password" { "Change password" }
        }
        h2 { "Your sessions" }
        table id="sessions" {
            tr { th { "client" } th { "user agent" } th { "started" } th { "last seen" } th {} }
            @for r in &rows {
                tr data-session=(r.id) {
                    td { (r.client_ip) }
                    td { (r.user_agent) }
                    td { (when(i64::try_from(r.created).ok())) }
                    td { (when(i64::try_from(r.last_seen).ok())) }
                    td {
                        @if r.hash == *mine {
                            span id="this-session" { "this session" }
                        } @else {
                            form method="post" action={ (p) "/account/sessions/end" } {
                                input type="hidden" name="id" value=(r.id);
                                button type="submit" class="end" { "End" }
                            }
                        }
                    }
                }
            }
        }
        @if others > 0 {
            form method="post" action={ (p) "/account/sessions/end-others" } {
                button type="submit" id="end-others" { "Sign out all other sessions" }
            }
        }
    };
    let status = if error.is_some() { 400 } else { 200 };
    Reply::html(status, page(app, "Account", &body))
}

async fn password(app: &App, req: &PortalRequest<'_>, who: &Identity, mine: &[u8; 32]) -> Reply {
    let field = |n: &str| super::form::get(&req.body, n).unwrap_or_default();
    let (current, new) = (field("current"), field("new"));
    let a = actor(who, req);
    if new.is_empty() || new.len() > MAX_PASSWORD_BYTES {
        return render(
            app,
            req,
            who,
            mine,
            Some("Give a new password (at most 1024 bytes)."),
        )
        .await;
    }
    if app
        .regulation
        .is_banned(&who.username, req.client_ip, req.now)
    {
        audit::refused(&a, "change own password", &who.username, "banned");
        return render(
            app,
            req,
            who,
            mine,
            Some("Too many failed attempts; try again later."),
        )
        .await;
    }
    let id = who.user_id;
    let stored = app
        .store
        .call(move |s| Ok(s.user_by_id(id)?.and_then(|u| u.password_hash)))
        .await
        .unwrap_or_default();
    let Some(stored) = stored else {
        audit::refused(
            &a,
            "change own password",
            &who.username,
            "no local password",
        );
        return render(
            app,
            req,
            who,
            mine,
            Some("This account has no local password (it signs in with Plex)."),
        )
        .await;
    };
    let ok = matches!(
        app.hasher.verify(&current, Some(&stored)).await,
        Ok(Verified::Ok { .. })
    );
    if !ok {
        let (regulation, store) = (app.regulation.clone(), app.store.clone());
        let (key, ip, now) = (who.username.clone(), req.client_ip, req.now);
        let _ =
            tokio::task::spawn_blocking(move || regulation.record_failure(&store, &key, ip, now))
                .await;
        audit::refused(
            &a,
            "change own password",
            &who.username,
            "wrong current password",
        );
        return render(app, req, who, mine, Some("The current password is wrong.")).await;
    }
    let hash = match app.hasher.hash(&new).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "password not hashed");
            return render(app, req, who, mine, Some("That password was refused.")).await;
        }
    };
    let (name, keep) = (who.username.clone(), *mine);
    let changed = app
        .store
        .call(move |s| s.change_password(&name, &hash, Some(&keep)))
        .await;
    app.store_health.record(&changed);
    if let Err(e) = changed {
        tracing::error!(error = %e, "password not changed");
        return Reply::text(500, "internal error\n");
    }
    for (h, _) in app.sessions.live_of_user(who.user_id, req.now) {
        if h != *mine {
            app.sessions.forget(&h);
        }
    }
    audit::done(&a, "change own password", &who.username);
    back(app, "password")
}

async fn end_one(app: &App, req: &PortalRequest<'_>, who: &Identity, mine: &[u8; 32]) -> Reply {
    let id = super::form::get(&req.body, "id").unwrap_or_default();
    let hash = hex::decode(id)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
    let own = app.sessions.live_of_user(who.user_id, req.now);
    match hash.filter(|h| own.iter().any(|(o, _)| o == h)) {
        Some(h) => {
            end(app, vec![h]).await;
            audit::done(&actor(who, req), "end own session", &who.username);
            if h == *mine {
                Reply::redirect(303, &format!("{}/login", app.config.portal.prefix))
            } else {
                back(app, "ended")
            }
        }
        None => render(app, req, who, mine, Some("That session has already ended.")).await,
    }
}

async fn end_others(app: &App, req: &PortalRequest<'_>, who: &Identity, mine: &[u8; 32]) -> Reply {
    let others: Vec<[u8; 32]> = app
        .sessions
        .live_of_user(who.user_id, req.now)
        .into_iter()
        .map(|(h, _)| h)
        .filter(|h| h != mine)
        .collect();
    end(app, others).await;
    audit::done(&actor(who, req), "end own other sessions", &who.username);
    back(app, "ended-others")
}
