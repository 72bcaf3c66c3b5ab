//! The admin area's layout: navigation, the notice after a change, the
//! refusal page. Templates are `maud` (every interpolated value is
//! escaped); the outer document is the portal's common layout.

use maud::{html, Markup};

/// Unix seconds as RFC 3339 (UTC), "" for none.
pub fn when(secs: Option<i64>) -> String {
    secs.and_then(|s| u64::try_from(s).ok())
        .map(|s| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(s),
            )
            .to_string()
        })
        .unwrap_or_default()
}

/// What the admin and account pages add to the portal's style: readable
/// links on the dark background, the notice after a change.
pub const STYLE: &str = "main a{color:#8ab4f8}main a.button{color:#111}\
.notice{background:#244a2f;padding:.6rem;border-radius:6px}main.wide{max-width:64rem}";

/// Admin area sections, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Users,
    Sessions,
    Routes,
    Plex,
    Sso,
    Certs,
}

const SECTIONS: [(Section, &str, &str); 6] = [
    (Section::Users, "/admin/users", "Users"),
    (Section::Sessions, "/admin/sessions", "Sessions"),
    (Section::Routes, "/admin/routes", "Routes"),
    (Section::Plex, "/admin/plex", "Plex token"),
    (Section::Sso, "/admin/sso", "SSO"),
    (Section::Certs, "/admin/certs", "Certificates"),
];

/// The text shown after a change (`?done=CODE`); unknown codes show nothing,
/// so a link cannot make the page say anything else.
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "added" => "User added.",
        "group" => "Group changed.",
        "locked" => "User locked: their sessions are signed out.",
        "unlocked" => "User unlocked.",
        "password" => "Password set: the user's sessions are signed out.",
        "deleted" => "User deleted.",
        "revoked" => "Session ended.",
        "revoked-all" => "Sessions ended.",
        _ => return None,
    })
}

/// The navigation bar.
pub fn nav(prefix: &str, current: Section) -> Markup {
    html! {
        nav.admin {
            strong { "Admin" }
            span {
                @for (section, path, label) in SECTIONS {
                    @if section == current {
                        a href={ (prefix) (path) } aria-current="page" { b { (label) } } " "
                    } @else {
                        a href={ (prefix) (path) } { (label) } " "
                    }
                }
                a href={ (prefix) "/" } { "Home" }
            }
        }
    }
}

/// A whole admin page.
pub fn page(
    prefix: &str,
    current: Section,
    title: &str,
    notice: Option<&str>,
    body: &Markup,
) -> String {
    let content = html! {
        style { (STYLE) }
        (nav(prefix, current))
        h1 { (title) }
        @if let Some(n) = notice {
            p.notice role="status" id="notice" { (n) }
        }
        (body)
    };
    crate::portal::html::page(title, true, &content.into_string())
}

/// A refusal or error page under the admin layout.
pub fn message(prefix: &str, current: Section, title: &str, text: &str, back: &str) -> String {
    let body = html! {
        p.error role="alert" id="refused" { (text) }
        a.button href=(back) { "Back" }
    };
    page(prefix, current, title, None, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_page_escapes_and_loads_nothing_external() {
        let body = html! { p { ("<img src=x onerror=alert(1)>") } };
        let out = page("/gh", Section::Users, "Users <x>", None, &body);
        assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"), "{out}");
        assert!(!out.contains("<img"));
        assert!(out.contains("Users &lt;x&gt;"));
        assert!(!out.contains("http://") && !out.contains("https://"));
        assert_eq!(notice(Some("<script>")), None);
        assert_eq!(
            notice(Some("locked")).map(|n| n.starts_with("User locked")),
            Some(true)
        );
    }
}
