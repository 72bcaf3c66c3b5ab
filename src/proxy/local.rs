//! Requests the gateway answers itself, before routing: `{portal}/…`, the
//! Organizr-compatible auth API (DESIGN §7), and the portal home when no
//! route takes its path.

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderName, HeaderValue};
use pingora::prelude::*;
use pingora::proxy::Session;

use super::ctx::RequestCtx;
use super::respond::Reply;
use crate::app::App;
use crate::auth::organizr_api;
use crate::portal::{self, PortalRequest};

/// `Some(reply)` when the gateway itself answers this path.
pub async fn handle(
    app: &App,
    session: &mut Session,
    path: &str,
    ctx: &mut RequestCtx,
) -> Result<Option<Reply>> {
    let prefix = app.config.portal.prefix.as_str();
    if let Some(rest) = path.strip_prefix(prefix) {
        if rest.is_empty() || rest.starts_with('/') {
            let rest = rest.to_string();
            return portal_reply(app, session, &rest, ctx).await.map(Some);
        }
    }
    if path.starts_with("/api/v2/") {
        let query = session.req_header().uri.query();
        let groups = |name: &str| {
            app.config
                .routes
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(name))
                .map(|r| match r.auth {
                    crate::config::AuthLevel::Group(n) => n,
                    crate::config::AuthLevel::None => crate::groups::GUEST,
                })
        };
        if let Some(parsed) = organizr_api::parse_with(path, query, groups) {
            return Ok(Some(organizr_reply(app, session, parsed, ctx)));
        }
    }
    Ok(None)
}

/// The portal home, for a path no route takes.
pub async fn home(app: &App, session: &mut Session, ctx: &mut RequestCtx) -> Result<Reply> {
    let req = session.req_header();
    let preq = portal_request(req, "", Bytes::new(), ctx);
    Ok(portal::home::page(app, &preq))
}

fn portal_request<'a>(
    req: &'a pingora::http::RequestHeader,
    path: &'a str,
    body: Bytes,
    ctx: &RequestCtx,
) -> PortalRequest<'a> {
    PortalRequest {
        method: &req.method,
        path,
        query: req.uri.query(),
        headers: &req.headers,
        body,
        client_ip: ctx
            .client_ip
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        tls: ctx.tls,
        host: req.headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        now: crate::clock::now(),
    }
}

async fn portal_reply(
    app: &App,
    session: &mut Session,
    rest: &str,
    ctx: &mut RequestCtx,
) -> Result<Reply> {
    let mut body = BytesMut::new();
    if portal::wants_body(&session.req_header().method) {
        while let Some(chunk) = session.read_request_body().await? {
            if body.len() + chunk.len() > portal::MAX_BODY {
                return Ok(Reply::text(413, "request entity too large\n"));
            }
            body.extend_from_slice(&chunk);
        }
    }
    let req = session.req_header();
    let preq = portal_request(req, rest, body.freeze(), ctx);
    Ok(portal::handle(app, preq).await)
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

fn organizr_reply(
    app: &App,
    session: &Session,
    parsed: Result<organizr_api::AuthApiRequest, organizr_api::ApiError>,
    ctx: &RequestCtx,
) -> Reply {
    let req = session.req_header();
    let json = wants_json(&req.headers);
    let request = match parsed {
        Ok(r) => r,
        Err(e) => return api_reply(401, json, || organizr_api::body_json(false, &e.to_string())),
    };
    let found = app
        .sessions
        .lookup_headers(&req.headers, crate::clock::now());
    let state = found.as_ref().map(|(_, i)| i.state());
    let client_ip = ctx
        .client_ip
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let answer = organizr_api::answer(&request, state, client_ip);
    let mut reply = api_reply(answer.status, json, || {
        let data = found.as_ref().map(|(_, i)| organizr_api::AuthData {
            user: &i.username,
            email: &i.email,
            group: i.group,
            user_ip: client_ip,
            requested_group: request.group,
        });
        let guest = organizr_api::AuthData {
            user: organizr_api::GUEST_USERNAME,
            email: "",
            group: crate::groups::GUEST,
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
                Some(HeaderValue::from_static(organizr_api::GUEST_USERNAME)),
                Some(HeaderValue::from_static("")),
                HeaderValue::from(crate::groups::GUEST),
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
