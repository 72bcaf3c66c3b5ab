//! Organizr's tabs and groups as Gatehouse routes, home links and
//! `[groups]` names.
//!
//! An enabled iFrame (1) or New Window (2) tab becomes a route when its URL
//! is relative or on `public_url`'s host (the route path is the URL's path;
//! the upstream is the tab's local URL) or an internal address (loopback,
//! a private network, a one-label or `.lan`/`.local`/`.internal`/`.home.arpa`
//! name; the route path is `/<name>/`, the upstream the local URL or the
//! URL). A tab on any other host becomes a portal-home `[[link]]`.

use std::net::IpAddr;

use url::Url;

use super::db::{OrgGroup, OrgTab};

/// A route made from a tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabRoute {
    pub name: String,
    pub path: String,
    /// `None` when the tab gives no upstream (a relative URL without a
    /// local URL): only an existing route with this path can take it.
    pub upstream: Option<String>,
    pub title: String,
    pub group: i64,
    pub home_min_group: i64,
    pub sso: Vec<&'static str>,
}

/// A home link made from a tab on another host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabLink {
    pub title: String,
    pub url: String,
    pub group: i64,
    pub home_min_group: i64,
}

/// What the tabs became.
#[derive(Debug, Default)]
pub struct Tabs {
    pub routes: Vec<TabRoute>,
    pub links: Vec<TabLink>,
    /// One line per tab not imported, and why.
    pub skipped: Vec<String>,
}

/// Whether a host is a LAN address or name.
fn internal(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => {
            let ip = IpAddr::V4(*ip);
            ip.is_loopback()
                || matches!(ip, IpAddr::V4(v4) if v4.is_private() || v4.is_link_local())
        }
        url::Host::Ipv6(ip) => {
            ip.is_loopback()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
        }
        url::Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            !d.contains('.')
                || [".lan", ".local", ".internal", ".home.arpa", ".localdomain"]
                    .iter()
                    .any(|s| d.ends_with(s))
        }
    }
}

/// `/<name in lower case, other characters as ->/`.
pub fn slug(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() {
        "app".to_owned()
    } else {
        s
    }
}

