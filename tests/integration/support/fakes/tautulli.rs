//! Fake Tautulli v2.17.2 (docs/docs/upstreams.md §2.3, verified against the real app).
//!
//! Served under an HTTP root (`/` or e.g. `/tautulli`):
//! * `GET {root}/auth/login`: login page; with the CSRF rule on it sets
//!   `tautulli_session_<uuid>` and carries `<meta name="csrf-token">`.
//! * `POST {root}/auth/signin` (form `username, password, token, remember_me`):
//!   with the CSRF rule on (2.17.1+, the default) it needs `X-Api-Key` equal to
//!   the API key, or the session cookie plus the matching `X-CSRF-Token`, else
//!   403 with Tautulli's exact JSON. Then 200 `{"status":"success","token",
//!   "uuid"}` + cookies, or 401 `Invalid credentials.`; 429 in `RateLimited`.
//!   `csrf: false` models Tautulli ≤ 2.16 (plain POST accepted).
//! * `GET {root}/home`: 200 with `/auth/logout` for a valid
//!   `tautulli_token_<uuid>` cookie; else 303 to the logout URL (401 for XHR).
//!
//! Accounts: `admin`/`adminpass` (Tautulli's own admin), `alice`/`alice-pw` and
//! Alice's Plex token (Plex admin), `bob`/`bob-pw` and Bob's Plex token (guest).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::json;

use super::plex_tv::{ALICE, BOB};
use super::{random_hex, FakeServer, Handler, Mode, Recorded, Reply};

/// The API key used by [`TautulliOptions::default`].
pub const TAUTULLI_API_KEY: &str = "fedcba9876543210fedcba9876543210";

/// How an instance is set up.
#[derive(Debug, Clone)]
pub struct TautulliOptions {
    /// HTTP root: `/` or a path like `/tautulli` (no trailing slash).
    pub root: String,
    /// Tautulli's API key (`None`: API disabled, `X-Api-Key` never accepted).
    pub api_key: Option<String>,
    /// `true`: 2.17.1+ CSRF rule; `false`: the old behaviour.
    pub csrf: bool,
}

impl Default for TautulliOptions {
    fn default() -> Self {
        TautulliOptions {
            root: "/".into(),
            api_key: Some(TAUTULLI_API_KEY.into()),
            csrf: true,
        }
    }
}

#[derive(Default)]
struct State {
    /// session id → CSRF token.
    sessions: HashMap<String, String>,
    /// (user, group, token).
    issued: Vec<(String, &'static str, String)>,
}

/// The running fake.
pub struct TautulliFake {
    pub server: FakeServer,
    /// The instance's `uuid` (cookie-name suffix).
    pub uuid: String,
    pub options: TautulliOptions,
    state: Arc<Mutex<State>>,
}

impl TautulliFake {
    /// Starts an instance with `options` on 127.0.0.1:0.
    pub fn start(options: TautulliOptions) -> TautulliFake {
        let uuid = random_hex(10);
        let state = Arc::new(Mutex::new(State::default()));
        let (st, opts, id) = (state.clone(), options.clone(), uuid.clone());
        let handler: Handler = Arc::new(move |req, mode| handle(&st, &opts, &id, req, mode));
        TautulliFake {
            server: FakeServer::start(handler),
            uuid,
            options,
            state,
        }
    }

    /// The instance URL as a user would configure it (`http://127.0.0.1:P/tautulli`).
    pub fn url(&self) -> String {
        format!(
            "{}{}",
            self.server.url(),
            self.options.root.trim_end_matches('/')
        )
    }

    /// See [`FakeServer::set_mode`].
    pub fn set_mode(&self, mode: Mode) {
        self.server.set_mode(mode);
    }

    /// See [`FakeServer::requests`].
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// `tautulli_token_<uuid>`.
    pub fn token_cookie(&self) -> String {
        format!("tautulli_token_{}", self.uuid)
    }

