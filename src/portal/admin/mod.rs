//! The admin area `{prefix}/admin` (docs/operations.md "Admin pages"), for
//! groups 0 (admin) and 1 (co-admin): users, sessions, routes with live
//! upstream health, and the SSO and certificate debug pages (their old
//! `/debug/…` addresses redirect here).
//!
//! Server-rendered with `maud` (escaped by construction), no JavaScript,
//! nothing from other hosts. Every POST is same-origin only
//! (`guard::same_origin`), every change and every refusal is an audit line
//! (`audit.rs`), and what a co-admin may do is `rules.rs`. The second-factor
//! gate (`second_factor::admin_gate`) runs before this, in `portal::handle`.
//!
//! Files: `layout.rs` (navigation, pages), `users.rs`, `sessions.rs`,
//! `routes.rs` (the pages), `rules.rs`, `audit.rs`.

pub mod audit;
pub mod layout;
pub mod routes;
pub mod rules;
pub mod sessions;
pub mod users;

use std::sync::Arc;

use http::Method;

use crate::app::App;
use crate::auth::session::Identity;
use crate::reply::Reply;

use super::request::PortalRequest;
use super::state::Portal;
use audit::Actor;
use layout::Section;

/// A signed-in admin's request.
pub struct Cx<'a, 'r> {
    pub app: &'a App,
    pub req: &'a PortalRequest<'r>,
    pub identity: Arc<Identity>,
}

impl Cx<'_, '_> {
    /// The actor of audit lines.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            name: &self.identity.username,
            group: self.identity.group,
            client: self.req.client_ip,
        }
    }

    /// The portal prefix.
    pub fn prefix(&self) -> &str {
        &self.app.config.portal.prefix
    }

    /// A field of the POSTed form ("" when absent).
    pub fn field(&self, name: &str) -> String {
        super::form::get(&self.req.body, name).unwrap_or_default()
    }

    /// A refusal: the audit line, then a 403 page with a link `back`.
    pub fn refuse(
        &self,
        section: Section,
        action: &str,
        on: &str,
        reason: &str,
        back: &str,
    ) -> Reply {
        audit::refused(&self.actor(), action, on, reason);
        Reply::html(
            403,
            layout::message(self.prefix(), section, "Refused", reason, back),
        )
    }

    /// A 400 page for bad input (no audit line: nothing was attempted).
    pub fn bad_input(&self, section: Section, text: &str, back: &str) -> Reply {
        Reply::html(
            400,
            layout::message(self.prefix(), section, "Not done", text, back),
        )
    }

    /// 303 to `path` (under the prefix) after a change.
    pub fn see_other(&self, path: &str) -> Reply {
        Reply::redirect(303, &format!("{}{path}", self.prefix()))
    }
}

/// The old debug addresses, now under the admin area.
fn moved(path: &str) -> Option<&'static str> {
    match path {
        "/debug/sso" => Some("/admin/sso"),
        "/debug/certs" => Some("/admin/certs"),
        _ => None,
    }
}

/// Handles `{prefix}/admin…` and the old `/debug/…` addresses; `None` for
/// another path.
pub async fn handle(portal: &Portal, req: &PortalRequest<'_>) -> Option<Reply> {
    let app = &*portal.app;
    if let Some(to) = moved(req.path) {
        let to = match req.query {
            Some(q) => format!("{}{to}?{q}", app.config.portal.prefix),
            None => format!("{}{to}", app.config.portal.prefix),
        };
        return Some(Reply::redirect(301, &to));
    }
    let rest = match req.path {
        "/admin" => "",
        p => p.strip_prefix("/admin").filter(|r| r.starts_with('/'))?,
    };
    let get = req.method == Method::GET || req.method == Method::HEAD;
    let post = req.method == Method::POST;
    if !get && !post {
        return Some(Reply::text(405, "method not allowed\n"));
    }
    let session = req.session(app);
    if post && !super::guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        let action = format!("POST /admin{rest}");
        match &session {
            Some((_, who)) => audit::refused(
                &Actor {
                    name: &who.username,
                    group: who.group,
                    client: req.client_ip,
                },
                &action,
                "-",
                "cross-site request",
            ),
            None => audit::refused_anonymous(req.client_ip, &action, "cross-site request"),
        }
        return Some(Reply::text(403, "cross-site request refused\n"));
    }
    let Some((_, identity)) = session else {
        if post {
            audit::refused_anonymous(
                req.client_ip,
                &format!("POST /admin{rest}"),
                "not signed in",
            );
            return Some(Reply::text(403, "sign in first\n"));
        }
        let here = match req.query {
            Some(q) => format!("{}{}?{q}", app.config.portal.prefix, req.path),
            None => format!("{}{}", app.config.portal.prefix, req.path),
        };
        return Some(super::form::sign_in_first(&app.config.portal.prefix, &here));
    };
    let cx = Cx { app, req, identity };
    if !rules::is_admin(cx.identity.group) {
        let what = format!("{} /admin{rest}", req.method);
        audit::refused(&cx.actor(), &what, "-", rules::Refusal::NotAdmin.reason());
        return Some(Reply::html(
            403,
            super::html::message("Forbidden", "The admin pages are for admins and co-admins."),
        ));
    }
    Some(match rest {
        "" | "/" if get => cx.see_other_get("/admin/users"),
        "/users" if get => users::list(&cx).await,
        "/users/add" if post => users::add(&cx).await,
        "/sessions" if get => sessions::list(&cx).await,
        "/sessions/revoke" if post => sessions::revoke(&cx).await,
        "/routes" if get => routes::page(&cx),
        "/sso" if get => super::sso_pages::debug_page(app, req).await,
        "/certs" if get => super::cert_pages::debug_page(app, req),
        r if r.starts_with("/users/") => users::one(&cx, &r["/users/".len()..], get, post).await,
        _ => Reply::html(
            404,
            super::html::message("Not found", "There is no such page."),
        ),
    })
}

impl Cx<'_, '_> {
    fn see_other_get(&self, path: &str) -> Reply {
        Reply::redirect(302, &format!("{}{path}", self.prefix()))
    }
}
