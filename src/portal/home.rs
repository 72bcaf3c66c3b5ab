//! The portal home: the apps (routes with a `title`, then `[[link]]`s) the
//! visitor's group may open, minus those hidden from more privileged groups
//! (`home_min_group`, Organizr's `group_id_max`). Served at `[portal] home`
//! when no route takes that path.

use crate::app::App;
use crate::auth::decision::{decide, Decision, UserState};
use crate::config::{AuthLevel, SsoService};
use crate::groups;
use crate::reply::Reply;

use super::html::{self, AppLink};
use super::request::PortalRequest;

/// `GET {prefix}/`: to the home when there is one, else to the sign-in page.
pub fn portal_root(app: &App, req: &PortalRequest<'_>) -> Reply {
    let prefix = &app.config.portal.prefix;
    match &app.config.portal.home {
        Some(home) => Reply::redirect(302, home),
        None if req.session_token(app).is_some() => page(app, req),
        None => Reply::redirect(302, &format!("{prefix}/login")),
    }
}

/// The home page for the request's session (or a guest).
pub fn page(app: &App, req: &PortalRequest<'_>) -> Reply {
    let identity = req.session(app).map(|(_, identity)| identity);
    let state = identity.as_ref().map(|i| UserState {
        group: i.group,
        locked: i.locked,
    });
    let prefix = &app.config.portal.prefix;
    let public = &app.config.server.public_url;
    let visitor = state.map_or(groups::GUEST, |s| s.group);
    let mut apps: Vec<AppLink> = app
        .config
        .routes
        .iter()
        .filter(|r| r.title.is_some())
        .filter(|r| {
            // A public route is listed for everyone; a protected one only to
            // those it admits (guests see level-999 routes).
            r.auth == AuthLevel::None || decide(r.auth, state, false) == Decision::Allow
        })
        .filter(|r| visitor >= r.home_min_group)
        .map(|r| {
            let base = match r.hosts.iter().find_map(|h| h.exact()) {
                Some(h) => {
                    let port = public.port().map(|p| format!(":{p}")).unwrap_or_default();
                    format!("{}://{h}{port}{}", public.scheme(), r.path)
                }
                None => r.path.clone(),
            };
            // Apps whose SSO needs a bootstrap page on their own host.
            let href = if r.sso.contains(&SsoService::Plex) && app.config.sso.plex.enabled {
                format!("{prefix}/sso/plex?to={}", super::form::encode(&base))
            } else if r.sso.contains(&SsoService::Ombi) && app.config.sso.ombi.enabled {
                format!("{prefix}/sso/ombi?to={}", super::form::encode(&base))
            } else {
                base
            };
            AppLink {
                title: r.title.clone().unwrap_or_default(),
                href,
            }
        })
        .collect();
    apps.extend(
        app.config
            .links
            .iter()
            .filter(|l| decide(AuthLevel::Group(l.group), state, false) == Decision::Allow)
            .filter(|l| visitor >= l.home_min_group)
            .map(|l| AppLink {
                title: l.title.clone(),
                href: l.url.to_string(),
            }),
    );
    let names = &app.config.groups;
    let (user, group_name) = match &identity {
        Some(i) => (Some(i.username.as_str()), names.name(i.group)),
        None => (None, names.name(groups::GUEST)),
    };
    Reply::html(200, html::home(prefix, user, &group_name, &apps))
}
