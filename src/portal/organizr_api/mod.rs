//! The Organizr-compatible auth API (README "Organizr-compatible auth
//! API"): the paths an existing nginx `auth_request /auth-4;` setup already
//! calls, answered from the gateway's own session. `rules.rs` parses the
//! request and decides; this file builds the reply.

mod rules;

use std::net::IpAddr;
use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

use crate::app::App;
use crate::config::AuthLevel;
use crate::groups;
use crate::reply::Reply;

pub use rules::{
    answer, body_json, parse, parse_with, ApiError, AuthApiAnswer, AuthApiRequest, AuthData,
    GUEST_USERNAME, PREFIX,
};

/// The reply to `path` (already normalized) when it is an auth API path,
/// else `None`. A route's name may stand for its level (`/api/v2/auth/plex`).
pub fn handle(
    app: &App,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    client_ip: IpAddr,
    now: SystemTime,
) -> Option<Reply> {
    let routes = |name: &str| {
        app.config
            .routes
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
            .map(|r| match r.auth {
                AuthLevel::Group(n) => n,
                AuthLevel::None => groups::GUEST,
            })
    };
    let parsed = parse_with(path, query, routes)?;
    Some(reply(app, headers, parsed, client_ip, now))
}

/// Organizr's JSON body goes only to clients that ask for JSON. nginx's
/// `auth_request` sub-request reads headers only, so a reply with a body
/// makes it close the connection after every protected request; with
/// `Content-Length: 0` it keeps it alive (twice the requests/s measured,
/// benches/README.md).
fn wants_json(headers: &http::HeaderMap) -> bool {
    headers.get_all(http::header::ACCEPT).iter().any(|v| {
        v.as_bytes()
            .windows(16)
            .any(|w| w.eq_ignore_ascii_case(b"application/json"))
    })
}

fn api_reply(status: u16, json: bool, body: impl FnOnce() -> String) -> Reply {
    if json {
        Reply::json_text(status, body())
    } else {
        Reply::empty(status)
    }
}

fn reply(
    app: &App,
    headers: &HeaderMap,
    parsed: Result<AuthApiRequest, ApiError>,
    client_ip: IpAddr,
    now: SystemTime,
) -> Reply {
    let json = wants_json(headers);
    let request = match parsed {
        Ok(r) => r,
        Err(e) => return api_reply(401, json, || body_json(false, &e.to_string())),
    };
    let found = app.sessions.lookup_headers(headers, now);
    let state = found.as_ref().map(|(_, i)| i.state());
    let answer = answer(&request, state, client_ip);
    let mut reply = api_reply(answer.status, json, || {
        let data = found.as_ref().map(|(_, i)| AuthData {
            user: &i.username,
            email: &i.email,
            group: i.group,
            user_ip: client_ip,
            requested_group: request.group,
        });
        let guest = AuthData {
            user: GUEST_USERNAME,
            email: "",
            group: groups::GUEST,
            user_ip: client_ip,
            requested_group: request.group,
        };
        answer.body_json(Some(data.as_ref().unwrap_or(&guest)))
    });
    if answer.identity {
        let (user, email, group) = match &found {
            Some((_, i)) => (
                i.username_value.clone(),
                i.email_value.clone(),
                i.group_value.clone(),
            ),
            None => (
                Some(HeaderValue::from_static(GUEST_USERNAME)),
                Some(HeaderValue::from_static("")),
                HeaderValue::from(groups::GUEST),
            ),
        };
        if let Some(v) = user {
            reply.push(HeaderName::from_static("x-organizr-user"), v);
        }
        if let Some(v) = email {
            reply.push(HeaderName::from_static("x-organizr-email"), v);
        }
        reply.push(HeaderName::from_static("x-organizr-group"), group);
    }
    reply
}
