//! Responses the gateway writes itself (health, redirects, 401/403/404/413,
//! portal pages). They keep the client connection alive, unlike Pingora's
//! `respond_error`.

use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

pub use crate::reply::Reply;

/// Writes `reply` to the client; the connection stays reusable.
pub async fn send(session: &mut Session, reply: Reply) -> Result<()> {
    // Room for Content-Length (below) and the Date and Connection fields
    // Pingora adds before writing, so neither map grows on the way.
    let mut resp = ResponseHeader::build(reply.status, Some(reply.headers.len() + 3))?;
    for (name, value) in reply.headers {
        resp.append_header(name, value)?;
    }
    resp.insert_header(http::header::CONTENT_LENGTH, reply.body.len())?;
    let head = session.req_header().method == http::Method::HEAD;
    let no_body = reply.body.is_empty() || head;
    session
        .write_response_header(Box::new(resp), no_body)
        .await?;
    if !no_body {
        session.write_response_body(Some(reply.body), true).await?;
    }
    Ok(())
}

/// How long an unread request body is read and discarded after a reply the
/// gateway wrote itself (nginx's lingering close): the client finishes
/// sending and then reads the reply, instead of a connection reset.
pub const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and discards what is left of the request body, bounded by
/// [`DRAIN_TIMEOUT`]; on failure the connection is simply not reused.
pub async fn drain_body(session: &mut Session) {
    let downstream = session.as_downstream_mut();
    downstream.set_total_drain_timeout(Some(DRAIN_TIMEOUT));
    if downstream.drain_request_body().await.is_err() {
        downstream.set_keepalive(None);
    }
}
