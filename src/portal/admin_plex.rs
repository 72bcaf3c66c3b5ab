//! `{prefix}/admin/plex` (admins and co-admins): Organizr's "Retrieve"
//! buttons without JavaScript. The admin signs in to plex.tv as the server
//! owner with the PIN flow (as `gatehouse plex token --pin`), picks one of
//! the owner's servers, and the gateway writes `[plex] token` and
//! `machine_id` into its configuration file in place (comments and layout
//! kept, `toml_edit`), then reloads (SIGHUP to itself, the same path as
//! `gatehouse reload`).
//!
//! | request | what it does |
//! |---|---|
//! | `GET /admin/plex` | the running values (the token only as set / not set) and the Retrieve button |
//! | `POST /admin/plex/pin` | creates a plex.tv PIN: shows the app.plex.tv link and "Check" |
//! | `POST /admin/plex/check` | polls the PIN; once approved lists the owner's servers |
//! | `POST /admin/plex/save` | writes token + chosen `machine_id`, then reloads |
//!
//! The PIN and the token it yields are held here, per admin user, never
//! put in a page or a log; every POST is same-origin checked; every change
//! (and every refused attempt) is an audit line on `gatehouse::audit`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::app::App;
use crate::auth::session::{Identity, SessionEntry};
use crate::groups;
use crate::reply::Reply;
use crate::sso::plex_tv::{PinState, PlexServer, PlexTv};

use super::html::{escape, message, page};
use super::request::PortalRequest;

/// Where the page lives under the portal prefix.
pub const PATH: &str = "/admin/plex";
/// Log target of admin changes.
const AUDIT: &str = "gatehouse::audit";
/// How long a retrieval (PIN, then token) is kept for its admin.
const KEEP_SECS: u64 = 30 * 60;

/// One admin's retrieval in progress.
struct Retrieval {
    pin_id: u64,
    /// The owner's token once the PIN was approved.
    token: Option<String>,
    started: u64,
}

/// Retrievals by admin user id (admin-only, a handful at most).
fn retrievals() -> &'static Mutex<HashMap<i64, Retrieval>> {
    static MAP: OnceLock<Mutex<HashMap<i64, Retrieval>>> = OnceLock::new();
    MAP.get_or_init(Mutex::default)
}

fn with_retrieval<T>(user: i64, now: u64, f: impl FnOnce(Option<&mut Retrieval>) -> T) -> T {
    let mut map = retrievals().lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, r| now < r.started + KEEP_SECS);
    f(map.get_mut(&user))
}

type Session = (Arc<SessionEntry>, Arc<Identity>);

/// Handles `{prefix}/admin/plex…`; `None` for another path.
pub async fn handle(app: &App, req: &PortalRequest<'_>) -> Option<Reply> {
    let rest = req.path.strip_prefix(PATH)?;
    if !rest.is_empty() && !rest.starts_with('/') {
        return None;
    }
    let get = req.method == http::Method::GET || req.method == http::Method::HEAD;
    let post = req.method == http::Method::POST;
    let Some(session) = req.session(app) else {
        let here = format!("{}{PATH}", app.config.portal.prefix);
        return Some(super::form::sign_in_first(&app.config.portal.prefix, &here));
    };
    let identity = &session.1;
    if identity.group > groups::CO_ADMIN {
        audit(identity, req, "plex.retrieve", "refused: not an admin");
        return Some(Reply::html(
            403,
            message("Forbidden", "The Plex settings are for admins."),
        ));
    }
    if post && !super::guard::same_origin(req.headers, req.host, &app.config.server.public_url) {
        audit(identity, req, "plex.retrieve", "refused: cross-site");
        return Some(Reply::text(403, "cross-site request refused\n"));
    }
    Some(match rest {
        "" if get => overview(app, None),
        "/pin" if post => start(app, req, &session).await,
        "/check" if post => check(app, req, &session).await,
        "/save" if post => save(app, req, &session),
        _ => Reply::text(405, "method not allowed\n"),
    })
}

fn audit(identity: &Identity, req: &PortalRequest<'_>, action: &str, outcome: &str) {
    tracing::info!(
        target: AUDIT,
        who = %identity.username,
        action,
        outcome,
        client_ip = %req.client_ip,
        "admin action"
    );
}

fn prefix(app: &App) -> &str {
    &app.config.portal.prefix
}

fn button(app: &App, action: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}{PATH}/{action}\"><button type=\"submit\">{}</button></form>",
        escape(prefix(app)),
        escape(label)
    )
}

