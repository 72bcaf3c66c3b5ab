//! Fake plex.tv (docs/docs/upstreams.md §2.1) — also serves app.plex.tv's `/auth` page.
//!
//! Accounts: [`ALICE`] (server owner), [`BOB`] (friend sharing [`MACHINE_ID`]),
//! [`CAROL`] (friend on [`OTHER_MACHINE_ID`] only), [`DAVE`] (stranger),
//! [`ERIN`] (two-factor: password sign-in answers 401 "verification code").
//! Endpoints: `POST /users/sign_in.json`, `POST /api/v2/users/signin` (XML),
//! `GET /users/account.json`, `GET /users/account` and `/api/v2/user` (XML),
//! `GET /api/users` (the owner's friends), `GET /pms/servers`,
//! `POST /api/v2/pins?strong=true`, `GET /api/v2/pins/{id}`, `GET /auth`, and
//! the test-only `POST /__fake/approve` (form `code`, `login`, `password`).
//! Modes: `Unauthorized` → 401 everywhere, `Forbidden` → 403,
//! `RateLimited` → 429 with `Retry-After: 30`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::{random_hex, FakeServer, Handler, Mode, Recorded, Reply};

mod bodies;
use bodies::{account_json, account_xml, friends_xml, servers_xml, AUTH_PAGE};

/// The owner's server.
pub const MACHINE_ID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
/// Another server (Carol's share).
pub const OTHER_MACHINE_ID: &str = "ffffeeeeddddccccbbbbaaaa9999888877776666";

/// A plex.tv account of the fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlexUser {
    pub id: u64,
    pub username: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub token: &'static str,
    pub two_factor: bool,
}

/// Server owner (`[plex] admin`).
pub const ALICE: PlexUser = user(
    1001,
    "alice",
    "alice@example.com",
    "alice-pw",
    "alice-plex-token-0001",
    false,
);
/// Friend with access to [`MACHINE_ID`].
pub const BOB: PlexUser = user(
    2222,
    "bob",
    "bob@example.com",
    "bob-pw",
    "bob-plex-token-0002",
    false,
);
/// Friend with access to [`OTHER_MACHINE_ID`] only.
pub const CAROL: PlexUser = user(
    3333,
    "carol",
    "carol@example.com",
    "carol-pw",
    "carol-plex-token-0003",
    false,
);
/// Not a friend.
pub const DAVE: PlexUser = user(
    4444,
    "dave",
    "dave@example.com",
    "dave-pw",
    "dave-plex-token-0004",
    false,
);
/// Two-factor account.
pub const ERIN: PlexUser = user(
    5555,
    "erin",
    "erin@example.com",
    "erin-pw",
    "erin-plex-token-0005",
    true,
);

/// Every account.
pub const USERS: [PlexUser; 5] = [ALICE, BOB, CAROL, DAVE, ERIN];

const fn user(
    id: u64,
    username: &'static str,
    email: &'static str,
    password: &'static str,
    token: &'static str,
    two_factor: bool,
) -> PlexUser {
    PlexUser {
        id,
        username,
        email,
        password,
        token,
        two_factor,
    }
}

#[derive(Debug, Clone)]
struct PinRec {
    code: String,
    client_id: String,
    token: Option<&'static str>,
    expired: bool,
}

#[derive(Default)]
struct State {
    pins: HashMap<u64, PinRec>,
    next_pin: u64,
}

/// The running fake.
pub struct PlexTvFake {
    pub server: FakeServer,
    state: Arc<Mutex<State>>,
}

impl PlexTvFake {
    /// Starts the fake on 127.0.0.1:0.
    pub fn start() -> PlexTvFake {
        let state = Arc::new(Mutex::new(State {
            next_pin: 123_456_789,
            ..State::default()
        }));
        let st = state.clone();
        let handler: Handler = Arc::new(move |req, mode| handle(&st, req, mode));
        PlexTvFake {
            server: FakeServer::start(handler),
            state,
        }
    }

    /// Base URL (use for both `api_url` and `app_url`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// See [`FakeServer::set_mode`].
    pub fn set_mode(&self, mode: Mode) {
        self.server.set_mode(mode);
    }

