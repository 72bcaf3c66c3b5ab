//! `{prefix}/admin/routes`: the running configuration's routes — path,
//! hosts, upstreams with their live health (last error, last success,
//! failovers; `app::upstream_health`), auth level, SSO services, identity
//! headers.

use maud::html;

use crate::config::{AuthLevel, IdentityField, SsoService};
use crate::reply::Reply;

use super::layout::{self, when, Section};
use super::Cx;

fn secs(v: u64) -> Option<i64> {
    (v > 0).then(|| i64::try_from(v).ok()).flatten()
}

fn sso_name(s: SsoService) -> &'static str {
    match s {
        SsoService::Plex => "plex",
        SsoService::Ombi => "ombi",
        SsoService::Tautulli => "tautulli",
    }
}

fn field_name(f: IdentityField) -> &'static str {
    match f {
        IdentityField::Username => "username",
        IdentityField::Email => "email",
        IdentityField::Group => "group",
        IdentityField::GroupName => "group_name",
    }
}

/// `GET /admin/routes`.
pub fn page(cx: &Cx<'_, '_>) -> Reply {
    let app = cx.app;
    let names = &app.config.groups;
    let body = html! {
        table id="routes" {
            tr { th { "route" } th { "host" } th { "path" } th { "auth" } th { "SSO" } th { "identity headers" } th { "upstreams" } }
            @for (route, runtime) in app.config.routes.iter().zip(&app.routes) {
                tr data-route=(route.name) {
                    td { (route.name) }
                    td {
                        @if route.hosts.is_empty() { span.muted { "any" } }
                        @for h in &route.hosts { (h.to_string()) br; }
                    }
                    td { (route.path) @if route.exact { " (exact)" } }
                    td {
                        @match route.auth {
                            AuthLevel::None => "none",
                            AuthLevel::Group(g) => { (names.name(g)) " (" (g) ")" },
                        }
                    }
                    td { @for s in &route.sso { (sso_name(*s)) " " } }
                    td { @for (h, f) in &route.identity_headers { (h.as_str()) ": " (field_name(*f)) br; } }
                    td {
                        table.upstreams {
                            tr { th { "upstream" } th { "last success" } th { "last error" } th { "failovers" } }
                            @for (i, u) in route.upstreams.iter().enumerate() {
                                @let h = runtime.health.get(i).map(|h| h.snapshot()).unwrap_or_default();
                                tr.upstream data-upstream=(u.address) {
                                    // The address, never the URL as written (it may hold a password).
                                    td { @if u.tls { "https://" } @else { "http://" } (u.address) }
                                    td.last-success { (when(secs(h.last_success_at))) }
                                    td.last-error {
                                        @if let Some(k) = h.last_error {
                                            (k.describe()) " at " (when(secs(h.last_error_at)))
                                        }
                                    }
                                    td.failovers { (h.failovers) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if app.config.routes.is_empty() { p.muted { "No route is configured." } }
    };
    Reply::html(
        200,
        layout::page(cx.prefix(), Section::Routes, "Routes", None, &body),
    )
}