/// The upstream for a tab URL: its origin and path (a trailing `/` added),
/// Plex's `/web` landing page mapped to the server root, as the proxy
/// guides do.
fn upstream_of(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    let mut path = url.path().to_owned();
    let plex =
        url.port_or_known_default() == Some(32400) && (path == "/web" || path.starts_with("/web/"));
    if plex || path.is_empty() {
        path = "/".to_owned();
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!("{origin}{path}")
}

/// An absolute http(s) URL, or `None`.
fn absolute(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then_some(url)
}

/// Converts the tabs. `public` is the gateway's `public_url`; `sso` the
/// services whose single sign-on is on.
pub fn tabs(tabs: &[OrgTab], public: &Url, sso: &[&'static str]) -> Tabs {
    let mut out = Tabs::default();
    for t in tabs {
        if t.kind == 0 {
            // Organizr's own pages (Settings, Homepage): nothing to proxy.
            continue;
        }
        if !t.enabled {
            out.skipped.push(format!(
                "tab {}: disabled in Organizr; not imported",
                t.name
            ));
            continue;
        }
        if !matches!(t.kind, 1 | 2) {
            out.skipped.push(format!(
                "tab {}: type {} is not an iFrame or New Window tab; not imported",
                t.name, t.kind
            ));
            continue;
        }
        let local = absolute(&t.url_local);
        let url_text = t.url.trim();
        let url = absolute(url_text);
        let on_public = url.as_ref().is_some_and(|u| {
            u.host_str()
                .zip(public.host_str())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                && u.port_or_known_default() == public.port_or_known_default()
        });
        let title = t.name.trim().to_owned();
        let group = t.group_id.clamp(0, 999);
        let home_min_group = t.group_id_max.clamp(0, 999);
        let name = slug(&t.name);
        let services: Vec<&'static str> =
            sso.iter().copied().filter(|s| name.contains(s)).collect();
        let route = |path: String, upstream: Option<String>| TabRoute {
            name: name.clone(),
            path,
            upstream,
            title: title.clone(),
            group,
            home_min_group,
            sso: services.clone(),
        };
        match &url {
            None if url_text.is_empty() => out
                .skipped
                .push(format!("tab {}: no URL; not imported", t.name)),
            None => {
                let path = format!("/{}", url_text.trim_start_matches('/'));
                out.routes
                    .push(route(path, local.as_ref().map(upstream_of)));
            }
            Some(u) if on_public => {
                let path = u.path().to_owned();
                out.routes
                    .push(route(path, local.as_ref().map(upstream_of)));
            }
            Some(u) if u.host().as_ref().is_some_and(internal) => {
                let upstream = upstream_of(local.as_ref().unwrap_or(u));
                out.routes.push(route(format!("/{name}/"), Some(upstream)));
            }
            Some(u) => out.links.push(TabLink {
                title,
                url: u.to_string(),
                group,
                home_min_group,
            }),
        }
    }
    // Unique route names and paths, first tab wins the plain name.
    let mut names: Vec<String> = Vec::new();
    for r in &mut out.routes {
        let base = r.name.clone();
        let mut n = 2;
        while names.contains(&r.name) {
            r.name = format!("{base}-{n}");
            n += 1;
        }
        names.push(r.name.clone());
    }
    out
}

/// Custom groups (Organizr's group numbers 5–997) as `(name, number)`;
/// names normalized like Gatehouse's (`Media Fans` → `media-fans`).
pub fn custom_groups(groups: &[OrgGroup]) -> (Vec<(String, i64)>, Vec<String>) {
    let mut out: Vec<(String, i64)> = Vec::new();
    let mut warnings = Vec::new();
    for g in groups {
        if !(5..=997).contains(&g.group_id) {
            continue;
        }
        let name: String = crate::config::groups::normalize(&g.name)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let name = name.trim_matches('-').to_owned();
        let clash = name.is_empty()
            || name.parse::<u16>().is_ok()
            || crate::groups::parse(&name).is_some()
            || out.iter().any(|(n, _)| *n == name);
        if clash {
            warnings.push(format!("group {:?} ({}): its name cannot be used in Gatehouse; it stays group {} (shown as group-{})", g.name, g.group_id, g.group_id, g.group_id));
            continue;
        }
        out.push((name, g.group_id));
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tab(name: &str, url: &str, local: &str, kind: i64) -> OrgTab {
        OrgTab {
            name: name.into(),
            url: url.into(),
            url_local: local.into(),
            enabled: true,
            group_id: 4,
            group_id_max: 0,
            kind,
        }
    }

    #[test]
    fn test_tabs_routes_links_and_paths() {
        let t = tabs(
            &[
                tab("Plex", "http://127.0.0.1:32400/web", "", 1),
                tab(
                    "Calibre-web",
                    "http://127.0.0.1:8083",
                    "http://192.168.1.20:8083",
                    1,
                ),
                tab("Sonarr", "/sonarr/", "http://sonarr:8989/sonarr", 1),
                tab("Radarr", "https://home.example.com/radarr/", "", 2),
                tab("Wiki", "https://wiki.example.net/", "", 2),
                tab("Settings", "api/v2/page/settings", "", 0),
                tab("My App!", "http://nas.lan:5000/app", "", 1),
            ],
            &Url::parse("https://home.example.com").unwrap(),
            &["plex"],
        );
        let r: Vec<(&str, &str, Option<&str>)> = t
            .routes
            .iter()
            .map(|r| (r.name.as_str(), r.path.as_str(), r.upstream.as_deref()))
            .collect();
        assert_eq!(
            r,
            [
                ("plex", "/plex/", Some("http://127.0.0.1:32400/")),
                (
                    "calibre-web",
                    "/calibre-web/",
                    Some("http://192.168.1.20:8083/")
                ),
                ("sonarr", "/sonarr/", Some("http://sonarr:8989/sonarr/")),
                ("radarr", "/radarr/", None),
                ("my-app", "/my-app/", Some("http://nas.lan:5000/app/")),
            ]
        );
        assert_eq!(t.routes[0].sso, ["plex"]);
        assert_eq!(t.links[0].url, "https://wiki.example.net/");
        assert!(t.skipped.is_empty(), "{:?}", t.skipped);
    }

    #[test]
    fn test_custom_groups_names() {
        let (g, w) = custom_groups(&[
            OrgGroup {
                name: "Admin".into(),
                group_id: 0,
            },
            OrgGroup {
                name: "Family".into(),
                group_id: 5,
            },
            OrgGroup {
                name: "Media Fans".into(),
                group_id: 6,
            },
            OrgGroup {
                name: "User".into(),
                group_id: 7,
            },
            OrgGroup {
                name: "Guest".into(),
                group_id: 999,
            },
        ]);
        assert_eq!(g, [("family".to_owned(), 5), ("media-fans".to_owned(), 6)]);
        assert_eq!(w.len(), 1);
    }
}