/// `GET /admin/plex`: the running values and the Retrieve button.
fn overview(app: &App, note: Option<&str>) -> Reply {
    let plex = &app.config.plex;
    let mut body = String::from("<h1>Plex</h1>");
    if let Some(note) = note {
        let _ = write!(body, "<p class=\"note\">{}</p>", escape(note));
    }
    let _ = write!(
        body,
        "<table><tr><th>[plex] token</th><td id=\"token\">{}</td></tr>\
<tr><th>[plex] machine_id</th><td id=\"machine_id\">{}</td></tr>\
<tr><th>configuration file</th><td>{}</td></tr></table>",
        if plex.token.is_empty() {
            "not set"
        } else {
            "set"
        },
        if plex.machine_id.is_empty() {
            "not set".to_owned()
        } else {
            escape(&plex.machine_id)
        },
        escape(&app.config.path.display().to_string()),
    );
    body += "<p>Sign in to plex.tv as the server owner to retrieve the token and the server's machine identifier; they are written into the configuration file and the gateway reloads.</p>";
    body += &button(app, "pin", "Retrieve token and machine_id");
    Reply::html(200, page("Plex", true, &body))
}

fn client(app: &App) -> Result<PlexTv, String> {
    PlexTv::new(&app.config.plex, &app.plex_client_id).map_err(|e| e.to_string())
}

fn failed(app: &App, what: &str) -> Reply {
    let mut r = overview(app, Some(what));
    r.status = 502;
    r
}

/// `POST /admin/plex/pin`: a new PIN and the page to approve it on.
async fn start(app: &App, req: &PortalRequest<'_>, session: &Session) -> Reply {
    let identity = &session.1;
    let plex = match client(app) {
        Ok(c) => c,
        Err(e) => return failed(app, &format!("plex.tv client: {e}")),
    };
    let pin = match plex.create_pin().await {
        Ok(p) => p,
        Err(e) => return failed(app, &format!("plex.tv refused a PIN: {e}")),
    };
    let now = crate::clock::unix(req.now);
    {
        let mut map = retrievals().lock().unwrap_or_else(|p| p.into_inner());
        map.insert(
            identity.user_id,
            Retrieval {
                pin_id: pin.id,
                token: None,
                started: now,
            },
        );
    }
    audit(identity, req, "plex.retrieve", "PIN created");
    let url = plex.auth_url(&pin.code);
    let body = format!(
        "<h1>Plex</h1><p>Open <a id=\"plex-auth\" href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">app.plex.tv</a> \
and sign in as the server owner (code <code>{}</code>), then come back here.</p>{}",
        escape(&url),
        escape(&pin.code),
        button(app, "check", "I signed in: check")
    );
    Reply::html(200, page("Plex", true, &body))
}

/// `POST /admin/plex/check`: the PIN's state; once approved, the owner's
/// servers to choose from.
async fn check(app: &App, req: &PortalRequest<'_>, session: &Session) -> Reply {
    let identity = &session.1;
    let now = crate::clock::unix(req.now);
    let held = with_retrieval(identity.user_id, now, |r| {
        r.map(|r| (r.pin_id, r.token.clone()))
    });
    let Some((pin_id, token)) = held else {
        return overview(
            app,
            Some("No retrieval in progress (or it expired): start again."),
        );
    };
    let plex = match client(app) {
        Ok(c) => c,
        Err(e) => return failed(app, &format!("plex.tv client: {e}")),
    };
    let token = match token {
        Some(t) => t,
        None => match plex.check_pin(pin_id).await {
            Ok(PinState::Done(t)) => {
                with_retrieval(identity.user_id, now, |r| {
                    if let Some(r) = r {
                        r.token = Some(t.clone());
                    }
                });
                audit(identity, req, "plex.retrieve", "PIN approved");
                t
            }
            Ok(PinState::Pending) => {
                let body = format!(
                    "<h1>Plex</h1><p>plex.tv has not approved the PIN yet: sign in on the app.plex.tv page, then check again.</p>{}",
                    button(app, "check", "Check again")
                );
                return Reply::html(200, page("Plex", true, &body));
            }
            Ok(PinState::Expired) => {
                return overview(app, Some("The PIN expired: start again."));
            }
            Err(e) => return failed(app, &format!("plex.tv: {e}")),
        },
    };
    let servers = match plex.servers(&token).await {
        Ok(s) => s,
        Err(e) => return failed(app, &format!("plex.tv server list: {e}")),
    };
    Reply::html(200, page("Plex", true, &servers_form(app, &servers)))
}

fn servers_form(app: &App, servers: &[PlexServer]) -> String {
    let mut body = format!(
        "<h1>Plex</h1><p>Signed in. Choose the server whose users may sign in:</p>\
<form method=\"post\" action=\"{}{PATH}/save\"><table><tr><th></th><th>name</th><th>owned</th><th>machine_id</th></tr>",
        escape(prefix(app))
    );
    let mut first = true;
    for s in servers {
        let _ = write!(
            body,
            "<tr><td><input type=\"radio\" name=\"machine_id\" value=\"{id}\"{checked}></td><td>{name}</td><td>{owned}</td><td><code>{id}</code></td></tr>",
            id = escape(&s.machine_identifier),
            checked = if first && s.owned { " checked" } else { "" },
            name = escape(&s.name),
            owned = if s.owned { "yes" } else { "no" },
        );
        first &= !s.owned;
    }
    if servers.is_empty() {
        body += "<tr><td colspan=\"4\">This account sees no server; the token alone is saved.</td></tr>";
    }
    body +=
        "</table><button type=\"submit\">Save into the configuration and reload</button></form>";
    body
}

