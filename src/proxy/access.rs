//! The auth step of the request path, between routing and the upstream.
//! (Interim: public routes only; group auth lands with the account layer.)

use pingora::http::RequestHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

use super::ctx::RequestCtx;
use super::respond::Reply;
use crate::app::App;
use crate::config::AuthLevel;

/// Decides whether the request may go on; `Some(reply)` ends it here.
pub fn check(app: &App, _session: &Session, index: usize, _ctx: &mut RequestCtx) -> Option<Reply> {
    match app.config.routes[index].auth {
        AuthLevel::None => None,
        AuthLevel::Group(_) => Some(Reply::text(401, "unauthorized\n")),
    }
}

/// Removes client-sent identity headers.
pub fn strip_spoofable(_app: &App, _up: &mut RequestHeader) {}

/// Injects identity headers and SSO tokens.
pub fn inject(_app: &App, _index: usize, _up: &mut RequestHeader, _ctx: &RequestCtx) -> Result<()> {
    Ok(())
}
