//! `GET {prefix}/admin/certs` (admins and co-admins): every certificate the
//! gateway holds, where it came from, its names, issuer and expiry, and for
//! ACME certificates the next renewal (or retry) and the last error.
//! `?format=json` for the raw rows.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use crate::app::App;
use crate::groups;
use crate::reply::Reply;

use super::html::{escape, message, page};
use super::request::PortalRequest;

fn when(t: Option<u64>) -> String {
    t.map(|s| humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(s)).to_string())
        .unwrap_or_default()
}

/// The certificate debug page.
pub fn debug_page(app: &App, req: &PortalRequest<'_>) -> Reply {
    let Some((_, identity)) = req.session(app) else {
        let here = format!("{}{}", app.config.portal.prefix, req.path);
        return super::form::sign_in_first(&app.config.portal.prefix, &here);
    };
    if identity.group > groups::CO_ADMIN {
        return Reply::html(
            403,
            message("Forbidden", "The certificate debug page is for admins."),
        );
    }
    let rows = app.certs.report();
    if req.query_param("format").as_deref() == Some("json") {
        return Reply::json(200, &serde_json::to_value(&rows).unwrap_or_default());
    }
    let mut body = String::from(
        "<h1>Certificates</h1><table id=\"certs\"><tr><th>source</th><th>names</th><th>issuer</th>\
<th>expires</th><th>next renewal</th><th>last error</th></tr>",
    );
    for r in &rows {
        let note = match (&r.last_error, &r.warning) {
            (Some(e), _) => escape(e),
            (None, Some(w)) => format!("<span class=\"muted\">{}</span>", escape(w)),
            (None, None) => String::new(),
        };
        let _ = write!(
            body,
            "<tr><td>{} <span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"error-cell\">{note}</td></tr>",
            r.source,
            escape(&r.origin),
            escape(&r.names.join(", ")),
            escape(&r.issuer),
            when(r.not_after),
            when(r.next_renewal),
        );
    }
    body.push_str("</table>");
    if rows.is_empty() {
        body.push_str(
            "<p class=\"muted\">No certificate: no TLS listener, or nothing loaded yet.</p>",
        );
    }
    Reply::html(200, page("Certificates", true, &body))
}
