//! Requests the gateway answers itself, before routing: `{portal}/…` and the
//! Organizr-compatible auth API.

use pingora::prelude::*;
use pingora::proxy::Session;

use super::ctx::RequestCtx;
use super::respond::Reply;
use crate::app::App;

/// `Some(reply)` when the gateway itself answers this path.
pub async fn handle(
    app: &App,
    _session: &mut Session,
    path: &str,
    _ctx: &mut RequestCtx,
) -> Result<Option<Reply>> {
    let prefix = app.config.portal.prefix.as_str();
    let Some(rest) = path.strip_prefix(prefix) else {
        return Ok(None);
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Ok(None);
    }
    Ok(Some(match rest {
        "/health" => Reply::text(200, "ok\n"),
        _ => Reply::text(404, "not found\n"),
    }))
}