    /// The user and group (`admin`/`guest`) a token issued here belongs to.
    pub fn user_of(&self, token: &str) -> Option<(String, &'static str)> {
        let st = self.state.lock().unwrap();
        st.issued
            .iter()
            .find(|(_, _, t)| t == token)
            .map(|(u, g, _)| (u.clone(), *g))
    }
}

fn handle(
    state: &Mutex<State>,
    o: &TautulliOptions,
    uuid: &str,
    req: &Recorded,
    mode: Mode,
) -> Reply {
    let root = o.root.trim_end_matches('/');
    let Some(rel) = req.path().strip_prefix(root) else {
        return Reply::html(404, "Not Found");
    };
    match (req.method.as_str(), rel) {
        ("GET", "/auth/login") => login_page(state, o, uuid),
        ("POST", "/auth/signin") => signin(state, o, uuid, req, mode),
        ("GET", "/home") => home(state, root, uuid, req),
        _ => Reply::html(404, "Not Found"),
    }
}

fn cookie_path(o: &TautulliOptions) -> &str {
    if o.root.is_empty() {
        "/"
    } else {
        &o.root
    }
}

fn login_page(state: &Mutex<State>, o: &TautulliOptions, uuid: &str) -> Reply {
    if !o.csrf {
        return Reply::html(200, "<html><head><title>Tautulli - Login</title></head><body><form id=\"sign-in\"></form></body></html>");
    }
    let (sid, csrf) = (random_hex(40), random_hex(43));
    state
        .lock()
        .unwrap()
        .sessions
        .insert(sid.clone(), csrf.clone());
    let page = format!(
        "<html><head><title>Tautulli - Login</title>\n<meta name=\"viewport\" content=\"width=device-width\">\n\
         <meta name=\"csrf-token\" content=\"{csrf}\">\n<script>if (a < b) {{}}</script></head><body><form id=\"sign-in\"></form></body></html>"
    );
    Reply::html(200, page).with(
        "Set-Cookie",
        format!("tautulli_session_{uuid}={sid}; expires=Sat, 28 Nov 2026 10:00:00 GMT; Max-Age=3600; Path={}", cookie_path(o)),
    )
}

fn forbidden() -> Reply {
    Reply::json(
        403,
        &json!({"status": "403 Forbidden", "message": "Request forbidden -- authorization will not help", "error": true}),
    )
}

fn csrf_ok(state: &Mutex<State>, o: &TautulliOptions, uuid: &str, req: &Recorded) -> bool {
    if !o.csrf {
        return true;
    }
    if let (Some(key), Some(sent)) = (&o.api_key, req.header("X-Api-Key")) {
        if key == sent {
            return true;
        }
    }
    let sid = req.cookie(&format!("tautulli_session_{uuid}"));
    let st = state.lock().unwrap();
    match (
        sid.and_then(|s| st.sessions.get(&s).cloned()),
        req.header("X-CSRF-Token"),
    ) {
        (Some(expected), Some(sent)) => expected == sent,
        _ => false,
    }
}

fn signin(
    state: &Mutex<State>,
    o: &TautulliOptions,
    uuid: &str,
    req: &Recorded,
    mode: Mode,
) -> Reply {
    let invalid = || {
        Reply::json(
            401,
            &json!({"status": "error", "message": "Invalid credentials."}),
        )
    };
    match mode {
        Mode::Unauthorized => return invalid(),
        Mode::Forbidden => return forbidden(),
        Mode::RateLimited => {
            return Reply::json(
                429,
                &json!({"status": "error", "message": "Too many login attempts."}),
            )
            .with("Retry-After", "60")
        }
        _ => {}
    }
    if !csrf_ok(state, o, uuid, req) {
        return forbidden();
    }
    let (user, pass, token) = (
        req.form("username").unwrap_or_default(),
        req.form("password").unwrap_or_default(),
        req.form("token").unwrap_or_default(),
    );
    let by_password = [
        ("admin", "adminpass", "admin"),
        ("alice", "alice-pw", "admin"),
        ("bob", "bob-pw", "guest"),
    ]
    .into_iter()
    .find(|(u, p, _)| !user.is_empty() && *u == user && *p == pass)
    .map(|(u, _, g)| (u, g));
    let by_token = [(ALICE.token, "alice", "admin"), (BOB.token, "bob", "guest")]
        .into_iter()
        .find(|(t, _, _)| !token.is_empty() && *t == token)
        .map(|(_, u, g)| (u, g));
    let Some((name, group)) = by_password.or(by_token) else {
        return invalid();
    };
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let mut st = state.lock().unwrap();
    let jwt = format!(
        "{}.{}.{}",
        b64(json!({"alg": "HS256", "typ": "JWT"})),
        b64(json!({"user_id": null, "user": name, "user_group": group, "exp": 1_798_451_254u64})),
        random_hex(16)
    );
    st.issued.push((name.to_string(), group, jwt.clone()));
    let path = cookie_path(o);
    Reply::json(
        200,
        &json!({"status": "success", "token": jwt, "uuid": uuid}),
    )
    .with(
        "Set-Cookie",
        format!(
            "tautulli_session_{uuid}={}; Max-Age=3600; Path={path}",
            random_hex(40)
        ),
    )
    .with(
        "Set-Cookie",
        format!(
            "tautulli_token_{uuid}={jwt}; HttpOnly; Max-Age=2592000; Path={path}; SameSite=lax"
        ),
    )
}

fn home(state: &Mutex<State>, root: &str, uuid: &str, req: &Recorded) -> Reply {
    let token = req.cookie(&format!("tautulli_token_{uuid}"));
    let st = state.lock().unwrap();
    let valid = token.is_some_and(|t| st.issued.iter().any(|(_, _, i)| *i == t));
    if valid {
        return Reply::html(
            200,
            format!("<html><body><a href=\"{root}/settings\">settings</a><a href=\"{root}/auth/logout\">Sign Out</a></body></html>"),
        );
    }
    if req.header("X-Requested-With") == Some("XMLHttpRequest") {
        return Reply::empty(401);
    }
    Reply::empty(303).with(
        "Location",
        format!("{root}/auth/logout?redirect_uri={root}/home"),
    )
}