    /// See [`FakeServer::requests`].
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Approves PIN `id` as `user` (as if they clicked "Allow" on app.plex.tv).
    pub fn approve_pin(&self, id: u64, user: &PlexUser) -> bool {
        let mut st = self.state.lock().unwrap();
        match st.pins.get_mut(&id) {
            Some(p) if !p.expired => {
                p.token = Some(user.token);
                true
            }
            _ => false,
        }
    }

    /// Expires PIN `id` (plex.tv then answers 404 for it).
    pub fn expire_pin(&self, id: u64) {
        if let Some(p) = self.state.lock().unwrap().pins.get_mut(&id) {
            p.expired = true;
        }
    }

    /// Ids of the PINs created so far, oldest first.
    pub fn pin_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.state.lock().unwrap().pins.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

fn handle(state: &Mutex<State>, req: &Recorded, mode: Mode) -> Reply {
    match mode {
        Mode::Unauthorized => {
            return Reply::json(401, &json!({"error": "Invalid authentication token."}))
        }
        Mode::Forbidden => return Reply::json(403, &json!({"error": "Forbidden"})),
        Mode::RateLimited => {
            return Reply::json(429, &json!({"error": "Too many requests"}))
                .with("Retry-After", "30")
        }
        _ => {}
    }
    let path = req.path();
    match (req.method.as_str(), path) {
        ("POST", "/users/sign_in.json") => sign_in_json(req),
        ("POST", "/api/v2/users/signin") => sign_in_v2(req),
        ("GET", "/users/account.json") => match by_token(req) {
            Some(u) => Reply::json(200, &account_json(&u)),
            None => Reply::json(401, &json!({"error": "Invalid authentication token."})),
        },
        ("GET", "/users/account" | "/users/account.xml" | "/api/v2/user") => match by_token(req) {
            Some(u) => Reply::xml(200, account_xml(&u)),
            None => Reply::xml(
                401,
                "<errors><error>Invalid authentication token.</error></errors>",
            ),
        },
        ("GET", "/api/users") => match by_token(req) {
            Some(u) => Reply::xml(200, friends_xml(&u)),
            None => Reply::xml(
                401,
                "<errors><error>Invalid authentication token.</error></errors>",
            ),
        },
        ("GET", "/pms/servers" | "/pms/servers.xml") => match by_token(req) {
            Some(u) => Reply::xml(200, servers_xml(&u)),
            None => Reply::xml(
                401,
                "<errors><error>Invalid authentication token.</error></errors>",
            ),
        },
        ("POST", "/api/v2/pins") => create_pin(state, req),
        ("GET", p) if p.starts_with("/api/v2/pins/") => {
            check_pin(state, req, &p["/api/v2/pins/".len()..])
        }
        ("GET", "/auth" | "/auth/") => Reply::html(200, AUTH_PAGE),
        ("POST", "/__fake/approve") => approve_by_code(state, req),
        _ => Reply::json(
            404,
            &json!({"errors": [{"code": 1001, "message": "Not Found", "status": 404}]}),
        ),
    }
}

fn client_id_missing() -> Reply {
    let msg = "X-Plex-Client-Identifier is missing";
    Reply::json(
        400,
        &json!({"errors": [{"code": 1000, "message": msg, "status": 400}]}),
    )
}

fn find_login(login: &str) -> Option<PlexUser> {
    USERS
        .into_iter()
        .find(|u| u.username.eq_ignore_ascii_case(login) || u.email.eq_ignore_ascii_case(login))
}

fn check_password(login: &str, password: &str) -> Result<PlexUser, Reply> {
    match find_login(login) {
        Some(u) if u.password == password && u.two_factor => Err(Reply::json(
            401,
            &json!({"error": "Please enter the verification code"}),
        )),
        Some(u) if u.password == password => Ok(u),
        _ => Err(Reply::json(
            401,
            &json!({"error": "Invalid email, username, or password."}),
        )),
    }
}

fn sign_in_json(req: &Recorded) -> Reply {
    if req.header("X-Plex-Client-Identifier").is_none() {
        return client_id_missing();
    }
    let login = req.form("user[login]").unwrap_or_default();
    let password = req.form("user[password]").unwrap_or_default();
    match check_password(&login, &password) {
        Ok(u) => Reply::json(201, &account_json(&u)),
        Err(r) => r,
    }
}

fn sign_in_v2(req: &Recorded) -> Reply {
    if req.header("X-Plex-Client-Identifier").is_none() {
        return client_id_missing();
    }
    let login = req.form("login").unwrap_or_default();
    let password = req.form("password").unwrap_or_default();
    match check_password(&login, &password) {
        Ok(u) => Reply::xml(201, account_xml(&u)),
        Err(r) => Reply::xml(
            r.status,
            format!("<errors><error>{}</error></errors>", error_text(&r)),
        ),
    }
}

/// The `error` text of a JSON error reply.
fn error_text(r: &Reply) -> String {
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    v["error"].as_str().unwrap_or_default().to_string()
}

fn by_token(req: &Recorded) -> Option<PlexUser> {
    let token = req
        .header("X-Plex-Token")
        .map(str::to_string)
        .or_else(|| req.query("X-Plex-Token"))?;
    USERS.into_iter().find(|u| u.token == token)
}

fn pin_reply(req: &Recorded, id: u64, p: &PinRec, status: u16) -> Reply {
    let wants_json = req
        .header("Accept")
        .is_some_and(|a| a.contains("application/json"));
    // plex.tv hands the token only to the client that created the PIN.
    let token = p
        .token
        .filter(|_| req.header("X-Plex-Client-Identifier") == Some(p.client_id.as_str()));
    if wants_json {
        Reply::json(
            status,
            &json!({"id": id, "code": p.code, "product": "Gatehouse", "trusted": false,
                "qr": format!("https://plex.tv/api/v2/pins/qr/{}", p.code),
                "clientIdentifier": p.client_id, "location": {"code": "US"},
                "expiresIn": 1800, "createdAt": "2026-11-28T09:00:00Z", "expiresAt": "2026-11-28T09:30:00Z",
                "authToken": token, "newRegistration": null}),
        )
    } else {
        Reply::xml(
            status,
            format!(
                r#"<pin id="{id}" code="{}" authToken="{}" expiresIn="1800"/>"#,
                p.code,
                token.unwrap_or("")
            ),
        )
    }
}

fn create_pin(state: &Mutex<State>, req: &Recorded) -> Reply {
    let Some(client_id) = req.header("X-Plex-Client-Identifier") else {
        return client_id_missing();
    };
    let mut st = state.lock().unwrap();
    st.next_pin += 1;
    let id = st.next_pin;
    let len = if req.query("strong").as_deref() == Some("true") {
        25
    } else {
        4
    };
    let rec = PinRec {
        code: random_hex(len),
        client_id: client_id.to_string(),
        token: None,
        expired: false,
    };
    st.pins.insert(id, rec.clone());
    pin_reply(req, id, &rec, 201)
}

fn check_pin(state: &Mutex<State>, req: &Recorded, id: &str) -> Reply {
    let st = state.lock().unwrap();
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| st.pins.get(&id).map(|p| (id, p)))
    {
        Some((id, p)) if !p.expired => pin_reply(req, id, p, 200),
        _ => Reply::json(
            404,
            &json!({"errors": [{"code": 1020, "message": "Code not found or expired", "status": 404}]}),
        ),
    }
}

fn approve_by_code(state: &Mutex<State>, req: &Recorded) -> Reply {
    let code = req.form("code").unwrap_or_default();
    let user = match check_password(
        &req.form("login").unwrap_or_default(),
        &req.form("password").unwrap_or_default(),
    ) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut st = state.lock().unwrap();
    match st.pins.values_mut().find(|p| p.code == code && !p.expired) {
        Some(p) => {
            p.token = Some(user.token);
            Reply::html(200, "<p>Approved. You can close this window.</p>")
        }
        None => Reply::html(404, "<p>Code not found or expired.</p>"),
    }
}
