//! Server-rendered portal pages. No JavaScript is needed to sign in, nothing
//! is loaded from other hosts, and every value is HTML-escaped.

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#1f2430;color:#e6e6e6;margin:0}\
main{max-width:26rem;margin:8vh auto;padding:2rem;background:#2a3140;border-radius:10px}\
main.wide{max-width:48rem}h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem}\
input[type=text],input[type=password],input[type=email]{width:100%;box-sizing:border-box;padding:.55rem;\
border-radius:6px;border:1px solid #566;background:#1f2430;color:#eee}\
button,.button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#e5a00d;color:#111;\
font-weight:600;cursor:pointer;text-decoration:none;display:inline-block}\
.error{background:#6b2430;padding:.6rem;border-radius:6px}.muted{color:#9aa}\
ul.apps{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.8rem}\
ul.apps a{display:block;padding:1rem;background:#1f2430;border-radius:8px;color:#e6e6e6;text-decoration:none}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #445}\
nav{display:flex;justify-content:space-between;align-items:center}";

/// Wraps a page body in the common layout.
pub fn page(title: &str, wide: bool, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + 256);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body><main{}>{body}</main></body></html>",
        escape(title),
        if wide { " class=\"wide\"" } else { "" },
    );
    out
}

/// What the sign-in page shows.
#[derive(Debug, Default)]
pub struct LoginPage<'a> {
    /// The portal prefix (form actions are under it).
    pub prefix: &'a str,
    /// The (already validated) return target, carried in a hidden field.
    pub rd: Option<&'a str>,
    /// The username to prefill after a failure.
    pub username: &'a str,
    /// The one generic error message, when the last attempt failed.
    pub error: Option<&'a str>,
    /// Offer "Sign in with Plex".
    pub plex_oauth: bool,
    /// Offer "Sign in with a passkey".
    pub passkeys: bool,
}

/// The sign-in form.
pub fn login(p: &LoginPage<'_>) -> String {
    let mut body = String::with_capacity(2048);
    body.push_str("<h1>Sign in</h1>");
    if let Some(e) = p.error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{prefix}/login\">\
<label for=\"username\">Username or e-mail</label>\
<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus value=\"{user}\">\
<label for=\"password\">Password</label>\
<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
<label><input type=\"checkbox\" name=\"remember\" value=\"1\"> Remember me</label>\
<input type=\"hidden\" name=\"rd\" value=\"{rd}\">\
<button type=\"submit\" id=\"sign-in\">Sign in</button></form>",
        prefix = escape(p.prefix),
        user = escape(p.username),
        rd = escape(p.rd.unwrap_or("")),
    );
    if p.plex_oauth {
        let _ = write!(
            body,
            "<p class=\"muted\">or</p><button type=\"button\" id=\"plex-sign-in\" data-prefix=\"{prefix}\" data-rd=\"{rd}\">Sign in with Plex</button>\
<p id=\"plex-status\" class=\"muted\"></p><script src=\"{prefix}/static/plex-oauth.js\"></script>",
            prefix = escape(p.prefix),
            rd = escape(p.rd.unwrap_or("")),
        );
    }
    if p.passkeys {
        body.push_str(&passwordless_button(p.prefix));
    }
    page("Sign in", false, &body)
}

/// One entry of the portal home.
#[derive(Debug)]
pub struct AppLink {
    pub title: String,
    pub href: String,
}

