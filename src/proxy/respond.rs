//! Responses the gateway writes itself (health, redirects, 401/403/404/413,
//! portal pages). They keep the client connection alive, unlike Pingora's
//! `respond_error`.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

/// A response built by a plain (non-Pingora) module.
#[derive(Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Reply {
    /// A plain-text reply.
    pub fn text(status: u16, body: &'static str) -> Reply {
        Reply {
            status,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    /// A redirect with an empty body.
    pub fn redirect(status: u16, location: &str) -> Reply {
        let mut r = Reply::text(status, "");
        if let Ok(v) = HeaderValue::from_str(location) {
            r.headers.push((http::header::LOCATION, v));
        }
        r
    }
}

/// Writes `reply` to the client; the connection stays reusable.
pub async fn send(session: &mut Session, reply: Reply) -> Result<()> {
    let mut resp = ResponseHeader::build(reply.status, Some(reply.headers.len() + 2))?;
    for (name, value) in reply.headers {
        resp.append_header(name, value)?;
    }
    resp.insert_header(http::header::CONTENT_LENGTH, reply.body.len())?;
    let head = session.req_header().method == http::Method::HEAD;
    let no_body = reply.body.is_empty() || head;
    session.write_response_header(Box::new(resp), no_body).await?;
    if !no_body {
        session.write_response_body(Some(reply.body), true).await?;
    }
    Ok(())
}