/// `POST /admin/plex/save`: writes the token and `machine_id`, reloads.
fn save(app: &App, req: &PortalRequest<'_>, session: &Session) -> Reply {
    let identity = &session.1;
    let now = crate::clock::unix(req.now);
    let token = with_retrieval(identity.user_id, now, |r| r.and_then(|r| r.token.clone()));
    let Some(token) = token else {
        return overview(
            app,
            Some("No approved sign-in (or it expired): start again."),
        );
    };
    let machine_id = super::form::get(&req.body, "machine_id").unwrap_or_default();
    if machine_id.len() > 128
        || !machine_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Reply::html(
            400,
            message("Bad request", "That is not a machine identifier."),
        );
    }
    let path = app.config.path.clone();
    if let Err(e) = write_plex(&path, &token, &machine_id) {
        audit(identity, req, "plex.save", "failed");
        tracing::error!(target: AUDIT, error = %e, "configuration not written");
        let mut r = overview(app, Some(&e));
        r.status = 500;
        return r;
    }
    retrievals()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&identity.user_id);
    tracing::info!(
        target: AUDIT,
        who = %identity.username,
        action = "plex.save",
        machine_id = %machine_id,
        client_ip = %req.client_ip,
        file = %path.display(),
        "[plex] token and machine_id written"
    );
    let reloading = match nix::sys::signal::raise(nix::sys::signal::Signal::SIGHUP) {
        Ok(()) => "Saved. The gateway reloads its configuration now.".to_owned(),
        Err(e) => format!("Saved, but the reload was not started ({e}): run gatehouse reload."),
    };
    let body = format!(
        "<h1>Plex</h1><p id=\"saved\">{}</p><p><a href=\"{}{PATH}\">Back to the Plex settings</a></p>",
        escape(&reloading),
        escape(prefix(app))
    );
    Reply::html(200, page("Plex", true, &body))
}

/// Writes `[plex] token` and `machine_id` into the file at `path`, keeping
/// everything else as written; refuses when the result would not be a
/// valid configuration.
pub fn write_plex(path: &Path, token: &str, machine_id: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let edited =
        edit_plex(&text, token, machine_id).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Err(errors) = crate::config::parse(path, &edited) {
        return Err(format!("the file would not be valid: {errors}"));
    }
    let tmp = path.with_extension("toml.gatehouse-new");
    std::fs::write(&tmp, edited)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: cannot write: {e}", path.display())
        })
}

/// `text` with `[plex] token` and `machine_id` set (the table added at the
/// end when missing; comments and layout kept).
pub fn edit_plex(text: &str, token: &str, machine_id: &str) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("not TOML: {e}"))?;
    let plex = doc
        .entry("plex")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or("[plex] is not a table")?;
    set_keep_decor(plex, "token", token);
    set_keep_decor(plex, "machine_id", machine_id);
    Ok(doc.to_string())
}

/// Sets a string value in place: the key, the comment lines above it and
/// the comment after the old value stay.
fn set_keep_decor(table: &mut dyn toml_edit::TableLike, key: &str, value: &str) {
    if let Some(old) = table.get_mut(key).and_then(|i| i.as_value_mut()) {
        let decor = old.decor().clone();
        *old = toml_edit::Value::from(value);
        *old.decor_mut() = decor;
        return;
    }
    table.insert(key, toml_edit::value(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_edit_plex_keeps_comments_and_layout() {
        let text = "# My gateway\n[server]\nlisten = [\"127.0.0.1:8080\"]  # port\n\n\
            [plex]\n# the owner's token\ntoken = \"\"            # Retrieve fills this\nadmin = \"bob\"\n\n\
            [[route]]\nname = \"a\"\npath = \"/a/\"\nupstream = \"http://127.0.0.1:9\"\n";
        let out = edit_plex(text, "tok\"en", "abc123").unwrap();
        assert!(out.starts_with("# My gateway\n[server]\nlisten = [\"127.0.0.1:8080\"]  # port\n"));
        assert!(
            out.contains(
                "# the owner's token\ntoken = 'tok\"en'            # Retrieve fills this\n"
            ),
            "{out}"
        );
        assert!(out.contains("admin = \"bob\"\n"));
        assert!(out.contains("machine_id = \"abc123\""));
        assert!(out.contains("[[route]]\nname = \"a\""));
    }

    #[test]
    fn test_edit_plex_adds_the_table() {
        let out = edit_plex("[server]\nlisten = [\"127.0.0.1:8080\"]\n", "t", "m").unwrap();
        assert!(
            out.contains("[plex]\ntoken = \"t\"\nmachine_id = \"m\"\n"),
            "{out}"
        );
        assert!(edit_plex("plex = 3\n", "t", "m").is_err());
    }
}
