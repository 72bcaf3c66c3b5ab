//! SSO pages served on whatever host the app lives on: the Plex and Ombi
//! bootstrap pages (Organizr's SSO only works when the app shares
//! Organizr's origin; these make it work on a subdomain too), and the SSO
//! debug area.

use std::fmt::Write as _;

use http::header;

use crate::app::App;
use crate::auth::redirect_target;
use crate::groups;
use crate::reply::Reply;
use crate::sso::debug::{self, Settings};

use super::html::{escape, message, page};
use super::request::PortalRequest;

/// Where a bootstrap page sends the browser next: a validated `to`, else `default`.
fn target(app: &App, req: &PortalRequest<'_>, default: &str) -> String {
    req.query_param("to")
        .and_then(|to| {
            redirect_target::safe_rd(
                &to,
                &app.config.server.public_url,
                app.config.session.domain.as_deref(),
                req.secure(app),
            )
        })
        .unwrap_or_else(|| default.to_string())
}

fn sign_in_first(app: &App, req: &PortalRequest<'_>) -> Reply {
    let here = match req.query {
        Some(q) => format!("{}{}?{q}", app.config.portal.prefix, req.path),
        None => format!("{}{}", app.config.portal.prefix, req.path),
    };
    super::form::sign_in_first(&app.config.portal.prefix, &here)
}

/// A JSON string literal safe inside a `<script>` element.
fn js_string(value: &str) -> String {
    serde_json::Value::String(value.to_string())
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `GET {prefix}/sso/plex?to=/plex/web/`: stores
/// `localStorage.myPlexAccessToken` for this host, then opens Plex Web.
pub fn plex(app: &App, req: &PortalRequest<'_>) -> Reply {
    let Some((entry, _)) = req.session(app) else {
        return sign_in_first(app, req);
    };
    let to = target(app, req, "/web/");
    let tokens = entry.sso();
    let Some(token) = tokens
        .plex
        .as_deref()
        .filter(|_| app.config.sso.plex.enabled)
    else {
        return Reply::redirect(302, &to);
    };
    let body = format!(
        "<h1>Opening Plex…</h1><p class=\"muted\">Signing you in to Plex on this host.</p>\
<noscript><p><a href=\"{href}\">Continue to Plex</a></p></noscript>\
<script>try{{localStorage.setItem(\"myPlexAccessToken\",{token});}}catch(e){{}}\
window.location.replace({to});</script>",
        href = escape(&to),
        token = js_string(token),
        to = js_string(&to),
    );
    Reply::html(200, page("Plex", false, &body))
}

/// `GET {prefix}/sso/ombi?to=/ombi/`: sets Ombi's `Auth` cookie for this
/// host and opens `{to}auth/cookie`, Ombi's page that reads it.
pub fn ombi(app: &App, req: &PortalRequest<'_>) -> Reply {
    let Some((entry, _)) = req.session(app) else {
        return sign_in_first(app, req);
    };
    let to = target(app, req, "/");
    let base = if to.ends_with('/') {
        to
    } else {
        format!("{to}/")
    };
    let mut reply = Reply::redirect(302, &format!("{base}auth/cookie"));
    if let Some(token) = entry.sso().ombi.as_deref() {
        let max_age = std::time::Duration::from_secs(
            entry.expires.saturating_sub(crate::clock::unix(req.now)),
        );
        if let Some(v) = super::cookies::ombi_bootstrap(token, max_age, req.secure(app), req.now) {
            reply.push(header::SET_COOKIE, v);
        }
    }
    reply
}

fn flag(v: bool) -> &'static str {
    if v {
        "<td class=\"ok\">true</td>"
    } else {
        "<td class=\"bad\">false</td>"
    }
}

/// `GET {prefix}/admin/sso` (admins and co-admins): Organizr's debug flags,
/// computed correctly, plus the session's last token fetch. `?format=json`
/// for the raw data.
pub async fn debug_page(app: &App, req: &PortalRequest<'_>) -> Reply {
    let Some((entry, identity)) = req.session(app) else {
        return sign_in_first(app, req);
    };
    if identity.group > groups::CO_ADMIN {
        return Reply::html(
            403,
            message("Forbidden", "The SSO debug area is for admins."),
        );
    }
    let cookie_header = req.headers.get(header::COOKIE).map(|v| v.as_bytes());
    let data = debug::collect(
        &app.http,
        Settings::from_config(&app.config),
        &entry.sso(),
        cookie_header,
    )
    .await;
    if req.query_param("format").as_deref() == Some("json") {
        return Reply::json(200, &serde_json::to_value(&data).unwrap_or_default());
    }
    let mut body = String::from("<h1>SSO debug</h1><table id=\"flags\"><tr><th>service</th><th>enabled</th><th>cookie</th><th>url</th><th>api</th><th>backend</th></tr>");
    for (name, f) in [
        ("plex", data.plex),
        ("ombi", data.ombi),
        ("tautulli", data.tautulli),
    ] {
        let _ = write!(
            body,
            "<tr id=\"sso-{name}\"><td>{name}</td>{}{}{}{}{}</tr>",
            flag(f.enabled),
            flag(f.cookie),
            flag(f.url),
            flag(f.api),
            flag(f.backend)
        );
    }
    body.push_str("</table><h2>Last token fetch</h2><table id=\"results\"><tr><th>service</th><th>at</th><th>status</th><th>error</th></tr>");
    for r in &data.results {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.service),
            r.at,
            escape(&r.status),
            escape(r.error.as_deref().unwrap_or(""))
        );
    }
    body.push_str("</table>");
    let _ = write!(
        body,
        "<h2>Plex</h2><p>machine id valid: {}, owner token set: {}, admin given as: {}, strict friends: {}, OAuth: {}</p>",
        data.plex_details.machine_id,
        data.plex_details.token,
        data.plex_details.admin,
        data.plex_details.strict_friends,
        data.plex_details.oauth
    );
    Reply::html(200, page("SSO debug", true, &body))
}
