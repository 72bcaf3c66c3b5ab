//! `{prefix}/admin/users`: the user list with search, one user's page, and
//! the changes (add, group, lock/unlock, new password, delete, sign out
//! everywhere). A change reaches the user's live sessions at once: the
//! in-memory session table is updated (`refresh_user`, `forget_user`) in
//! the same step as the store.

use std::collections::HashMap;

use maud::{html, Markup};

use crate::auth::password::MAX_PASSWORD_BYTES;
use crate::groups;
use crate::reply::Reply;
use crate::store::{StoreError, User};

use super::layout::{self, when, Section};
use super::rules;
use super::sessions;
use super::Cx;

/// Longest user name accepted.
const MAX_NAME: usize = 256;

/// The groups `actor` may grant, `(number, name)`: the built-in ones, the
/// `[groups]` table's, and `current` when it is an unnamed custom number.
fn group_choices(cx: &Cx<'_, '_>, current: Option<u16>) -> Vec<(u16, String)> {
    let names = &cx.app.config.groups;
    let mut out: Vec<(u16, String)> = (groups::ADMIN..=groups::USER)
        .map(|g| (g, names.name(g).into_owned()))
        .chain(names.custom().map(|(n, g)| (g, n.to_string())))
        .collect();
    if let Some(c) = current {
        if !out.iter().any(|(g, _)| *g == c) {
            out.push((c, names.name(c).into_owned()));
        }
    }
    out.retain(|(g, _)| rules::may_grant(cx.identity.group, *g).is_ok() || Some(*g) == current);
    out.sort_by_key(|(g, _)| *g);
    out
}

fn group_select(cx: &Cx<'_, '_>, id: &str, current: Option<u16>) -> Markup {
    html! {
        select id=(id) name="group" {
            @for (g, name) in group_choices(cx, current) {
                option value=(g) selected[Some(g) == current] { (name) " (" (g) ")" }
            }
        }
    }
}

/// The group label of a user: name and number.
fn group_label(cx: &Cx<'_, '_>, group: u16) -> String {
    format!("{} ({group})", cx.app.config.groups.name(group))
}

/// `GET /admin/users?q=`.
pub async fn list(cx: &Cx<'_, '_>) -> Reply {
    let q = cx.req.query_param("q").unwrap_or_default();
    let needle = q.trim().to_lowercase();
    let listed = cx
        .app
        .store
        .call(|s| Ok((s.list_users()?, s.last_signins()?)))
        .await;
    let (mut users, last) = match listed {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "users not listed");
            return Reply::text(500, "internal error\n");
        }
    };
    if !needle.is_empty() {
        users.retain(|u| {
            u.name.to_lowercase().contains(&needle) || u.email.to_lowercase().contains(&needle)
        });
    }
    let counts = session_counts(cx);
    let p = cx.prefix();
    let body = html! {
        form method="get" action={ (p) "/admin/users" } {
            label for="q" { "Search (name or e-mail)" }
            input type="text" id="q" name="q" value=(q);
            button type="submit" id="search" { "Search" }
        }
        table id="users" {
            tr { th { "name" } th { "e-mail" } th { "group" } th { "locked" } th { "last sign-in" } th { "sessions" } th { "Plex" } }
            @for u in &users {
                tr data-user=(u.name) {
                    td { a href={ (p) "/admin/users/" (u.id) } { (u.name) } }
                    td { (u.email) }
                    td { (group_label(cx, u.group)) }
                    td { @if u.locked { "locked" } }
                    td { (when(last.get(&u.id).copied())) }
                    td { (counts.get(&u.id).copied().unwrap_or(0)) }
                    td { @if let Some(id) = u.plex_id { (id) } }
                }
            }
        }
        @if users.is_empty() { p.muted { "No user matches." } }
        h2 { "Add a user" }
        form method="post" action={ (p) "/admin/users/add" } {
            label for="new-name" { "Name" }
            input type="text" id="new-name" name="name" required maxlength="256";
            label for="new-email" { "E-mail" }
            input type="email" id="new-email" name="email";
            label for="new-group" { "Group" }
            (group_select(cx, "new-group", Some(groups::USER)))
            label for="new-password" { "Password" }
            input type="password" id="new-password" name="password" autocomplete="new-password" required;
            button type="submit" id="add-user" { "Add user" }
        }
    };
    let notice = layout::notice(cx.req.query_param("done").as_deref());
    Reply::html(200, layout::page(p, Section::Users, "Users", notice, &body))
}

/// Live sessions per user id.
fn session_counts(cx: &Cx<'_, '_>) -> HashMap<i64, usize> {
    let mut counts = HashMap::new();
    for (_, e) in cx.app.sessions.live_entries(cx.req.now) {
        *counts.entry(e.user_id).or_insert(0) += 1;
    }
    counts
}

