//! Requests the gateway answers itself, before routing: `{portal}/…`, the
//! Organizr-compatible auth API, and the portal home when no route takes
//! its path. Reads the request (and the portal's small bodies) from
//! Pingora's session into plain values for `portal`.

use std::net::{IpAddr, Ipv4Addr};

use bytes::{Bytes, BytesMut};
use http::header;
use pingora::prelude::*;
use pingora::proxy::Session;

use super::ctx::RequestCtx;
use super::respond::Reply;
use crate::portal::{self, organizr_api, Portal, PortalRequest};

/// `Some(reply)` when the gateway itself answers this path.
pub async fn handle(
    portal: &Portal,
    session: &mut Session,
    path: &str,
    ctx: &mut RequestCtx,
) -> Result<Option<Reply>> {
    let app = &*portal.app;
    let prefix = app.config.portal.prefix.as_str();
    let is_local = path
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        || path.starts_with(organizr_api::PREFIX);
    if is_local {
        // Several instances: the portal and the auth API see another
        // node's session too (the look-up they make is a plain one).
        let now = crate::clock::now();
        super::cluster_miss::fill(app, &session.req_header().headers, now).await;
    }
    if let Some(rest) = path.strip_prefix(prefix) {
        if rest.is_empty() || rest.starts_with('/') {
            let rest = rest.to_string();
            return portal_reply(portal, session, &rest, ctx).await.map(Some);
        }
    }
    if path.starts_with(organizr_api::PREFIX) {
        let req = session.req_header();
        let client_ip = ctx.client_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let now = crate::clock::now();
        let reply = organizr_api::handle(app, path, req.uri.query(), &req.headers, client_ip, now);
        if reply.is_some() {
            return Ok(reply);
        }
    }
    Ok(None)
}

/// The portal home, for a path no route takes.
pub async fn home(portal: &Portal, session: &mut Session, ctx: &mut RequestCtx) -> Result<Reply> {
    let req = session.req_header();
    let preq = portal_request(req, "", Bytes::new(), ctx);
    Ok(portal::home::page(&portal.app, &preq))
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
        client_ip: ctx.client_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        tls: ctx.tls,
        host: req.headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        now: crate::clock::now(),
    }
}

async fn portal_reply(
    portal: &Portal,
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
    Ok(portal::handle(portal, preq).await)
}
