//! `{prefix}/admin/sessions`: every live session (user, client address,
//! user agent, started, last seen, remember-me), and ending one or all of
//! a user's. An ended session is removed from the in-memory table at once
//! (its next request is signed out) and then from the store; when the
//! store refuses, the deletion is queued like a failed sign-out
//! (`App::pending_logouts`) and retried by the upkeep.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use maud::{html, Markup};

use crate::app::App;
use crate::reply::Reply;

use super::layout::{self, when, Section};
use super::rules;
use super::Cx;

/// One live session as the pages show it.
#[derive(Debug, Clone)]
pub struct Row {
    /// The token hash, hex: names the session in forms (it is not the
    /// cookie and cannot be turned into one).
    pub id: String,
    pub hash: [u8; 32],
    pub user_id: i64,
    pub username: String,
    pub group: u16,
    pub client_ip: String,
    pub user_agent: String,
    pub created: u64,
    pub last_seen: u64,
    pub remember: bool,
    pub second_factor: bool,
}

/// The live sessions, of one user or of everyone, newest first.
pub async fn live_rows(app: &App, now: SystemTime, user: Option<i64>) -> Vec<Row> {
    let entries = match user {
        Some(id) => app.sessions.live_of_user(id, now),
        None => app.sessions.live_entries(now),
    };
    let clients = app
        .store
        .call(|s| s.session_clients())
        .await
        .map_err(|e| tracing::error!(error = %e, "session clients not read"))
        .unwrap_or_default();
    let mut rows: Vec<Row> = entries
        .into_iter()
        .map(|(hash, e)| {
            let who = app.sessions.identity(e.user_id);
            let client = clients.get(&hash).cloned().unwrap_or_default();
            Row {
                id: hex::encode(hash),
                hash,
                user_id: e.user_id,
                username: who
                    .as_ref()
                    .map_or_else(String::new, |i| i.username.clone()),
                group: who.as_ref().map_or(crate::groups::GUEST, |i| i.group),
                client_ip: client.client_ip,
                user_agent: client.user_agent,
                created: e.created,
                last_seen: e.last_seen.load(Ordering::Relaxed),
                remember: e.remember,
                second_factor: e.second_factor,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    rows
}

/// [`live_rows`] for an admin page.
pub async fn rows(cx: &Cx<'_, '_>, user: Option<i64>) -> Vec<Row> {
    live_rows(cx.app, cx.req.now, user).await
}

fn secs(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

/// The sessions table with an "End" button per session the actor may end.
pub fn table(cx: &Cx<'_, '_>, rows: &[Row], from_user: Option<i64>) -> Markup {
    let p = cx.prefix();
    html! {
        @if rows.is_empty() {
            p.muted id="no-sessions" { "No live session." }
        } @else {
            table id="sessions" {
                tr { th { "user" } th { "client" } th { "user agent" } th { "started" } th { "last seen" } th { "remember me" } th {} }
                @for r in rows {
                    tr data-session=(r.id) data-user=(r.username) {
                        td { a href={ (p) "/admin/users/" (r.user_id) } { (r.username) } }
                        td { (r.client_ip) }
                        td { (r.user_agent) }
                        td { (when(secs(r.created))) }
                        td { (when(secs(r.last_seen))) }
                        td { @if r.remember { "yes" } @else { "no" } }
                        td {
                            @if rules::may_manage(cx.identity.group, r.group).is_ok() {
                                form method="post" action={ (p) "/admin/sessions/revoke" } {
                                    input type="hidden" name="id" value=(r.id);
                                    @if let Some(u) = from_user {
                                        input type="hidden" name="from" value=(u);
                                    }
                                    button type="submit" class="revoke" { "End" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Ends sessions: memory at once, then the store; `true` when the store
/// has it, `false` when the deletion was queued for retry.
pub async fn end(app: &App, hashes: Vec<[u8; 32]>) -> bool {
    if hashes.is_empty() {
        return true;
    }
    for h in &hashes {
        app.sessions.forget(h);
    }
    let batch = hashes.clone();
    let outcome = app.store.call(move |s| s.delete_sessions(&batch)).await;
    app.store_health.record(&outcome);
    match outcome {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(error = %e, "session end not stored; retrying in the background");
            if let Ok(mut q) = app.pending_logouts.lock() {
                q.extend(hashes);
            }
            false
        }
    }
}

/// Ends every session of a user (memory at once, then the store).
pub async fn end_user(app: &App, user_id: i64) -> bool {
    let mut gone = app.sessions.forget_user(user_id);
    // Sessions in the store that memory no longer holds (expired, idle)
    // go too.
    let outcome = app
        .store
        .call(move |s| s.delete_user_sessions(user_id))
        .await;
    app.store_health.record(&outcome);
    match outcome {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(error = %e, "session end not stored; retrying in the background");
            if let Ok(mut q) = app.pending_logouts.lock() {
                q.append(&mut gone);
            }
            false
        }
    }
}

/// `GET /admin/sessions`.
pub async fn list(cx: &Cx<'_, '_>) -> Reply {
    let all = rows(cx, None).await;
    let body = html! {
        p.muted { (all.len()) " live sessions." }
        (table(cx, &all, None))
    };
    let notice = layout::notice(cx.req.query_param("done").as_deref());
    Reply::html(
        200,
        layout::page(cx.prefix(), Section::Sessions, "Sessions", notice, &body),
    )
}

/// `POST /admin/sessions/revoke`: `id` (the hex token hash), optional
/// `from` (a user id: back to that user's page).
pub async fn revoke(cx: &Cx<'_, '_>) -> Reply {
    let from = cx.field("from").parse::<i64>().ok();
    let back = match from {
        Some(u) => format!("/admin/users/{u}"),
        None => "/admin/sessions".to_string(),
    };
    let back_abs = format!("{}{back}", cx.prefix());
    let hash = hex::decode(cx.field("id"))
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
    let Some(hash) = hash else {
        return cx.bad_input(Section::Sessions, "No such session.", &back_abs);
    };
    let found = cx
        .app
        .sessions
        .live_entries(cx.req.now)
        .into_iter()
        .find(|(h, _)| *h == hash);
    let Some((_, entry)) = found else {
        return cx.bad_input(
            Section::Sessions,
            "That session has already ended.",
            &back_abs,
        );
    };
    let who = cx.app.sessions.identity(entry.user_id);
    let (name, group) = who
        .as_ref()
        .map_or((String::new(), crate::groups::GUEST), |i| {
            (i.username.clone(), i.group)
        });
    if let Err(r) = rules::may_manage(cx.identity.group, group) {
        return cx.refuse(
            Section::Sessions,
            "end session",
            &name,
            r.reason(),
            &back_abs,
        );
    }
    end(cx.app, vec![hash]).await;
    super::audit::done(&cx.actor(), "end session", &name);
    cx.see_other(&format!("{back}?done=revoked"))
}