/// `POST /admin/users/add`: name, email, group, password.
pub async fn add(cx: &Cx<'_, '_>) -> Reply {
    let back = format!("{}/admin/users", cx.prefix());
    let name = cx.field("name").trim().to_string();
    let email = cx.field("email").trim().to_string();
    let password = cx.field("password");
    let Some(group) = parse_group(cx, &cx.field("group")) else {
        return cx.bad_input(Section::Users, "Unknown group.", &back);
    };
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return cx.bad_input(
            Section::Users,
            "A user name is 1 to 256 characters, without control characters.",
            &back,
        );
    }
    if email.chars().any(char::is_control) || email.len() > MAX_NAME {
        return cx.bad_input(Section::Users, "That e-mail address is not valid.", &back);
    }
    let action = format!("add user (group {group})");
    if let Err(r) = rules::may_grant(cx.identity.group, group) {
        return cx.refuse(Section::Users, &action, &name, r.reason(), &back);
    }
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return cx.bad_input(
            Section::Users,
            "Give a password (at most 1024 bytes).",
            &back,
        );
    }
    let hash = match cx.app.hasher.hash(&password).await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "password not hashed");
            return Reply::text(500, "internal error\n");
        }
    };
    let (n, em, now) = (name.clone(), email.clone(), cx.req.now);
    let added = cx
        .app
        .store
        .call(move |s| s.add_user(&n, &em, group, Some(&hash), None, now))
        .await;
    cx.app.store_health.record(&added);
    match added {
        Ok(u) => {
            super::audit::done(&cx.actor(), &action, &u.name);
            cx.see_other(&format!("/admin/users/{}?done=added", u.id))
        }
        Err(StoreError::DuplicateName(_)) => cx.bad_input(
            Section::Users,
            "A user with that name already exists (names are compared case-insensitively).",
            &back,
        ),
        Err(e) => {
            tracing::error!(error = %e, "user not added");
            Reply::text(500, "internal error\n")
        }
    }
}

/// A group by name or number, a real group only (0–997).
fn parse_group(cx: &Cx<'_, '_>, text: &str) -> Option<u16> {
    cx.app
        .config
        .groups
        .parse(text)
        .filter(|g| *g < groups::MEMBER)
}

/// `/admin/users/{id}` (GET) and `/admin/users/{id}/{action}` (POST).
pub async fn one(cx: &Cx<'_, '_>, rest: &str, get: bool, post: bool) -> Reply {
    let (id, action) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(id) = id.parse::<i64>() else {
        return not_found(cx);
    };
    let found = cx.app.store.call(move |s| s.user_by_id(id)).await;
    let user = match found {
        Ok(Some(u)) => u,
        Ok(None) => return not_found(cx),
        Err(e) => {
            tracing::error!(error = %e, "user not read");
            return Reply::text(500, "internal error\n");
        }
    };
    match action {
        "" if get => page(cx, &user).await,
        "group" | "lock" | "unlock" | "password" | "delete" | "revoke" if post => {
            change(cx, &user, action).await
        }
        _ => Reply::text(405, "method not allowed\n"),
    }
}

fn not_found(cx: &Cx<'_, '_>) -> Reply {
    Reply::html(
        404,
        layout::message(
            cx.prefix(),
            Section::Users,
            "Not found",
            "There is no such user.",
            &format!("{}/admin/users", cx.prefix()),
        ),
    )
}

/// One user's page: details, live sessions, the change forms.
async fn page(cx: &Cx<'_, '_>, u: &User) -> Reply {
    let id = u.id;
    let last = cx
        .app
        .store
        .call(move |s| Ok(s.last_signins()?.get(&id).copied()))
        .await
        .unwrap_or_default();
    let live = sessions::rows(cx, Some(u.id)).await;
    let p = cx.prefix();
    let base = format!("{p}/admin/users/{}", u.id);
    let manageable = rules::may_manage(cx.identity.group, u.group).is_ok();
    let body = html! {
        table id="user" {
            tr { th { "name" } td id="user-name" { (u.name) } }
            tr { th { "e-mail" } td { (u.email) } }
            tr { th { "group" } td id="user-group" { (group_label(cx, u.group)) } }
            tr { th { "locked" } td id="user-locked" { @if u.locked { "yes" } @else { "no" } } }
            tr { th { "last sign-in" } td { (when(last)) } }
            tr { th { "live sessions" } td id="user-sessions" { (live.len()) } }
            tr { th { "Plex account" } td { @if let Some(pid) = u.plex_id { (pid) } @else { "not linked" } } }
            tr { th { "created" } td { (when(Some(u.created))) } }
        }
        @if !manageable {
            p.muted id="read-only" { "Co-admins manage users of group 2 and above only." }
        }
        h2 { "Sessions" }
        (sessions::table(cx, &live, Some(u.id)))
        @if manageable {
            @if !live.is_empty() {
                form method="post" action={ (base) "/revoke" } {
                    button type="submit" id="revoke-all" { "Sign out everywhere" }
                }
            }
            h2 { "Change" }
            form method="post" action={ (base) "/group" } {
                label for="group" { "Group" }
                (group_select(cx, "group", Some(u.group)))
                button type="submit" id="change-group" { "Change group" }
            }
            @if u.locked {
                form method="post" action={ (base) "/unlock" } {
                    button type="submit" id="unlock" { "Unlock" }
                }
            } @else {
                form method="post" action={ (base) "/lock" } {
                    button type="submit" id="lock" { "Lock" }
                }
            }
            form method="post" action={ (base) "/password" } {
                label for="password" { "New password" }
                input type="password" id="password" name="password" autocomplete="new-password" required;
                button type="submit" id="set-password" { "Set password" }
            }
            form method="post" action={ (base) "/delete" } {
                button type="submit" id="delete" { "Delete user" }
            }
        }
    };
    let notice = layout::notice(cx.req.query_param("done").as_deref());
    Reply::html(
        200,
        layout::page(
            p,
            Section::Users,
            &format!("User {}", u.name),
            notice,
            &body,
        ),
    )
}