/// The app list for a signed-in user (or a guest).
pub fn home(prefix: &str, user: Option<&str>, group_name: &str, apps: &[AppLink]) -> String {
    let mut body = String::with_capacity(1024 + apps.len() * 128);
    body.push_str("<nav><h1>Home</h1>");
    match user {
        Some(u) => {
            let _ = write!(
                body,
                "<span><span id=\"user\">{}</span> <span class=\"muted\">({})</span> \
<a href=\"{p}/account/security\" id=\"security-link\">Security</a> \
<form method=\"post\" action=\"{p}/logout\" style=\"display:inline\">\
<button type=\"submit\" id=\"sign-out\" style=\"margin:0 0 0 .5rem\">Sign out</button></form></span>",
                escape(u),
                escape(group_name),
                p = escape(prefix)
            );
        }
        None => {
            let _ = write!(
                body,
                "<a class=\"button\" href=\"{}/login\" id=\"sign-in-link\">Sign in</a>",
                escape(prefix)
            );
        }
    }
    body.push_str("</nav>");
    if apps.is_empty() {
        body.push_str("<p class=\"muted\">No applications to show.</p>");
    } else {
        body.push_str("<ul class=\"apps\">");
        for a in apps {
            let _ = write!(
                body,
                "<li><a href=\"{}\">{}</a></li>",
                escape(&a.href),
                escape(&a.title)
            );
        }
        body.push_str("</ul>");
    }
    page("Home", true, &body)
}

/// `GET {prefix}/logout`: a one-button confirmation. Signing out is a
/// same-origin POST, so a link or image on another site cannot end a session.
pub fn logout_confirm(prefix: &str, user: &str) -> String {
    let body = format!(
        "<h1>Sign out</h1><p>Signed in as <strong>{}</strong>.</p>\
<form method=\"post\" action=\"{}/logout\"><button type=\"submit\" id=\"sign-out\">Sign out</button></form>",
        escape(user),
        escape(prefix)
    );
    page("Sign out", false, &body)
}

/// The first-admin form (reached through the one-time setup URL).
pub fn setup(prefix: &str, token: &str, error: Option<&str>) -> String {
    let mut body = String::with_capacity(1024);
    body.push_str("<h1>Create the first administrator</h1>");
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{prefix}/setup\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\">\
<label for=\"username\">Username</label><input type=\"text\" id=\"username\" name=\"username\" required>\
<label for=\"email\">E-mail</label><input type=\"email\" id=\"email\" name=\"email\">\
<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"new-password\" required>\
<button type=\"submit\">Create administrator</button></form>",
        prefix = escape(prefix),
        token = escape(token),
    );
    page("Set up Gatehouse", false, &body)
}

/// The passkey button and its script (the page's own `passkeys.js`).
pub fn passkey_button(prefix: &str, id: &str, label: &str, action: &str) -> String {
    format!(
        "<button type=\"button\" id=\"{id}\" data-prefix=\"{p}\" data-action=\"{action}\">{label}</button>\
<p id=\"passkey-status\" class=\"muted\" role=\"status\"></p>\
<script src=\"{p}/static/passkeys.js\"></script>",
        p = escape(prefix),
        label = escape(label),
    )
}

/// The "Sign in with a passkey" block of the sign-in page.
pub fn passwordless_button(prefix: &str) -> String {
    format!(
        "<p class=\"muted\">or</p>{}",
        passkey_button(
            prefix,
            "passkey-sign-in",
            "Sign in with a passkey",
            "sign-in"
        )
    )
}

/// A short message page (setup done, not found…).
pub fn message(title: &str, text: &str) -> String {
    page(
        title,
        false,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_escape_all_specials() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn test_login_escapes_values_and_loads_nothing_external() {
        let html = login(&LoginPage {
            prefix: "/gatehouse",
            rd: Some("/plex/\"><script>"),
            username: "<b>",
            error: Some("Wrong username or password."),
            plex_oauth: false,
            passkeys: false,
        });
        assert!(html.contains("&quot;&gt;&lt;script&gt;"));
        assert!(html.contains("&lt;b&gt;"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(html.contains("action=\"/gatehouse/login\""));
    }

    #[test]
    fn test_home_lists_apps_and_sign_out() {
        let html = home(
            "/gatehouse",
            Some("alice"),
            "user",
            &[AppLink {
                title: "Plex".into(),
                href: "/plex/".into(),
            }],
        );
        assert!(html.contains("href=\"/plex/\">Plex</a>"));
        assert!(html.contains("/gatehouse/logout"));
    }
}