/// One change to an existing user, after the co-admin and last-admin rules.
async fn change(cx: &Cx<'_, '_>, u: &User, action: &str) -> Reply {
    let back = format!("{}/admin/users/{}", cx.prefix(), u.id);
    let new_group = if action == "group" {
        match parse_group(cx, &cx.field("group")) {
            Some(g) => Some(g),
            None => return cx.bad_input(Section::Users, "Unknown group.", &back),
        }
    } else {
        None
    };
    let what = match new_group {
        Some(g) => format!("group {} -> {g}", u.group),
        None => action.to_string(),
    };
    let removes_admin = match action {
        "group" => new_group != Some(groups::ADMIN),
        "lock" | "delete" => true,
        _ => false,
    };
    let admins = cx.app.store.call(|s| s.count_admins()).await.unwrap_or(0);
    let allowed = rules::may_manage(cx.identity.group, u.group)
        .and_then(|()| match new_group {
            Some(g) => rules::may_grant(cx.identity.group, g),
            None => Ok(()),
        })
        .and_then(|()| rules::keeps_an_admin(u.group, removes_admin, admins));
    if let Err(r) = allowed {
        return cx.refuse(Section::Users, &what, &u.name, r.reason(), &back);
    }
    let outcome = apply(cx, u, action, new_group).await;
    match &outcome {
        Err(ChangeError::Store(e)) => cx.app.store_health.failed(e),
        _ => cx.app.store_health.ok(),
    }
    match outcome {
        Ok(done) => {
            super::audit::done(&cx.actor(), &what, &u.name);
            if action == "delete" {
                cx.see_other("/admin/users?done=deleted")
            } else {
                cx.see_other(&format!("/admin/users/{}?done={done}", u.id))
            }
        }
        Err(ChangeError::Input(text)) => cx.bad_input(Section::Users, text, &back),
        Err(ChangeError::Store(e)) => {
            tracing::error!(error = %e, user = ?u.name, action, "admin change not stored");
            Reply::text(500, "internal error\n")
        }
    }
}

/// Why a change was not made.
#[derive(Debug)]
enum ChangeError {
    Input(&'static str),
    Store(StoreError),
}

impl From<StoreError> for ChangeError {
    fn from(e: StoreError) -> Self {
        ChangeError::Store(e)
    }
}

/// Makes the change in the store and the session table; the notice code.
async fn apply(
    cx: &Cx<'_, '_>,
    u: &User,
    action: &str,
    new_group: Option<u16>,
) -> Result<&'static str, ChangeError> {
    let (sessions, name, id) = (cx.app.sessions.clone(), u.name.clone(), u.id);
    match action {
        "group" => {
            let g = new_group.ok_or(ChangeError::Input("Unknown group."))?;
            cx.app
                .store
                .call(move |s| {
                    s.set_group(&name, g)?;
                    sessions.refresh_user(s, id)
                })
                .await?;
            Ok("group")
        }
        "lock" => {
            cx.app
                .store
                .call(move |s| {
                    s.set_locked(&name, true)?;
                    sessions.refresh_user(s, id)
                })
                .await?;
            sessions::end_user(cx.app, id).await;
            Ok("locked")
        }
        "unlock" => {
            cx.app
                .store
                .call(move |s| {
                    s.set_locked(&name, false)?;
                    sessions.refresh_user(s, id)
                })
                .await?;
            Ok("unlocked")
        }
        "password" => {
            let password = cx.field("password");
            if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
                return Err(ChangeError::Input("Give a password (at most 1024 bytes)."));
            }
            let hash = cx.app.hasher.hash(&password).await.map_err(|e| {
                tracing::warn!(error = %e, "password not hashed");
                ChangeError::Input("The password was refused.")
            })?;
            cx.app
                .store
                .call(move |s| s.change_password(&name, &hash, None))
                .await?;
            cx.app.sessions.forget_user(id);
            Ok("password")
        }
        "delete" => {
            cx.app
                .store
                .call(move |s| {
                    s.delete_user(&name)?;
                    match sessions.refresh_user(s, id) {
                        Err(StoreError::UnknownUser(_)) | Ok(()) => Ok(()),
                        Err(e) => Err(e),
                    }
                })
                .await?;
            cx.app.sessions.forget_user(id);
            Ok("deleted")
        }
        "revoke" => {
            // Ended in memory at once; a store failure is queued for retry.
            sessions::end_user(cx.app, id).await;
            Ok("revoked-all")
        }
        _ => Err(ChangeError::Input("Unknown action.")),
    }
}
